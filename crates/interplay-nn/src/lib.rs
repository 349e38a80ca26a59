//! Interplay's networks, with burn: field MLPs, the interpolant losses, the trainer, samplers
//! for learned fields on the device, and checkpoints.
//!
//! The device is a run-time value (burn 0.22): the same code trains on the CPU backend (flex),
//! natively and in the browser, and on WebGPU with the `wgpu` feature. Nothing here reads a
//! tensor synchronously (that panics on WebGPU): losses and particles come back through
//! `into_data_async`, read by the caller when it chooses.

mod ahead;
pub mod batch;
pub mod checkpoint;
pub use interplay_core::coupling;
pub mod device;
mod features;
pub mod few_step;
pub mod field;
pub mod flow_map;
pub mod fused;
#[cfg(feature = "wgpu")]
pub mod kernel_times;
mod lanes;
pub mod line_flow;
pub mod losses;
pub mod multi;
pub mod multi_train;
pub mod net;
pub mod nets;
pub mod nets_checkpoint;
pub mod objective;
pub mod posterior;
pub mod quality;
pub mod sampler;
pub mod spec;
pub mod train_config;
pub mod trainer;

pub use checkpoint::Checkpoint;
pub use field::{DeviceField, LearnedField};
pub use net::{Activation, FieldNet, NetConfig};
pub use objective::Objective;
pub use trainer::{LrDecay, StepLosses, TrainConfig, Trainer};

/// Errors of this crate, each with a message a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// Bad settings.
    #[error("{0}")]
    Config(String),
    /// A checkpoint that cannot be loaded, and why.
    #[error("{0}")]
    Checkpoint(String),
    /// Reading a tensor back from the device failed.
    #[error("reading from the device failed: {0}")]
    Read(String),
    /// The device could not be set up.
    #[error("{0}")]
    Device(String),
}

/// Reads a `[1]` tensor's value asynchronously.
pub async fn read_scalar(t: burn::tensor::Tensor<1>) -> Result<f32, NnError> {
    read_floats(t)
        .await?
        .first()
        .copied()
        .ok_or_else(|| NnError::Read("empty tensor".into()))
}

/// Reads a `[n]` tensor's values asynchronously.
pub async fn read_floats(t: burn::tensor::Tensor<1>) -> Result<Vec<f32>, NnError> {
    let d = t
        .into_data_async()
        .await
        .map_err(|e| NnError::Read(format!("{e:?}")))?;
    d.try_to_vec::<f32>()
        .map_err(|e| NnError::Read(format!("{e:?}")))
}

/// Reads a `[n, 2]` tensor of points asynchronously.
pub async fn read_points(t: burn::tensor::Tensor<2>) -> Result<Vec<interplay_core::P2>, NnError> {
    let d = t
        .into_data_async()
        .await
        .map_err(|e| NnError::Read(format!("{e:?}")))?;
    let v = d
        .try_to_vec::<f32>()
        .map_err(|e| NnError::Read(format!("{e:?}")))?;
    Ok(v.chunks_exact(2)
        .map(|c| [f64::from(c[0]), f64::from(c[1])])
        .collect())
}

/// Reads any tensor's values (row-major) asynchronously.
pub async fn read_values<const D: usize>(t: burn::tensor::Tensor<D>) -> Result<Vec<f32>, NnError> {
    let d = t
        .into_data_async()
        .await
        .map_err(|e| NnError::Read(format!("{e:?}")))?;
    d.try_to_vec::<f32>()
        .map_err(|e| NnError::Read(format!("{e:?}")))
}
