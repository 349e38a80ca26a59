//! The checkerboard target: the reference sampler (docs/math.md §7.1) and its exact posterior for a
//! Gaussian base (docs/math.md §6.3), evaluated stably in f64 for every t in (0, 1).
//!
//! ρ1 is uniform (1/32) on 8 squares of side h = 2 in [−4, 4]²: the cell with lower-left corner
//! (−4 + 2i, −4 + 2j) is occupied iff i + j is even. Given x_t = x, x1 is a mixture over squares
//! of products of truncated normals, so every quantity separates per coordinate: for each of the
//! 4 intervals [l, l + 2) of a coordinate we need log Z̃ = log((Φ(hi) − Φ(lo))/β), the truncated
//! mean m and variance V, with lo = (β l − x)/σ and hi = (β (l + h) − x)/σ. The 5 interval
//! boundaries of a coordinate are shared, so one Mills ratio per boundary suffices.

pub use table::{CheckerTable, Parity};

use crate::posterior::Posterior;
use crate::special::{HALF_LN_2PI, mills};
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
/// Below this interval width in standard units (δ = βh/σ) the series of docs/math.md §6.3 item 1
/// is used.
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

/// One coordinate's 4 intervals: masses up to a common factor, truncated means and variances.
///
/// The interval masses are Z̃_k = exp(ln_scale + lm_k); in the fast (linear) mode `m` holds
/// exp(lm_k), so the 8 square weights are plain products.
#[derive(Clone, Copy, Default)]
struct Coord {
    m: [f64; 4],
    lm: [f64; 4],
    mean: [f64; 4],
    var: [f64; 4],
    ln_scale: f64,
}

/// √(2π).
const SQRT_2PI: f64 = 2.506_628_274_631_000_7;

/// The 4 intervals of one coordinate at (β, σ), for the coordinate value `x`.
///
/// With boundaries u_m = (β b_m − x)/σ, a_m = −u_m²/2 and p_m = exp(a_m − A) for a common shift
/// A, the interval masses scaled by √(2π)e^{−A} are
/// right tail (u_k > 0): p_k (R(u_k) − e R(u_{k+1})), e = exp(a_{k+1} − a_k) ≤ 1;
/// left tail (u_{k+1} < 0): p_{k+1} (R(−u_{k+1}) − e′R(−u_k)), e′ = exp(a_k − a_{k+1}) ≤ 1;
/// straddling 0 (then A = 0): √(2π) − p_k R(−u_k) − p_{k+1} R(u_{k+1}).
/// In `log_mode` the log masses are formed without exponentiating, so nothing underflows; the
/// other mode skips the Mills ratios of boundaries whose tail is below 1e-300.
fn coord(x: f64, beta: f64, sigma: f64, want_var: bool, log_mode: bool) -> Coord {
    let mut out = Coord::default();
    let delta = beta * H / sigma;
    if delta < TINY_DELTA {
        // t near 0: the truncated normal is nearly uniform on each interval (exact at β = 0).
        let mids = [0, 1, 2, 3].map(|k| (beta * (BOUNDS[k] + 0.5 * H) - x) / sigma);
        let a_max = mids
            .iter()
            .map(|u| -0.5 * u * u)
            .fold(f64::NEG_INFINITY, f64::max);
        for (k, &mid) in mids.iter().enumerate() {
            let c = BOUNDS[k] + 0.5 * H;
            out.lm[k] =
                -0.5 * mid * mid - a_max + ((mid * mid - 1.0) * delta * delta / 24.0).ln_1p();
            out.m[k] = out.lm[k].exp();
            out.mean[k] = c + (x - beta * c) * beta * H * H / (12.0 * sigma * sigma);
            out.var[k] = H * H / 12.0;
        }
        out.ln_scale = a_max + (H / sigma).ln() - HALF_LN_2PI;
        return out;
    }
    let u = BOUNDS.map(|b| (beta * b - x) / sigma);
    let a = u.map(|v| -0.5 * v * v);
    let shift = if u[0] < 0.0 && u[4] > 0.0 {
        0.0
    } else {
        a[0].max(a[4])
    };
    let p = a.map(|v| (v - shift).exp());
    let r = [0, 1, 2, 3, 4].map(|m| {
        if log_mode || p[m] > 1e-300 {
            mills(u[m].abs())
        } else {
            0.0
        }
    });
    // e = exp(−g) − 1 for g = |a_k − a_{k+1}| = δ·|mid|: exp_m1 keeps 1 − e accurate when small.
    let ratio_m1 = |g: f64| (-g).exp_m1();
    let scale = sigma / beta;
    for k in 0..4 {
        let (lo, hi) = (u[k], u[k + 1]);
        let mid = 0.5 * (lo + hi);
        // (log of the scaled mass, E[U], (lo φ(lo) − hi φ(hi))/mass)
        let (lm, eu, w) = if lo > 0.0 || hi < 0.0 {
            let right = lo > 0.0;
            let (near, far) = if right { (k, k + 1) } else { (k + 1, k) };
            if !log_mode && p[near] <= 1e-300 {
                out.lm[k] = f64::NEG_INFINITY;
                continue;
            }
            let em1 = ratio_m1(delta * mid.abs());
            let e = 1.0 + em1;
            let den = r[near] - e * r[far];
            let inv = 1.0 / den;
            let (eu, w) = if right {
                (-em1 * inv, (lo - e * hi) * inv)
            } else {
                (em1 * inv, (e * lo - hi) * inv)
            };
            (a[near] - shift + den.ln(), eu, w)
        } else {
            let mass = SQRT_2PI - p[k + 1] * r[k + 1] - p[k] * r[k];
            let inv = 1.0 / mass;
            (
                mass.ln(),
                (p[k] - p[k + 1]) * inv,
                (lo * p[k] - hi * p[k + 1]) * inv,
            )
        };
        out.lm[k] = lm;
        out.mean[k] = BOUNDS[k] + 0.5 * H + scale * (eu - mid);
        if want_var {
            out.var[k] = scale * scale * (1.0 + w - eu * eu).max(0.0);
        }
    }
    if !log_mode {
        out.m = out.lm.map(f64::exp);
    }
    out.ln_scale = shift - HALF_LN_2PI - beta.ln();
    out
}

/// One coordinate in the fast linear mode: scaled masses m_k, m_k·mean_k and
/// m_k·(var_k + mean_k²), formed without divisions or logarithms.
#[derive(Clone, Copy, Default)]
struct Fast {
    m: [f64; 4],
    n: [f64; 4],
    v: [f64; 4],
    ln_scale: f64,
}

/// Constants of the checkerboard posterior at one time.
#[derive(Clone, Copy, Debug)]
pub struct CheckerAt {
    beta: f64,
    sigma: f64,
    delta: f64,
    /// exp(−m δ²) for m = 0..3: the boundary ratios p_{m+1}/p_m = q·exp(−m δ²).
    g: [f64; 4],
    inv_g: [f64; 4],
    inv_sigma: f64,
    ln_scale0: f64,
}

impl CheckerAt {
    /// The constants for x_t | x1 ~ N(β x1, σ² I), σ > 0.
    pub fn new(beta: f64, sigma: f64) -> Self {
        let delta = beta * H / sigma;
        let g = [0.0, 1.0, 2.0, 3.0].map(|m| (-m * delta * delta).exp());
        let inv_g = [0.0, 1.0, 2.0, 3.0].map(|m| (m * delta * delta).exp());
        Self {
            beta,
            sigma,
            delta,
            g,
            inv_g,
            inv_sigma: 1.0 / sigma,
            ln_scale0: -HALF_LN_2PI - beta.ln(),
        }
    }

    /// The fast form of [`coord`] for the non-tiny regime (δ ≥ 1e-3); `None` near t = 0.
    fn coord_fast(&self, x: f64, want_var: bool) -> Option<Fast> {
        let (beta, sigma, delta) = (self.beta, self.sigma, self.delta);
        if delta < TINY_DELTA {
            return None;
        }
        let inv_sigma = self.inv_sigma;
        let (mut u, mut a) = ([0.0; 5], [0.0; 5]);
        for m in 0..5 {
            u[m] = (beta * BOUNDS[m] - x) * inv_sigma;
            a[m] = -0.5 * u[m] * u[m];
        }
        let shift = if u[0] < 0.0 && u[4] > 0.0 {
            0.0
        } else {
            a[0].max(a[4])
        };
        let p = if (delta * u[0]).abs() < 300.0 && delta < 15.0 {
            // One exp at the boundary nearest 0 (u_m = 0 at b_m = x/β), the others by the
            // equal-spacing recurrence p_{m+1} = p_m·q·exp(−m δ²).
            let q = (-delta * u[0] - 0.5 * delta * delta).exp();
            let inv_q = 1.0 / q;
            let r = ((x / beta + 4.0) * 0.5).round().clamp(0.0, 4.0) as usize;
            let mut p = [0.0; 5];
            p[r] = (a[r] - shift).exp();
            for m in r..4 {
                p[m + 1] = p[m] * (q * self.g[m]);
            }
            for m in (0..r).rev() {
                p[m] = p[m + 1] * (inv_q * self.inv_g[m]);
            }
            p
        } else {
            let mut p = [0.0; 5];
            for m in 0..5 {
                p[m] = (a[m] - shift).exp();
            }
            p
        };
        // Boundaries whose tail underflows contribute nothing; if that leaves every square's
        // weight tiny, `posterior` sees z < 1e-250 and redoes the point with log masses.
        let mut r = [0.0; 5];
        for m in 0..5 {
            if p[m] > 0.0 {
                r[m] = mills(u[m].abs());
            }
        }
        let scale = sigma / beta;
        let mut out = Fast {
            ln_scale: shift + self.ln_scale0,
            ..Fast::default()
        };
        for k in 0..4 {
            let (lo, hi) = (u[k], u[k + 1]);
            let mid = 0.5 * (lo + hi);
            // m = scaled mass; n0 = m·E[U]; w0 = m·(lo φ(lo) − hi φ(hi))/mass (all scaled alike).
            let (m, n0, w0) = if lo > 0.0 || hi < 0.0 {
                let right = lo > 0.0;
                let (near, far) = if right { (k, k + 1) } else { (k + 1, k) };
                if p[near] == 0.0 {
                    continue;
                }
                let g = delta * mid.abs();
                // p_far = p_near·(1 + em1); exp_m1 keeps 1 − e accurate for narrow intervals.
                let em1 = if g < 0.5 {
                    (-g).exp_m1()
                } else {
                    p[far] / p[near] - 1.0
                };
                let m = p[near] * (r[near] - (1.0 + em1) * r[far]);
                let n0 = if right { -em1 * p[near] } else { em1 * p[near] };
                (m, n0, lo * p[k] - hi * p[k + 1])
            } else {
                let m = SQRT_2PI - p[k + 1] * r[k + 1] - p[k] * r[k];
                (m, p[k] - p[k + 1], lo * p[k] - hi * p[k + 1])
            };
            if m.is_nan() || m <= 0.0 {
                continue; // underflowed: this interval carries no weight
            }
            // mean = c + scale·(E[U] − mid)  ⇒  m·mean = m·(c − scale·mid) + scale·n0.
            let c = BOUNDS[k] + 0.5 * H;
            out.m[k] = m;
            out.n[k] = m * (c - scale * mid) + scale * n0;
            if want_var {
                // var = scale²·(1 + w0/m − (n0/m)²), with ratios first: m may be ~1e-300.
                let mean = out.n[k] / m;
                let eu = n0 / m;
                let var = (scale * scale * (1.0 + w0 / m - eu * eu)).max(0.0);
                out.v[k] = m * (var + mean * mean);
            }
        }
        Some(out)
    }

    /// The posterior at x (see [`posterior`]).
    pub fn posterior(&self, x: P2, want_cov: bool) -> Posterior {
        if let (Some(fx), Some(fy)) = (
            self.coord_fast(x[0], want_cov),
            self.coord_fast(x[1], want_cov),
        ) {
            // Square (i, j) has weight m_i m_j: sum the y masses of the squares of each column i.
            let sy = [fy.m[0] + fy.m[2], fy.m[1] + fy.m[3]];
            let sx = [fx.m[0] + fx.m[2], fx.m[1] + fx.m[3]];
            let z = sx[0] * sy[0] + sx[1] * sy[1];
            if z > 1e-250 {
                let gx = (fx.n[0] + fx.n[2]) * sy[0] + (fx.n[1] + fx.n[3]) * sy[1];
                let gy = (fy.n[0] + fy.n[2]) * sx[0] + (fy.n[1] + fy.n[3]) * sx[1];
                let g1 = [gx / z, gy / z];
                let tr_cov = if want_cov {
                    let vx = (fx.v[0] + fx.v[2]) * sy[0] + (fx.v[1] + fx.v[3]) * sy[1];
                    let vy = (fy.v[0] + fy.v[2]) * sx[0] + (fy.v[1] + fy.v[3]) * sx[1];
                    ((vx + vy) / z - g1[0] * g1[0] - g1[1] * g1[1]).max(0.0)
                } else {
                    f64::NAN
                };
                let log_rho = z.ln() + fx.ln_scale + fy.ln_scale - LN_32;
                return Posterior {
                    g1,
                    score: [f64::NAN; 2],
                    tr_cov,
                    log_rho,
                };
            }
        }
        // Near t = 0, or far from the board at small σ (where the dominant interval of each
        // coordinate need not form an occupied square): log masses, nothing underflows.
        let (beta, sigma) = (self.beta, self.sigma);
        let (cx, cy) = (
            coord(x[0], beta, sigma, want_cov, true),
            coord(x[1], beta, sigma, want_cov, true),
        );
        let l = SQUARES.map(|(i, j)| cx.lm[i] + cy.lm[j]);
        let lmax = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w = l.map(|v| (v - lmax).exp());
        let z: f64 = w.iter().sum();
        combine(&cx, &cy, w, lmax + z.ln(), want_cov)
    }
}

/// The exact posterior of x1 given x_t = x, for x_t | x1 ~ N(β x1, σ² I).
///
/// Valid for σ > 0; at β = 0 it returns g1 = E\[x1\] = 0 and log ρ = log N(x; 0, σ² I). The score
/// is left NaN: it follows from g1 by Tweedie's formula (`posterior::identity::score`). For many
/// points at one time, build a [`CheckerAt`] once.
pub fn posterior(x: P2, beta: f64, sigma: f64, want_cov: bool) -> Posterior {
    CheckerAt::new(beta, sigma).posterior(x, want_cov)
}

fn combine(cx: &Coord, cy: &Coord, w: [f64; 8], ln_z: f64, want_cov: bool) -> Posterior {
    let z: f64 = w.iter().sum();
    let mut g = [0.0; 2];
    for (wk, &(i, j)) in w.iter().zip(&SQUARES) {
        if *wk > 0.0 {
            g[0] += wk * cx.mean[i];
            g[1] += wk * cy.mean[j];
        }
    }
    let g1 = [g[0] / z, g[1] / z];
    let tr_cov = if want_cov {
        let mut acc = 0.0;
        for (wk, &(i, j)) in w.iter().zip(&SQUARES) {
            if *wk > 0.0 {
                let (dx, dy) = (cx.mean[i] - g1[0], cy.mean[j] - g1[1]);
                acc += wk * (cx.var[i] + cy.var[j] + dx * dx + dy * dy);
            }
        }
        acc / z
    } else {
        f64::NAN
    };
    let log_rho = ln_z + cx.ln_scale + cy.ln_scale - LN_32;
    Posterior {
        g1,
        score: [f64::NAN; 2],
        tr_cov,
        log_rho,
    }
}

#[path = "checker_table.rs"]
mod table;

#[cfg(test)]
#[path = "checker_tests.rs"]
mod tests;
