//! The checkerboard target: the reference sampler (math §7.1) and its exact posterior for a
//! Gaussian base (math §6.3), evaluated stably in f64 for every t in (0, 1).
//!
//! ρ1 is uniform (1/32) on 8 squares of side h = 2 in [−4, 4]²: the cell with lower-left corner
//! (−4 + 2i, −4 + 2j) is occupied iff i + j is even. Given x_t = x, x1 is a mixture over squares
//! of products of truncated normals, so every quantity separates per coordinate: for each of the
//! 4 intervals [l, l + 2) of a coordinate we need log Z̃ = log((Φ(hi) − Φ(lo))/β), the truncated
//! mean m and variance V, with lo = (β l − x)/σ and hi = (β (l + h) − x)/σ. The 5 interval
//! boundaries of a coordinate are shared, so one Mills ratio per boundary suffices.

use crate::fields::Posterior;
use crate::special::{HALF_LN_2PI, ln_phi, mills};
use crate::{P2, Rng};

/// Side of a square.
const H: f64 = 2.0;
/// Lower edges of the 4 cells per coordinate, and their 5 boundaries.
const BOUNDS: [f64; 5] = [-4.0, -2.0, 0.0, 2.0, 4.0];
/// Occupied cells (i, j): i + j even.
pub const SQUARES: [(usize, usize); 8] = [
    (0, 0),
    (0, 2),
    (1, 1),
    (1, 3),
    (2, 0),
    (2, 2),
    (3, 1),
    (3, 3),
];
/// log 32 = −log ρ1 on the support.
pub const LN_32: f64 = 3.465_735_902_799_726_5;
/// Below this interval width in standard units (δ = βh/σ) the series of math §6.3 item 1 is used.
const TINY_DELTA: f64 = 1e-3;

/// `n` samples from the reference sampler (`interflow` notebooks), one draw at a time.
pub fn sample(rng: &mut Rng, n: usize) -> Vec<P2> {
    (0..n)
        .map(|_| {
            let u1 = rng.uniform();
            let u2 = rng.uniform();
            let k = (rng.next_u64() >> 63) as f64;
            let xi1 = 4.0 * u1 - 2.0;
            let xi2 = u2 - 2.0 * k + xi1.floor().rem_euclid(2.0);
            [2.0 * xi1, 2.0 * xi2]
        })
        .collect()
}

/// Whether x lies in the support C.
pub fn in_support(x: P2) -> bool {
    if !(-4.0..4.0).contains(&x[0]) || !(-4.0..4.0).contains(&x[1]) {
        return false;
    }
    ((x[0] / 2.0).floor() as i64 + (x[1] / 2.0).floor() as i64).rem_euclid(2) == 0
}

/// log ρ1(x): −log 32 on the support, −∞ off it.
pub fn log_density(x: P2) -> f64 {
    if in_support(x) {
        -LN_32
    } else {
        f64::NEG_INFINITY
    }
}

/// Mass of the axis-aligned box [x0, x1) × [y0, y1) under ρ1 (exact; for histogram metrics).
pub fn box_mass(x: (f64, f64), y: (f64, f64)) -> f64 {
    let overlap = |a: (f64, f64), lo: f64| (a.1.min(lo + H) - a.0.max(lo)).max(0.0);
    SQUARES
        .iter()
        .map(|&(i, j)| overlap(x, BOUNDS[i]) * overlap(y, BOUNDS[j]))
        .sum::<f64>()
        / 32.0
}

/// Per-interval results for one coordinate.
#[derive(Clone, Copy, Default)]
struct Interval {
    log_z: f64,
    mean: f64,
    var: f64,
}

/// The 4 intervals of one coordinate at (β, σ), for the coordinate value `x`.
fn intervals(x: f64, beta: f64, sigma: f64) -> [Interval; 4] {
    let mut out = [Interval::default(); 4];
    let delta = beta * H / sigma;
    if delta < TINY_DELTA {
        // t near 0: the truncated normal is nearly uniform on each interval (exact at β = 0).
        let ln_hs = (H / sigma).ln();
        for (k, iv) in out.iter_mut().enumerate() {
            let c = BOUNDS[k] + 0.5 * H;
            let mid = (beta * c - x) / sigma;
            iv.log_z = ln_hs + ln_phi(mid) + ((mid * mid - 1.0) * delta * delta / 24.0).ln_1p();
            iv.mean = c + (x - beta * c) * beta * H * H / (12.0 * sigma * sigma);
            iv.var = H * H / 12.0;
        }
        return out;
    }
    let u = BOUNDS.map(|b| (beta * b - x) / sigma);
    let r = u.map(|v| mills(v.abs()));
    let ln_beta = beta.ln();
    let scale = sigma / beta;
    for (k, iv) in out.iter_mut().enumerate() {
        let (lo, hi) = (u[k], u[k + 1]);
        let mid = 0.5 * (lo + hi);
        let (ln_mass, eu, w) = if lo > 0.0 {
            // Right tail: Φ(hi) − Φ(lo) = φ(lo)(R(lo) − e R(hi)), e = exp(−(hi² − lo²)/2).
            let a = -0.5 * (hi - lo) * (hi + lo);
            let e = a.exp();
            let den = r[k] - e * r[k + 1];
            (
                ln_phi(lo) + den.ln(),
                -a.exp_m1() / den,
                (lo - e * hi) / den,
            )
        } else if hi < 0.0 {
            // Left tail, by reflection: e′ = exp(−(lo² − hi²)/2).
            let a = -0.5 * (lo - hi) * (lo + hi);
            let e = a.exp();
            let den = r[k + 1] - e * r[k];
            (ln_phi(hi) + den.ln(), a.exp_m1() / den, (e * lo - hi) / den)
        } else {
            // Straddling 0: Φ(hi) − Φ(lo) = 1 − Q(hi) − Q(−lo), both tails via Mills ratios.
            let (plo, phi) = ((-0.5 * lo * lo).exp(), (-0.5 * hi * hi).exp());
            let c = (-HALF_LN_2PI).exp();
            let mass = 1.0 - c * (phi * r[k + 1] + plo * r[k]);
            (
                mass.ln(),
                c * (plo - phi) / mass,
                c * (lo * plo - hi * phi) / mass,
            )
        };
        iv.log_z = ln_mass - ln_beta;
        iv.mean = BOUNDS[k] + 0.5 * H + scale * (eu - mid);
        iv.var = scale * scale * (1.0 + w - eu * eu).max(0.0);
    }
    out
}

/// The exact posterior of x1 given x_t = x, for x_t | x1 ~ N(β x1, σ² I).
///
/// Valid for σ > 0; at β = 0 it returns g1 = E[x1] = 0 and log ρ = log N(x; 0, σ² I). The score
/// is left NaN: it follows from g1 by Tweedie's formula (`fields::identity::score`).
pub fn posterior(x: P2, beta: f64, sigma: f64, want_cov: bool) -> Posterior {
    let ix = intervals(x[0], beta, sigma);
    let iy = intervals(x[1], beta, sigma);
    let l = SQUARES.map(|(i, j)| ix[i].log_z + iy[j].log_z);
    let lmax = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w = l.map(|v| (v - lmax).exp());
    let z: f64 = w.iter().sum();
    let mut g = [0.0; 2];
    for (wk, &(i, j)) in w.iter().zip(&SQUARES) {
        g[0] += wk * ix[i].mean;
        g[1] += wk * iy[j].mean;
    }
    let g1 = [g[0] / z, g[1] / z];
    let tr_cov = if want_cov {
        let mut acc = 0.0;
        for (wk, &(i, j)) in w.iter().zip(&SQUARES) {
            let (dx, dy) = (ix[i].mean - g1[0], iy[j].mean - g1[1]);
            acc += wk * (ix[i].var + iy[j].var + dx * dx + dy * dy);
        }
        acc / z
    } else {
        f64::NAN
    };
    Posterior {
        g1,
        score: [f64::NAN; 2],
        tr_cov,
        log_rho: lmax + z.ln() - LN_32,
    }
}

#[cfg(test)]
#[path = "checker_tests.rs"]
mod tests;
