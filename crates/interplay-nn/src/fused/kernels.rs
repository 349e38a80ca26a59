//! The fused kernels' forward half (CubeCL: one source for WebGPU, native wgpu and CUDA): the
//! input features and the hidden layers, which the training step and the views' forward pass
//! both run, and the index helpers every kernel uses (`backward.rs` has the step's other half).
//!
//! Buffers, for a batch of `rows` rows, `nin` input features, `depth` hidden layers of `width`
//! units and 2 outputs (offsets in floats):
//! - `batch`: 8 numbers per row, `[u, x₁, x₂, q₁, q₂, r₁, r₂, c]` (the loss of a row is
//!   `Σ_c ½ q_c f_c² − r_c f_c + c`, [`super::LossRows`]);
//! - `table`: the 6 rows of the feature table (`w₁, w₂, w_u, m_id, m_sin, m_cos`, `nin` each);
//! - `state`: the parameters (layer by layer, weight `[d_in, d_out]` row-major then bias), then
//!   Adam's first and second moments and the moving average, `P` each;
//! - `acts`: each layer's input, the features (`rows × nin`) then each hidden layer's output;
//! - `slope`: σ′(z) of each hidden layer's pre-activation z (SiLU, ReLU, tanh or GELU units);
//! - `dz`: the loss's gradient in each layer's pre-activation (the last layer's, the outputs',
//!   already divided by the rows of the mean).
//!
//! No kernel uses workgroup memory; the products compute a 4 × 4 tile of outputs per unit. A
//! step of the page's network is 12 dispatches, a forward pass 5, whatever the width.

// Kernel bodies are CubeCL, which translates a subset of Rust: loops over index ranges and
// integer arithmetic written out, as WGSL has them.
#![allow(clippy::manual_div_ceil, clippy::needless_range_loop)]

use cubecl::prelude::*;

/// Where layer `l`'s parameters start in `state`.
#[cube]
pub(crate) fn layer_start(l: usize, nin: usize, width: usize) -> usize {
    let mut start = 0;
    if l > 0 {
        start = nin * width + width + (l - 1) * (width * width + width);
    }
    start
}

/// Layer `l`'s inputs per row: the features for layer 0, a hidden layer's units after it.
#[cube]
pub(crate) fn fan_in(l: usize, nin: usize, width: usize) -> usize {
    let mut k = nin;
    if l > 0 {
        k = width;
    }
    k
}

/// Where layer `l`'s input starts in `acts` (layer `l − 1`'s output where `l > 0`).
#[cube]
pub(crate) fn input_start(l: usize, rows: usize, nin: usize, width: usize) -> usize {
    let mut at = 0;
    if l > 0 {
        at = rows * nin + (l - 1) * rows * width;
    }
    at
}

/// The input features of each row: `a = x₁w₁ + x₂w₂ + u·w_u`, then `m_id·a + m_sin·sin a +
/// m_cos·cos a` (one unit per feature of a row). A row of `inputs` is `stride` numbers starting
/// `u, x₁, x₂`. With `tangents`, also each feature's derivatives along x₁ and x₂ into `tan`
/// (along x₁ at the start, along x₂ from `tan_half` on).
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn features(
    inputs: &[f32],
    table: &[f32],
    acts: &mut [f32],
    tan: &mut [f32],
    rows: u32,
    nin: u32,
    stride: u32,
    tan_half: u32,
    #[comptime] tangents: bool,
) {
    let (n, st) = (nin as usize, stride as usize);
    let pos = ABSOLUTE_POS;
    let len = rows as usize * n;
    if pos >= len {
        terminate!();
    }
    let i = pos / n;
    let k = pos % n;
    let u = inputs[i * st];
    let a =
        inputs[i * st + 1] * table[k] + inputs[i * st + 2] * table[n + k] + u * table[2 * n + k];
    let (m_id, m_sin, m_cos) = (table[3 * n + k], table[4 * n + k], table[5 * n + k]);
    acts[pos] = m_id * a + m_sin * a.sin() + m_cos * a.cos();
    if tangents {
        let slope = m_id + m_sin * a.cos() - m_cos * a.sin();
        tan[pos] = table[k] * slope;
        tan[tan_half as usize + pos] = table[n + k] * slope;
    }
}

/// `i` if it is below `n`, else `n − 1` (reads at the edge of a tile stay in the buffer; what
/// they give is not written).
#[cube]
pub(crate) fn clamped(i: usize, n: usize) -> usize {
    let mut c = i;
    if c >= n {
        c = n - 1;
    }
    c
}

/// The side of a unit's tile of outputs: each unit computes `TILE × TILE` of them, reading
/// `2·TILE` numbers per `TILE²` products.
pub(crate) const TILE: usize = 4;

/// A 4 × 4 tile of accumulators, zeroed.
#[cube]
pub(crate) fn zero_tile() -> Array<f32> {
    let mut acc = Array::<f32>::new(16usize);
    #[unroll]
    for t in 0..16usize {
        acc[t] = 0.0f32;
    }
    acc
}

/// `acc += a·bᵀ` on a 4 × 4 tile (`acc[t]` is row `t / 4`, column `t % 4`).
#[cube]
pub(crate) fn tile_add(acc: &mut Array<f32>, a: &Array<f32>, b: &Array<f32>) {
    #[unroll]
    for t in 0..16usize {
        acc[t] += a[t / 4] * b[t % 4];
    }
}

/// The activation codes of the kernels (`act`), as [`crate::net::Activation`] names them.
pub(crate) const SILU: u32 = 0;
pub(crate) const RELU: u32 = 1;
pub(crate) const TANH: u32 = 2;
pub(crate) const GELU: u32 = 3;

/// The unit's output σ(z) and its slope σ′(z) for the activation `act`: SiLU `z·s(z)` with
/// slope `s(1 + z(1 − s))` (`s` the logistic function), ReLU, tanh (`1 − tanh²`) and GELU
/// `z·Φ(z)` (`Φ + z·φ`), as `Activation::apply` and `Activation::derivative` on the CPU.
#[cube]
fn activate(z: f32, #[comptime] act: u32) -> (f32, f32) {
    let mut h = 0.0f32;
    let mut d = 0.0f32;
    if act == SILU {
        let s = 1.0f32 / (1.0f32 + (-z).exp());
        h = z * s;
        d = s * (1.0f32 + z * (1.0f32 - s));
    } else if act == RELU {
        if z > 0.0f32 {
            h = z;
            d = 1.0f32;
        }
    } else if act == TANH {
        h = z.tanh();
        d = 1.0f32 - h * h;
    } else {
        let cdf = 0.5f32 * (1.0f32 + Erf::erf(z * core::f32::consts::FRAC_1_SQRT_2));
        let pdf = (-0.5f32 * z * z).exp() * 0.398_942_3f32;
        h = z * cdf;
        d = cdf + z * pdf;
    }
    (h, d)
}

/// A hidden layer: `z = in·W + b`, its output σ(z) and slope σ′(z) for the activation `act`
/// (one unit per 4 × 4 tile of rows × units). With `tangents`,
/// also the layer's output tangents `(t·W) ⊙ slope` of the input tangents `t` along x₁ and x₂
/// (`tan`: laid out as `acts` along x₁, then from `tan_half` on along x₂).
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn hidden_forward(
    state: &[f32],
    acts: &mut [f32],
    slope: &mut [f32],
    tan: &mut [f32],
    rows: u32,
    nin: u32,
    width: u32,
    layer: u32,
    tan_half: u32,
    #[comptime] tangents: bool,
    #[comptime] act: u32,
) {
    let (n, w, l, r) = (nin as usize, width as usize, layer as usize, rows as usize);
    let tiles = (w + 3) / 4;
    let pos = ABSOLUTE_POS;
    if pos >= tiles * ((r + 3) / 4) {
        terminate!();
    }
    let i0 = (pos / tiles) * 4;
    let j0 = (pos % tiles) * 4;
    let d_in = fan_in(l, n, w);
    let in_off = input_start(l, r, n, w);
    let start = layer_start(l, n, w);
    // Where the tangents along x₂ start (after those along x₁ of every layer's input).
    let half = tan_half as usize;
    let mut acc = Array::<f32>::new(16usize);
    let mut ta = zero_tile();
    let mut tb = zero_tile();
    let mut a = Array::<f32>::new(4usize);
    let mut b = Array::<f32>::new(4usize);
    #[unroll]
    for c in 0..4usize {
        b[c] = state[start + d_in * w + clamped(j0 + c, w)];
    }
    #[unroll]
    for t in 0..16usize {
        acc[t] = b[t % 4];
    }
    for k in 0..d_in {
        #[unroll]
        for q in 0..4usize {
            a[q] = acts[in_off + clamped(i0 + q, r) * d_in + k];
            b[q] = state[start + k * w + clamped(j0 + q, w)];
        }
        tile_add(&mut acc, &a, &b);
        if tangents {
            #[unroll]
            for q in 0..4usize {
                a[q] = tan[in_off + clamped(i0 + q, r) * d_in + k];
            }
            tile_add(&mut ta, &a, &b);
            #[unroll]
            for q in 0..4usize {
                a[q] = tan[half + in_off + clamped(i0 + q, r) * d_in + k];
            }
            tile_add(&mut tb, &a, &b);
        }
    }
    let out_off = input_start(l + 1, r, n, w);
    #[unroll]
    for t in 0..16usize {
        let (i, j) = (i0 + t / 4, j0 + t % 4);
        if i < r && j < w {
            let (h, d) = activate(acc[t], act);
            acts[out_off + i * w + j] = h;
            slope[l * r * w + i * w + j] = d;
            if tangents {
                tan[out_off + i * w + j] = ta[t] * d;
                tan[half + out_off + i * w + j] = tb[t] * d;
            }
        }
    }
}
