//! A field network's forward pass as kernels of the project's own, for the views of a learned
//! field on a GPU: the step's `features` and `hidden_forward` kernels, then `output_field`, in
//! depth + 2 dispatches, with the divergence in x carried along as two tangents where asked.
//! Nothing here is autotuned, so a view compiles its three kernels once and never waits for
//! candidates to be measured.

#![allow(clippy::manual_div_ceil)]

use burn::backend::Backend;
use burn::backend::backend_extension;
use burn::backend::fusion::custom::TensorSpec;
use burn::backend::tensor::FloatTensor;
use burn_cubecl::CubeBackend;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

use super::kernels;
use super::launch::{Launcher, Shapes, Tangents, buffer};

/// The shapes of one forward pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForwardSpec {
    /// Rows (points).
    pub rows: usize,
    /// Input features.
    pub nin: usize,
    /// Units per hidden layer.
    pub width: usize,
    /// Hidden layers.
    pub depth: usize,
    /// Whether to carry the divergence in x (a third output column).
    pub divergence: bool,
    /// The hidden units' activation (`kernels::SILU`, `RELU`, `TANH` or `GELU`).
    pub activation: u32,
}

impl ForwardSpec {
    /// The output's columns: f₁, f₂ (and ∇·f).
    pub fn columns(&self) -> usize {
        if self.divergence { 3 } else { 2 }
    }
}

fn forward_meta(
    params: &TensorSpec,
    _inputs: &TensorSpec,
    _table: &TensorSpec,
    spec: &ForwardSpec,
) -> TensorSpec {
    TensorSpec::new([spec.rows, spec.columns()].into(), params.dtype)
}

/// A field network's outputs at a batch of points.
#[backend_extension(Cube: cfg(feature = "wgpu"), Fusion: cfg(feature = "wgpu"))]
pub trait FusedForwardOps: Backend {
    /// `params` (`[≥ P]`: the parameters first, as in a fused state), `inputs` (`[rows · 3]`:
    /// u, x₁, x₂ per row), `table` (`[6 · nin]`) → `[rows, 2]` outputs, or `[rows, 3]` with the
    /// divergence in x.
    #[fusion(meta = forward_meta)]
    fn fused_forward(
        params: FloatTensor<Self>,
        inputs: FloatTensor<Self>,
        table: FloatTensor<Self>,
        spec: ForwardSpec,
    ) -> FloatTensor<Self>;
}

/// The output layer of a forward pass: `f = h·W + b` per row and, with `tangents`, the
/// divergence `∂f₁/∂x₁ + ∂f₂/∂x₂` from the last hidden layer's tangents (one unit per row).
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn output_field(
    params: &[f32],
    acts: &[f32],
    tan: &[f32],
    out: &mut [f32],
    rows: u32,
    nin: u32,
    width: u32,
    depth: u32,
    tan_half: u32,
    #[comptime] tangents: bool,
) {
    let (n, w, d, r) = (nin as usize, width as usize, depth as usize, rows as usize);
    let i = ABSOLUTE_POS;
    if i >= r {
        terminate!();
    }
    let start = kernels::layer_start(d, n, w);
    let in_off = kernels::input_start(d, r, n, w) + i * w;
    let mut f0 = params[start + w * 2];
    let mut f1 = params[start + w * 2 + 1];
    let mut div = 0.0f32;
    for k in 0..w {
        let h = acts[in_off + k];
        f0 += h * params[start + k * 2];
        f1 += h * params[start + k * 2 + 1];
        if tangents {
            div += tan[in_off + k] * params[start + k * 2]
                + tan[tan_half as usize + in_off + k] * params[start + k * 2 + 1];
        }
    }
    if tangents {
        out[i * 3] = f0;
        out[i * 3 + 1] = f1;
        out[i * 3 + 2] = div;
    } else {
        out[i * 2] = f0;
        out[i * 2 + 1] = f1;
    }
}

impl FusedForwardOps for CubeBackend {
    fn fused_forward(
        params: CubeTensor,
        inputs: CubeTensor,
        table: CubeTensor,
        spec: ForwardSpec,
    ) -> CubeTensor {
        let (params, inputs, table) = (
            into_contiguous(params),
            into_contiguous(inputs),
            into_contiguous(table),
        );
        let k = Launcher::of(&params);
        let (r, n, w, d) = (spec.rows, spec.nin, spec.width, spec.depth);
        let acts_len = r * n + d * r * w;
        let acts = k.tensor(&[acts_len]);
        let slope = k.tensor(&[d * r * w]);
        let tan = k.tensor(&[if spec.divergence { 2 * acts_len } else { 1 }]);
        let out = k.tensor(&[r, spec.columns()]);
        let tangents = Tangents {
            buffer: &tan,
            half: acts_len,
            on: spec.divergence,
        };
        let shapes = Shapes {
            rows: r,
            nin: n,
            width: w,
            activation: spec.activation,
        };
        // An input row is u, x₁, x₂.
        k.features(shapes, &inputs, 3, &table, &acts, tangents);
        for l in 0..d {
            k.hidden_forward(shapes, l, &params, &acts, &slope, tangents);
        }
        let (count, dim) = k.grid(r);
        output_field::launch(
            k.client(),
            count,
            dim,
            buffer(&params),
            buffer(&acts),
            buffer(&tan),
            buffer(&out),
            r as u32,
            n as u32,
            w as u32,
            d as u32,
            acts_len as u32,
            spec.divergence,
        );
        out
    }
}
