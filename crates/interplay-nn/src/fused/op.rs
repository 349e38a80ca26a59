//! The fused training step as an operation of burn's backend: on a CubeCL device (WebGPU,
//! native wgpu) it is the kernels of `fused/kernels.rs`, queued in burn's fusion stream like any
//! other operation.

use burn::backend::Backend;
use burn::backend::backend_extension;
use burn::backend::fusion::custom::TensorSpec;
use burn::backend::tensor::FloatTensor;
use burn::tensor::DType;
use burn_cubecl::CubeBackend;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;
use cubecl::{CubeCount, calculate_cube_count_elemwise};

use super::kernels::{self, TILE};

/// The shapes and settings of one fused step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepSpec {
    /// Rows of the batch (`2n` for antithetic pairs).
    pub rows: usize,
    /// Input features.
    pub nin: usize,
    /// Units per hidden layer.
    pub width: usize,
    /// Hidden layers.
    pub depth: usize,
    /// Parameters of the network (`P`; the state holds `4P` numbers).
    pub params: usize,
    /// The hidden units' activation (`kernels::SILU`, `RELU`, `TANH` or `GELU`).
    pub activation: u32,
    /// 1 / the rows of the loss's mean.
    pub inv_norm: f32,
    /// The learning rate.
    pub lr: f32,
    /// Adam's β₁.
    pub beta1: f32,
    /// Adam's β₂.
    pub beta2: f32,
    /// `√(1 − β₂ᵗ)/(1 − β₁ᵗ)` at Adam's step t (burn's bias correction).
    pub factor: f32,
    /// `ε·√(1 − β₂ᵗ)`.
    pub eps: f32,
    /// The moving average's weight on its old value.
    pub keep: f32,
    /// The moving average's weight on the new parameters.
    pub fresh: f32,
}

fn step_meta(
    state: &TensorSpec,
    _batch: &TensorSpec,
    _table: &TensorSpec,
    _spec: &StepSpec,
) -> (TensorSpec, TensorSpec) {
    (state.clone(), TensorSpec::new([1].into(), state.dtype))
}

/// One training step of a field network with its Adam state in one buffer.
#[backend_extension(Cube: cfg(feature = "wgpu"), Fusion: cfg(feature = "wgpu"))]
pub trait FusedStepOps: Backend {
    /// `state` (`[4P]`: parameters, Adam's moments, moving average), `batch` (`[rows · 8]`),
    /// `table` (`[6 · nin]`) → (the next state, the loss `[1]`).
    #[fusion(meta = step_meta)]
    fn fused_step(
        state: FloatTensor<Self>,
        batch: FloatTensor<Self>,
        table: FloatTensor<Self>,
        spec: StepSpec,
    ) -> (FloatTensor<Self>, FloatTensor<Self>);
}

fn buffer(t: &CubeTensor) -> BufferArg {
    t.clone().into_buffer_arg()
}

impl FusedStepOps for CubeBackend {
    fn fused_step(
        state: CubeTensor,
        batch: CubeTensor,
        table: CubeTensor,
        spec: StepSpec,
    ) -> (CubeTensor, CubeTensor) {
        let (state, batch, table) = (
            into_contiguous(state),
            into_contiguous(batch),
            into_contiguous(table),
        );
        let client = state.client.clone();
        let (r, n, w, d) = (spec.rows, spec.nin, spec.width, spec.depth);
        let tensor = |len: usize| {
            CubeTensor::new_contiguous(
                client.clone(),
                state.device.clone(),
                [len].into(),
                client.empty(len * 4),
                DType::F32,
            )
        };
        let next = tensor(4 * spec.params);
        let loss = tensor(1);
        let acts = tensor(r * n + d * r * w);
        let slope = tensor(d * r * w);
        let dz = tensor(d * r * w + 2 * r);
        let row_loss = tensor(r);
        // The tangents' buffer, which a step never reads or writes (bound all the same).
        let unused = tensor(1);
        let grid = |units: usize| -> (CubeCount, CubeDim) {
            let dim = CubeDim::new(&client, units);
            (calculate_cube_count_elemwise(&client, units, dim), dim)
        };
        let (ru, nu, wu, du) = (r as u32, n as u32, w as u32, d as u32);
        let (count, dim) = grid(r * n);
        kernels::features::launch(
            &client,
            count,
            dim,
            buffer(&batch),
            buffer(&table),
            buffer(&acts),
            buffer(&unused),
            ru,
            nu,
            8,
            0,
            false,
        );
        // Units of 4 × 4 tiles of an `[m, k]` output.
        let tiles = |m: usize, k: usize| m.div_ceil(TILE) * k.div_ceil(TILE);
        for l in 0..d {
            let (count, dim) = grid(tiles(r, w));
            kernels::hidden_forward::launch(
                &client,
                count,
                dim,
                buffer(&state),
                buffer(&acts),
                buffer(&slope),
                buffer(&unused),
                ru,
                nu,
                wu,
                l as u32,
                0,
                false,
                spec.activation,
            );
        }
        let (count, dim) = grid(r);
        kernels::output_loss::launch(
            &client,
            count,
            dim,
            buffer(&state),
            buffer(&acts),
            buffer(&batch),
            buffer(&dz),
            buffer(&row_loss),
            ru,
            nu,
            wu,
            du,
            spec.inv_norm,
        );
        for l in (0..d).rev() {
            let (count, dim) = grid(tiles(r, w));
            kernels::hidden_backward::launch(
                &client,
                count,
                dim,
                buffer(&state),
                buffer(&dz),
                buffer(&slope),
                ru,
                nu,
                wu,
                du,
                l as u32,
            );
        }
        for l in 0..=d {
            let d_in = if l == 0 { n } else { w };
            let d_out = if l == d { 2 } else { w };
            let (count, dim) = grid(tiles(d_in + 1, d_out));
            kernels::gradient_adam::launch(
                &client,
                count,
                dim,
                buffer(&state),
                buffer(&next),
                buffer(&acts),
                buffer(&dz),
                buffer(&row_loss),
                buffer(&loss),
                ru,
                nu,
                wu,
                du,
                l as u32,
                spec.params as u32,
                spec.inv_norm,
                kernels::AdamStepLaunch::new(
                    spec.lr,
                    spec.beta1,
                    spec.beta2,
                    spec.factor,
                    spec.eps,
                    spec.keep,
                    spec.fresh,
                ),
            );
        }
        (next, loss)
    }
}
