//! Gaussian mixtures: sampling and the exact posterior for a Gaussian base (docs/math.md §6.1).
//!
//! ρ1 = Σ_j p_j N(μ_j, C_j). With x_t | x1 ~ N(β x1, σ² I) the component j of x_t is
//! N(β μ_j, S_j) with S_j = σ² I + β² C_j, and
//!
//! ```text
//! w_j(x)  ∝ p_j N(x; β μ_j, S_j)
//! g1(t,x) = Σ_j w_j [ μ_j + β C_j S_j⁻¹ (x − β μ_j) ]
//! Cov(x1 | x_t = x) = Σ_j w_j [ C_j − β² C_j S_j⁻¹ C_j + (m_j − g1)(m_j − g1)ᵀ ].
//! ```
//! Log densities use the closed-form 2×2 inverse and determinant and a log-sum-exp, so tails do
//! not underflow. A component with C_j = 0 is a point mass: finite point sets are mixtures too.

use crate::posterior::Posterior;
use crate::special::log_sum_exp;
use crate::{P2, Rng};

/// A symmetric 2×2 matrix [[a, b], [b, c]].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sym2 {
    /// Entry (0, 0).
    pub a: f64,
    /// Entries (0, 1) and (1, 0).
    pub b: f64,
    /// Entry (1, 1).
    pub c: f64,
}

impl Sym2 {
    /// s·I.
    pub fn iso(s: f64) -> Self {
        Self { a: s, b: 0.0, c: s }
    }
    pub(crate) fn det(&self) -> f64 {
        self.a * self.c - self.b * self.b
    }
    pub(crate) fn inv(&self) -> Self {
        let d = self.det();
        Self {
            a: self.c / d,
            b: -self.b / d,
            c: self.a / d,
        }
    }
    pub(crate) fn quad(&self, v: P2) -> f64 {
        self.a * v[0] * v[0] + 2.0 * self.b * v[0] * v[1] + self.c * v[1] * v[1]
    }
    /// Lower Cholesky factor (l00, l10, l11) of a positive semi-definite matrix.
    fn cholesky(&self) -> (f64, f64, f64) {
        let l00 = self.a.max(0.0).sqrt();
        let l10 = if l00 > 0.0 { self.b / l00 } else { 0.0 };
        let l11 = (self.c - l10 * l10).max(0.0).sqrt();
        (l00, l10, l11)
    }
}

/// One weighted Gaussian component.
#[derive(Clone, Debug, PartialEq)]
pub struct Component {
    /// Mixture weight p_j (the weights of a mixture sum to 1).
    pub weight: f64,
    /// Mean μ_j.
    pub mean: P2,
    /// Covariance C_j (zero for a point mass).
    pub cov: Sym2,
}

/// A Gaussian mixture target.
#[derive(Clone, Debug, PartialEq)]
pub struct Mixture {
    comps: Vec<Component>,
    /// Cumulative weights, for sampling.
    cdf: Vec<f64>,
}

impl Mixture {
    /// A mixture from components; the weights are normalised to sum to 1.
    pub fn new(mut comps: Vec<Component>) -> Self {
        assert!(!comps.is_empty(), "a mixture needs at least one component");
        let total: f64 = comps.iter().map(|c| c.weight).sum();
        let mut acc = 0.0;
        let mut cdf = Vec::with_capacity(comps.len());
        for c in &mut comps {
            c.weight /= total;
            acc += c.weight;
            cdf.push(acc);
        }
        Self { comps, cdf }
    }

    /// The components.
    pub fn components(&self) -> &[Component] {
        &self.comps
    }

    /// The covariance Σ p_j (C_j + μ_j μ_jᵀ) − μμᵀ.
    pub fn covariance(&self) -> Sym2 {
        let m = self.mean();
        let (mut a, mut b, mut c) = (0.0, 0.0, 0.0);
        for k in &self.comps {
            a += k.weight * (k.cov.a + k.mean[0] * k.mean[0]);
            b += k.weight * (k.cov.b + k.mean[0] * k.mean[1]);
            c += k.weight * (k.cov.c + k.mean[1] * k.mean[1]);
        }
        Sym2 {
            a: a - m[0] * m[0],
            b: b - m[0] * m[1],
            c: c - m[1] * m[1],
        }
    }

    /// The mean Σ p_j μ_j.
    pub fn mean(&self) -> P2 {
        self.comps.iter().fold([0.0, 0.0], |m, c| {
            [m[0] + c.weight * c.mean[0], m[1] + c.weight * c.mean[1]]
        })
    }

    /// `n` samples.
    pub fn sample(&self, rng: &mut Rng, n: usize) -> Vec<P2> {
        (0..n)
            .map(|_| {
                let u = rng.uniform();
                let j = self
                    .cdf
                    .partition_point(|&c| c <= u)
                    .min(self.comps.len() - 1);
                let c = &self.comps[j];
                let (l00, l10, l11) = c.cov.cholesky();
                let [e0, e1] = rng.normal2();
                [c.mean[0] + l00 * e0, c.mean[1] + l10 * e0 + l11 * e1]
            })
            .collect()
    }

    /// log ρ1(x); −∞ away from point masses.
    pub fn log_density(&self, x: P2) -> f64 {
        let l: Vec<f64> = self
            .comps
            .iter()
            .map(|c| {
                let det = c.cov.det();
                if det <= 0.0 {
                    return f64::NEG_INFINITY;
                }
                let d = [x[0] - c.mean[0], x[1] - c.mean[1]];
                c.weight.ln() - 0.5 * det.ln() - LN_2PI - 0.5 * c.cov.inv().quad(d)
            })
            .collect();
        log_sum_exp(&l)
    }

    /// Mean and covariance of the mixture.
    pub fn moments(&self) -> (P2, Sym2) {
        let mut m = [0.0; 2];
        for c in &self.comps {
            m[0] += c.weight * c.mean[0];
            m[1] += c.weight * c.mean[1];
        }
        let mut cov = Sym2::iso(0.0);
        for c in &self.comps {
            let d = [c.mean[0] - m[0], c.mean[1] - m[1]];
            cov.a += c.weight * (c.cov.a + d[0] * d[0]);
            cov.b += c.weight * (c.cov.b + d[0] * d[1]);
            cov.c += c.weight * (c.cov.c + d[1] * d[1]);
        }
        (m, cov)
    }

    /// Per-time constants for the posterior at (β, σ²).
    pub fn at(&self, beta: f64, sigma2: f64) -> MixtureAt {
        let per = self
            .comps
            .iter()
            .map(|c| {
                let s = Sym2 {
                    a: sigma2 + beta * beta * c.cov.a,
                    b: beta * beta * c.cov.b,
                    c: sigma2 + beta * beta * c.cov.c,
                };
                let p = s.inv();
                // K = β C S⁻¹ (not symmetric in general).
                let k = [
                    [
                        beta * (c.cov.a * p.a + c.cov.b * p.b),
                        beta * (c.cov.a * p.b + c.cov.b * p.c),
                    ],
                    [
                        beta * (c.cov.b * p.a + c.cov.c * p.b),
                        beta * (c.cov.b * p.b + c.cov.c * p.c),
                    ],
                ];
                // Cov(x1 | x_t, j) = C − β² C S⁻¹ C = σ² C S⁻¹ (no cancellation).
                let cp_tr = c.cov.a * p.a + 2.0 * c.cov.b * p.b + c.cov.c * p.c;
                CompAt {
                    log_norm: c.weight.ln() - 0.5 * s.det().ln() - LN_2PI,
                    prec: p,
                    k,
                    center: [beta * c.mean[0], beta * c.mean[1]],
                    mean: c.mean,
                    cov_tr: sigma2 * cp_tr,
                }
            })
            .collect();
        MixtureAt { per }
    }
}

const LN_2PI: f64 = 1.837_877_066_409_345_5;

#[derive(Clone, Debug)]
struct CompAt {
    log_norm: f64,
    prec: Sym2,
    k: [[f64; 2]; 2],
    center: P2,
    mean: P2,
    cov_tr: f64,
}

/// A mixture's posterior constants at one time.
#[derive(Clone, Debug)]
pub struct MixtureAt {
    per: Vec<CompAt>,
}

impl MixtureAt {
    /// The posterior at x; the covariance trace only when `want_cov`.
    pub fn posterior(&self, x: P2, want_cov: bool) -> Posterior {
        let n = self.per.len();
        let mut stack = [0.0f64; 64];
        let mut heap;
        let l: &mut [f64] = if n <= 64 {
            &mut stack[..n]
        } else {
            heap = vec![0.0; n];
            &mut heap
        };
        let mut lmax = f64::NEG_INFINITY;
        for (li, c) in l.iter_mut().zip(&self.per) {
            let d = [x[0] - c.center[0], x[1] - c.center[1]];
            *li = c.log_norm - 0.5 * c.prec.quad(d);
            lmax = lmax.max(*li);
        }
        let mean_of = |c: &CompAt| {
            let d = [x[0] - c.center[0], x[1] - c.center[1]];
            [
                c.mean[0] + c.k[0][0] * d[0] + c.k[0][1] * d[1],
                c.mean[1] + c.k[1][0] * d[0] + c.k[1][1] * d[1],
            ]
        };
        let (mut z, mut g, mut sc) = (0.0, [0.0; 2], [0.0; 2]);
        for (li, c) in l.iter_mut().zip(&self.per) {
            let rel = *li - lmax;
            if rel < -40.0 {
                // Below 4e-18 of the largest weight: nothing at f64 precision, and at late t most
                // components of a curve are this far from x.
                *li = 0.0;
                continue;
            }
            *li = rel.exp();
            let m = mean_of(c);
            // Component score −S⁻¹(x − β μ): no division by σ², finite at t = 1.
            let d = [x[0] - c.center[0], x[1] - c.center[1]];
            z += *li;
            g[0] += *li * m[0];
            g[1] += *li * m[1];
            sc[0] -= *li * (c.prec.a * d[0] + c.prec.b * d[1]);
            sc[1] -= *li * (c.prec.b * d[0] + c.prec.c * d[1]);
        }
        let g1 = [g[0] / z, g[1] / z];
        let score = [sc[0] / z, sc[1] / z];
        let mut tr_cov = f64::NAN;
        if want_cov {
            let mut acc = 0.0;
            for (wi, c) in l.iter().zip(&self.per) {
                let m = mean_of(c);
                let d = [m[0] - g1[0], m[1] - g1[1]];
                acc += wi * (c.cov_tr + d[0] * d[0] + d[1] * d[1]);
            }
            tr_cov = acc / z;
        }
        Posterior {
            g1,
            score,
            tr_cov,
            log_rho: lmax + z.ln(),
        }
    }
}
