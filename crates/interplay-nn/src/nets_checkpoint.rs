//! The checkpoint of a transport learned by NETS: the layout of [`crate::Checkpoint`] with its
//! own prefix, `"IPLYNETS" | u32 version | u32 header length | header | u32 count | f32 × count |
//! u32 FNV-1a`, so that a transport is never read where a velocity model or a flow map is
//! expected (and the other way round): each loader names what it was given.

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use interplay_core::annealing::Energy;
use serde::{Deserialize, Serialize};

use crate::NnError;
use crate::checkpoint::{frame, read_params_of, split, unframe};
use crate::nets::{GRID, NetsConfig, NetsTrainer, Transport};
use crate::spec::TargetSpec;

/// The first 8 bytes of a transport checkpoint.
pub const NETS_MAGIC: &[u8; 8] = b"IPLYNETS";
/// The format this build writes and reads.
pub const NETS_FORMAT: u32 = 1;
/// The kind a transport checkpoint's header names.
pub const NETS_KIND: &str = "nets";

/// What a transport checkpoint holds besides the numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetsHeader {
    /// Always [`NETS_KIND`]: the checkpoint's kind.
    pub kind: String,
    /// The target whose exact density at `at` is the energy.
    pub target: TargetSpec,
    /// The time of that density (the energy is −log ρ(at, x) on the linear path).
    pub at: f64,
    /// The run's settings (the drift's architecture is `config.net`).
    pub config: NetsConfig,
    /// Optimisation steps taken.
    pub steps: u64,
}

/// A decoded transport checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct NetsCheckpoint {
    /// The header.
    pub header: NetsHeader,
    /// Per tensor of the drift (weight, bias, weight, …) the values, then the free energy's
    /// rate at the [`GRID`] nodes.
    pub params: Vec<Vec<f32>>,
}

fn err(msg: impl Into<String>) -> NnError {
    NnError::Checkpoint(msg.into())
}

impl NetsHeader {
    /// The header of `trainer`'s run as it stands, for the energy of `target` at `at`.
    pub fn of(trainer: &NetsTrainer, target: TargetSpec, at: f64) -> Self {
        Self {
            kind: NETS_KIND.into(),
            target,
            at,
            config: trainer.config.clone(),
            steps: trainer.steps(),
        }
    }
}

impl NetsCheckpoint {
    /// Collects a checkpoint of `transport` (from [`NetsTrainer::transport`]) under `header`,
    /// read asynchronously, so that no borrow of the trainer is held while the device is read.
    pub async fn of(header: NetsHeader, transport: &Transport) -> Result<Self, NnError> {
        let mut params = read_params_of(&transport.drift.layers).await?;
        params.push(crate::read_values(transport.rate.val()).await?);
        Ok(Self { header, params })
    }

    /// The bytes of this checkpoint.
    pub fn to_bytes(&self) -> Vec<u8> {
        frame(
            NETS_MAGIC,
            NETS_FORMAT,
            &self.header,
            self.params.iter().flatten(),
        )
    }

    /// Decodes and checks bytes; the error says what is wrong. Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, NnError> {
        let (header, values) =
            unframe(
                bytes,
                NETS_MAGIC,
                NETS_FORMAT,
                "this is not a transport (NETS) checkpoint (it does not start with \"IPLYNETS\")",
                |header: &NetsHeader| {
                    if header.kind != NETS_KIND {
                        return Err(err(format!(
                            "the checkpoint says it holds a {} model, not a transport",
                            header.kind
                        )));
                    }
                    header.config.net.validate().map_err(|e| {
                        err(format!("the checkpoint's architecture is invalid: {e}"))
                    })?;
                    let want: usize = header
                        .config
                        .net
                        .shapes()
                        .iter()
                        .map(|(i, o)| i * o + o)
                        .sum();
                    Ok((want + GRID, "its drift and free energy have".to_owned()))
                },
            )?;
        let mut values = values.into_iter();
        let mut params = split(&mut values, &header.config.net.shapes());
        params.push(values.collect());
        Ok(Self { header, params })
    }

    /// The energy the transport was learned for.
    pub fn energy(&self) -> Result<Energy, NnError> {
        let target = self.header.target.target().map_err(err)?;
        Energy::of(&target, self.header.at).map_err(err)
    }

    /// The learned transport on `device`.
    pub fn transport(&self, device: &Device) -> Result<Transport, NnError> {
        let (rate, layers) = self
            .params
            .split_last()
            .ok_or_else(|| err("the checkpoint holds no parameters"))?;
        let drift = self
            .header
            .config
            .net
            .from_params(layers, device)
            .map_err(err)?;
        let rate = Tensor::<2>::from_data(TensorData::new(rate.clone(), [GRID, 1]), device);
        Ok(Transport {
            drift,
            rate: Param::from_tensor(rate),
        })
    }
}
