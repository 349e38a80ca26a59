//! The multi-marginal (barycentric) interpolant of docs/math.md §8.6: with x0 ~ N(0, I) and two
//! targets x1 ~ ρ1, x2 ~ ρ2, all independent,
//!
//!   x(α) = α0·x0 + α1·x1 + α2·x2,   α on the triangle (α_k ≥ 0, Σα_k = 1),
//!
//! whose law ρ(α, ·) is ρ0, ρ1 or ρ2 at the vertices. Its fields are g_k(α, x) = E[x_k | x(α) = x],
//! one per marginal; they satisfy Σ_k α_k g_k = x, and the continuity equations
//! ∂_{α_k} ρ + ∇·(g_k ρ) = 0 (α taken off the triangle, where x(α) is defined just the same). Along a
//! path α(t) on the triangle the velocity is b = Σ_k α̇_k g_k.
//!
//! For Gaussian-mixture targets the law is a mixture over pairs of components (i of ρ1, j of ρ2):
//! given (i, j), x(α) ~ N(α1μ_i + α2ν_j, α0²I + α1²Σ_i + α2²Λ_j), and E[x_k | x, i, j] is the
//! Gaussian conditional mean m_k + α_kC_kS⁻¹(x − m).

use crate::mixture::{Mixture, Sym2};
use crate::special::log_sum_exp;
use crate::targets::ExactTarget;
use crate::{P2, Rng};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// A barycentric weight (α0, α1, α2).
pub type Alpha = [f64; 3];

/// The interpolant of N(0, I) and two Gaussian-mixture targets.
#[derive(Clone, Debug, PartialEq)]
pub struct Multimarginal {
    /// ρ1, the target of α1.
    pub first: Mixture,
    /// ρ2, the target of α2.
    pub second: Mixture,
}

/// The fields at one point: log ρ(α, x) and g_k = E[x_k | x(α) = x] for k = 0, 1, 2.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MultiPoint {
    /// log ρ(α, x).
    pub log_rho: f64,
    /// E[x0 | x], E[x1 | x], E[x2 | x].
    pub g: [P2; 3],
}

/// One pair of components at a fixed α.
#[derive(Clone, Debug)]
struct PairAt {
    log_norm: f64,
    prec: Sym2,
    center: P2,
    /// m_k and K_k = α_k C_k S⁻¹ for each marginal.
    mean: [P2; 3],
    gain: [[[f64; 2]; 2]; 3],
}

/// The per-α constants of [`Multimarginal::at`].
#[derive(Clone, Debug)]
pub struct MultiAt {
    pairs: Vec<PairAt>,
}

fn sym_mul(a: &Sym2, b: &Sym2) -> [[f64; 2]; 2] {
    [
        [a.a * b.a + a.b * b.b, a.a * b.b + a.b * b.c],
        [a.b * b.a + a.c * b.b, a.b * b.b + a.c * b.c],
    ]
}

impl Multimarginal {
    /// The interpolant of N(0, I), `first` and `second`.
    pub fn new(first: Mixture, second: Mixture) -> Self {
        Self { first, second }
    }

    /// `n` samples of x(α) drawn directly: x0, x1 and x2 from their own streams of `rng`.
    pub fn sample(&self, alpha: Alpha, rng: &mut Rng, n: usize) -> Vec<P2> {
        let x0 = rng.normals(n);
        let x1 = self.first.sample(rng, n);
        let x2 = self.second.sample(rng, n);
        combine(alpha, &x0, &x1, &x2)
    }

    /// The constants of ρ(α, ·) and g_k(α, ·) at `alpha` (any α with a non-singular law:
    /// α0 ≠ 0, or targets with full covariances where α0 = 0).
    pub fn at(&self, alpha: Alpha) -> MultiAt {
        let mut pairs = Vec::new();
        for ci in self.first.components() {
            for cj in self.second.components() {
                let covs = [Sym2::iso(1.0), ci.cov, cj.cov];
                let means = [[0.0, 0.0], ci.mean, cj.mean];
                let mut s = Sym2::iso(0.0);
                let mut center = [0.0; 2];
                for k in 0..3 {
                    let a2 = alpha[k] * alpha[k];
                    s.a += a2 * covs[k].a;
                    s.b += a2 * covs[k].b;
                    s.c += a2 * covs[k].c;
                    center[0] += alpha[k] * means[k][0];
                    center[1] += alpha[k] * means[k][1];
                }
                let prec = s.inv();
                let gain = std::array::from_fn(|k| {
                    let m = sym_mul(&covs[k], &prec);
                    m.map(|row| row.map(|v| alpha[k] * v))
                });
                pairs.push(PairAt {
                    log_norm: (ci.weight * cj.weight).ln() - 0.5 * s.det().ln() - LN_2PI,
                    prec,
                    center,
                    mean: means,
                    gain,
                });
            }
        }
        MultiAt { pairs }
    }
}

impl MultiAt {
    /// log ρ(α, x) and the three g_k at `x`.
    pub fn eval(&self, x: P2) -> MultiPoint {
        let logs: Vec<f64> = self
            .pairs
            .iter()
            .map(|p| {
                let d = [x[0] - p.center[0], x[1] - p.center[1]];
                p.log_norm - 0.5 * p.prec.quad(d)
            })
            .collect();
        let log_rho = log_sum_exp(&logs);
        let mut g = [[0.0; 2]; 3];
        for (p, l) in self.pairs.iter().zip(&logs) {
            let w = (l - log_rho).exp();
            if w < 1e-300 {
                continue;
            }
            let d = [x[0] - p.center[0], x[1] - p.center[1]];
            for (k, gk) in g.iter_mut().enumerate() {
                let (m, kk) = (p.mean[k], p.gain[k]);
                gk[0] += w * (m[0] + kk[0][0] * d[0] + kk[0][1] * d[1]);
                gk[1] += w * (m[1] + kk[1][0] * d[0] + kk[1][1] * d[1]);
            }
        }
        MultiPoint { log_rho, g }
    }
}

/// `n` samples of x(α) for any two targets, drawn directly as [`Multimarginal::sample`] draws
/// them (x0, x1 and x2 from their own streams of `rng`).
pub fn sample_targets(
    first: &ExactTarget,
    second: &ExactTarget,
    alpha: Alpha,
    rng: &mut Rng,
    n: usize,
) -> Vec<P2> {
    let x0 = rng.normals(n);
    let x1 = first.sample(rng, n);
    let x2 = second.sample(rng, n);
    combine(alpha, &x0, &x1, &x2)
}

/// α0·x0 + α1·x1 + α2·x2, row by row.
fn combine(alpha: Alpha, x0: &[P2], x1: &[P2], x2: &[P2]) -> Vec<P2> {
    x0.iter()
        .zip(x1)
        .zip(x2)
        .map(|((a, b), c)| {
            [
                alpha[0] * a[0] + alpha[1] * b[0] + alpha[2] * c[0],
                alpha[0] * a[1] + alpha[1] * b[1] + alpha[2] * c[1],
            ]
        })
        .collect()
}

/// A path on the triangle through `knots`, each leg taking an equal share of s ∈ [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct TrianglePath {
    knots: Vec<Alpha>,
}

/// Whether `a` is a point of the triangle (to rounding).
pub fn on_triangle(a: Alpha) -> bool {
    a.iter().all(|v| v.is_finite() && *v >= -1e-9) && (a.iter().sum::<f64>() - 1.0).abs() < 1e-6
}

impl TrianglePath {
    /// A path through at least two points of the triangle.
    pub fn new(knots: Vec<Alpha>) -> Result<Self, String> {
        if knots.len() < 2 {
            return Err("a path on the triangle needs at least two points".into());
        }
        if let Some(bad) = knots.iter().find(|a| !on_triangle(**a)) {
            return Err(format!(
                "α = ({}, {}, {}) is not on the triangle: each weight must be ≥ 0 and they must sum to 1",
                bad[0], bad[1], bad[2]
            ));
        }
        Ok(Self { knots })
    }

    /// The legs.
    pub fn legs(&self) -> usize {
        self.knots.len() - 1
    }

    /// The start α(0) and end α(1).
    pub fn ends(&self) -> (Alpha, Alpha) {
        (self.knots[0], self.knots[self.knots.len() - 1])
    }

    /// The points the path runs through.
    pub fn knots(&self) -> &[Alpha] {
        &self.knots
    }

    /// α(s) and α̇(s) at s ∈ [0, 1] along the whole path.
    pub fn at(&self, s: f64) -> (Alpha, Alpha) {
        let m = self.legs() as f64;
        let u = (s.clamp(0.0, 1.0) * m).min(m - 1e-12);
        let leg = u.floor() as usize;
        self.on_leg(leg, u - leg as f64)
    }

    /// α(s) and α̇(s) on leg `leg` at its local fraction `f` ∈ [0, 1].
    pub fn on_leg(&self, leg: usize, f: f64) -> (Alpha, Alpha) {
        let (a, b) = (self.knots[leg], self.knots[leg + 1]);
        let m = self.legs() as f64;
        (
            std::array::from_fn(|k| a[k] + f * (b[k] - a[k])),
            std::array::from_fn(|k| m * (b[k] - a[k])),
        )
    }
}

/// The velocity along a path on the triangle: b = Σ_k α̇_k g_k.
pub fn path_velocity(point: &MultiPoint, alpha_dot: Alpha) -> P2 {
    let mut b = [0.0; 2];
    for (gk, a) in point.g.iter().zip(alpha_dot) {
        b[0] += a * gk[0];
        b[1] += a * gk[1];
    }
    b
}

#[cfg(test)]
#[path = "multimarginal_tests.rs"]
mod tests;
