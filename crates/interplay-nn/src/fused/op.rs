//! The fused training step as an operation of burn's backend: on a CubeCL device (WebGPU,
//! native wgpu) it is the kernels of `fused/kernels.rs` and `fused/backward.rs`, queued in
//! burn's fusion stream like any other operation.

use super::backward;
use super::kernels::TILE;
use super::launch::{Launcher, Shapes, Tangents, buffer};
use burn::backend::Backend;
use burn::backend::backend_extension;
use burn::backend::fusion::custom::TensorSpec;
use burn::backend::tensor::FloatTensor;
use burn_cubecl::CubeBackend;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::tensor::CubeTensor;

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
        let k = Launcher::of(&state);
        let (r, n, w, d) = (spec.rows, spec.nin, spec.width, spec.depth);
        let next = k.tensor(&[4 * spec.params]);
        let loss = k.tensor(&[1]);
        let acts = k.tensor(&[r * n + d * r * w]);
        let slope = k.tensor(&[d * r * w]);
        let dz = k.tensor(&[d * r * w + 2 * r]);
        let row_loss = k.tensor(&[r]);
        let unused = k.tensor(&[1]);
        let none = Tangents {
            buffer: &unused,
            half: 0,
            on: false,
        };
        let shapes = Shapes {
            rows: r,
            nin: n,
            width: w,
            activation: spec.activation,
        };
        let (ru, nu, wu, du) = (r as u32, n as u32, w as u32, d as u32);
        let client = k.client();
        let grid = |units| k.grid(units);
        // A batch row is 8 numbers (`LossRows`), starting u, x₁, x₂.
        k.features(shapes, &batch, 8, &table, &acts, none);
        for l in 0..d {
            k.hidden_forward(shapes, l, &state, &acts, &slope, none);
        }
        // Units of 4 × 4 tiles of an `[m, k]` output.
        let tiles = |m: usize, k: usize| m.div_ceil(TILE) * k.div_ceil(TILE);
        let (count, dim) = grid(r);
        backward::output_loss::launch(
            client,
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
            backward::hidden_backward::launch(
                client,
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
            backward::gradient_adam::launch(
                client,
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
                backward::AdamStepLaunch::new(
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
