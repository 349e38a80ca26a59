//! The backward half of the fused training step (CubeCL): the output layer with the loss and
//! its gradient, each hidden layer's gradient, and each layer's parameter gradient with its Adam
//! step and moving average. Buffers as in `kernels.rs`.

// Kernel bodies are CubeCL, which translates a subset of Rust: loops over index ranges and
// integer arithmetic written out, as WGSL has them.
#![allow(clippy::manual_div_ceil, clippy::needless_range_loop)]

use cubecl::prelude::*;

use super::kernels::{clamped, fan_in, input_start, layer_start, tile_add, zero_tile};

/// The output layer and the loss: `f = h·W + b`, each row's loss `Σ_c ½ q_c f_c² − r_c f_c + c`
/// and its gradient in f, `(q f − r)/norm` (one unit per row).
#[cube(launch)]
pub(crate) fn output_loss(
    state: &[f32],
    acts: &[f32],
    batch: &[f32],
    dz: &mut [f32],
    row_loss: &mut [f32],
    rows: u32,
    nin: u32,
    width: u32,
    depth: u32,
    inv_norm: f32,
) {
    let (n, w, d) = (nin as usize, width as usize, depth as usize);
    let i = ABSOLUTE_POS;
    let r = rows as usize;
    if i >= r {
        terminate!();
    }
    let start = layer_start(d, n, w);
    let in_off = input_start(d, r, n, w) + i * w;
    let mut f0 = state[start + w * 2];
    let mut f1 = state[start + w * 2 + 1];
    for k in 0..w {
        let h = acts[in_off + k];
        f0 += h * state[start + k * 2];
        f1 += h * state[start + k * 2 + 1];
    }
    let b = i * 8;
    let (q0, q1, r0, r1) = (batch[b + 3], batch[b + 4], batch[b + 5], batch[b + 6]);
    let out = d * r * w + i * 2;
    dz[out] = (q0 * f0 - r0) * inv_norm;
    dz[out + 1] = (q1 * f1 - r1) * inv_norm;
    row_loss[i] =
        0.5f32 * q0 * f0 * f0 - r0 * f0 + (0.5f32 * q1 * f1 * f1 - r1 * f1) + batch[b + 7];
}

/// The gradient in a hidden layer's pre-activation from the next layer's:
/// `dz_l = (dz_{l+1}·W_{l+1}ᵀ) ⊙ slope_l` (one unit per 4 × 4 tile of rows × units).
#[cube(launch)]
pub(crate) fn hidden_backward(
    state: &[f32],
    dz: &mut [f32],
    slope: &[f32],
    rows: u32,
    nin: u32,
    width: u32,
    depth: u32,
    layer: u32,
) {
    let (n, w, d, l) = (nin as usize, width as usize, depth as usize, layer as usize);
    let r = rows as usize;
    let tiles = (w + 3) / 4;
    let pos = ABSOLUTE_POS;
    if pos >= tiles * ((r + 3) / 4) {
        terminate!();
    }
    let i0 = (pos / tiles) * 4;
    let j0 = (pos % tiles) * 4;
    let mut d_out = w;
    if l + 1 == d {
        d_out = 2;
    }
    let start = layer_start(l + 1, n, w);
    let next = (l + 1) * r * w;
    let mut acc = zero_tile();
    let mut a = Array::<f32>::new(4usize);
    let mut b = Array::<f32>::new(4usize);
    for m in 0..d_out {
        #[unroll]
        for q in 0..4usize {
            a[q] = dz[next + clamped(i0 + q, r) * d_out + m];
            b[q] = state[start + clamped(j0 + q, w) * d_out + m];
        }
        tile_add(&mut acc, &a, &b);
    }
    #[unroll]
    for t in 0..16usize {
        let (i, j) = (i0 + t / 4, j0 + t % 4);
        if i < r && j < w {
            let at = l * r * w + i * w + j;
            dz[at] = acc[t] * slope[at];
        }
    }
}

/// Settings of one Adam step with a moving average (the host computes the bias corrections).
#[derive(CubeType, CubeLaunch, Clone, Copy)]
pub(crate) struct AdamStep {
    /// The learning rate.
    pub(crate) lr: f32,
    /// β₁ and β₂.
    pub(crate) beta1: f32,
    pub(crate) beta2: f32,
    /// `√(1 − β₂ᵗ)/(1 − β₁ᵗ)` and `ε·√(1 − β₂ᵗ)` (burn's Adam).
    pub(crate) factor: f32,
    pub(crate) eps: f32,
    /// The moving average's weights on its old value and on the new parameters.
    pub(crate) keep: f32,
    pub(crate) fresh: f32,
}

/// The gradient of layer `layer`'s parameters, read as a `[d_in + 1, d_out]` matrix (the
/// weights, then the bias as the row of a constant input 1): `Σ_rows in⁺ᵀ·dz`, then each
/// parameter's Adam step and moving average, written to `next` (one unit per 4 × 4 tile; on
/// layer 0, unit 0 also sums the rows' losses).
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn gradient_adam(
    state: &[f32],
    next: &mut [f32],
    acts: &[f32],
    dz: &[f32],
    row_loss: &[f32],
    loss: &mut [f32],
    rows: u32,
    nin: u32,
    width: u32,
    depth: u32,
    layer: u32,
    params: u32,
    inv_norm: f32,
    adam: AdamStep,
) {
    let (n, w, d, l) = (nin as usize, width as usize, depth as usize, layer as usize);
    let (r, np) = (rows as usize, params as usize);
    let d_in = fan_in(l, n, w);
    let in_off = input_start(l, r, n, w);
    let mut d_out = w;
    if l == d {
        d_out = 2;
    }
    let tiles = (d_out + 3) / 4;
    let pos = ABSOLUTE_POS;
    if pos >= tiles * ((d_in + 4) / 4) {
        terminate!();
    }
    if l == 0 && pos == 0 {
        let mut sum = 0.0f32;
        for i in 0..r {
            sum += row_loss[i];
        }
        loss[0] = sum * inv_norm;
    }
    let a0 = (pos / tiles) * 4;
    let b0 = (pos % tiles) * 4;
    let dz_off = l * r * w;
    let mut acc = zero_tile();
    let mut a = Array::<f32>::new(4usize);
    let mut b = Array::<f32>::new(4usize);
    for i in 0..r {
        #[unroll]
        for q in 0..4usize {
            // Column d_in of the input is the constant 1 of the bias.
            let col = a0 + q;
            let mut v = 1.0f32;
            if col < d_in {
                v = acts[in_off + i * d_in + col];
            }
            a[q] = v;
            b[q] = dz[dz_off + i * d_out + clamped(b0 + q, d_out)];
        }
        tile_add(&mut acc, &a, &b);
    }
    let start = layer_start(l, n, w);
    #[unroll]
    for t in 0..16usize {
        let (ai, bi) = (a0 + t / 4, b0 + t % 4);
        if ai <= d_in && bi < d_out {
            let p = start + ai * d_out + bi;
            let g = acc[t];
            let m = adam.beta1 * state[np + p] + (1.0f32 - adam.beta1) * g;
            let v = adam.beta2 * state[2 * np + p] + (1.0f32 - adam.beta2) * (g * g);
            let x = state[p] - adam.lr * (m * adam.factor / (v.sqrt() + adam.eps));
            next[p] = x;
            next[np + p] = m;
            next[2 * np + p] = v;
            next[3 * np + p] = state[3 * np + p] * adam.keep + x * adam.fresh;
        }
    }
}
