//! Exact fields of the multi-marginal interpolant (docs/math.md §8.6) for every pair of plane
//! targets that has them:
//!
//! - two Gaussian mixtures: the mixture over pairs of components ([`Multimarginal`]);
//! - any target A (the checkerboard among them) and a mixture B of isotropic components (rings,
//!   moons, spirals, a drawing, a point set): given B's component j (weight w_j, mean ν_j,
//!   variance λ_j), x(α) − α_B ν_j = α_A x_A + ξ with ξ ~ N(0, σ_j² I), σ_j² = α0² + α_B² λ_j,
//!   which is A's two-marginal posterior problem with β = α_A, σ = σ_j. So ρ = Σ_j w_j ρ_j,
//!   E[x_A | x, j] is A's posterior mean g_j, and the Gaussian parts split the rest
//!   r_j = x − α_B ν_j − α_A g_j: E[x0 | x, j] = α0 r_j / σ_j², E[x_B | x, j] = ν_j + α_B λ_j r_j / σ_j².
//!
//! The checkerboard with the Gaussian mixture (anisotropic components) has no closed form here.

use crate::P2;
use crate::checker::CheckerAt;
use crate::mixture::{Mixture, MixtureAt};
use crate::multimarginal::{Alpha, MultiAt, MultiPoint, Multimarginal};
use crate::posterior::Posterior;
use crate::special::{HALF_LN_2PI, log_sum_exp};
use crate::targets::{ExactTarget, Target};

/// The smallest noise variance σ_j² used: at the vertex of target A (α0 = α_B = 0) the law is
/// A itself and has no Gaussian part.
const MIN_VAR: f64 = 1e-12;

/// An interpolant of N(0, I) and two targets with exact fields.
#[derive(Clone, Debug)]
pub enum MultiExact {
    /// Two Gaussian mixtures.
    Pairs(Multimarginal),
    /// Any target and a mixture of isotropic components; `swapped` when the isotropic one is
    /// the first target (α1) rather than the second (α2).
    Iso {
        /// Target A.
        any: ExactTarget,
        /// Mixture B, every component isotropic.
        iso: Mixture,
        /// Whether B is the first target.
        swapped: bool,
    },
}

/// Whether every component of `m` is isotropic.
fn isotropic(m: &Mixture) -> bool {
    m.components()
        .iter()
        .all(|c| c.cov.b == 0.0 && c.cov.a == c.cov.c)
}

impl MultiExact {
    /// The exact interpolant of N(0, I), `first` and `second`, where one exists (see the module
    /// notes); `None` otherwise, and for targets on the line.
    pub fn new(first: &Target, second: &Target) -> Option<Self> {
        if matches!(first, Target::Line(_)) || matches!(second, Target::Line(_)) {
            return None;
        }
        match (first.mixture(), second.mixture()) {
            (Some(a), Some(b)) => Some(MultiExact::Pairs(Multimarginal::new(a, b))),
            (None, Some(b)) if isotropic(&b) => Some(MultiExact::Iso {
                any: ExactTarget::new(first),
                iso: b,
                swapped: false,
            }),
            (Some(a), None) if isotropic(&a) => Some(MultiExact::Iso {
                any: ExactTarget::new(second),
                iso: a,
                swapped: true,
            }),
            _ => None,
        }
    }

    /// The constants of ρ(α, ·) and g_k(α, ·) at `alpha`.
    pub fn at(&self, alpha: Alpha) -> MultiExactAt {
        match self {
            MultiExact::Pairs(m) => MultiExactAt::Pairs(m.at(alpha)),
            MultiExact::Iso { any, iso, swapped } => {
                let (a_any, a_iso) = if *swapped {
                    (alpha[2], alpha[1])
                } else {
                    (alpha[1], alpha[2])
                };
                let comps = iso
                    .components()
                    .iter()
                    .map(|c| {
                        let var = (alpha[0] * alpha[0] + a_iso * a_iso * c.cov.a).max(MIN_VAR);
                        IsoComp {
                            ln_w: c.weight.ln(),
                            shift: [a_iso * c.mean[0], a_iso * c.mean[1]],
                            mean: c.mean,
                            lambda: c.cov.a,
                            var,
                            post: Prepared::new(any, a_any, var),
                            reach: matches!(any, ExactTarget::Checkerboard).then_some(4.0 * a_any),
                        }
                    })
                    .collect();
                MultiExactAt::Iso(IsoAt {
                    comps,
                    a0: alpha[0],
                    a_any,
                    a_iso,
                    swapped: *swapped,
                })
            }
        }
    }
}

/// Target A's posterior prepared for one (β, σ²).
#[derive(Clone, Debug)]
enum Prepared {
    Checker(CheckerAt),
    Mixture(MixtureAt),
    /// β = 0: x carries no information on x_A, whose posterior mean is its mean.
    Blind {
        mean: P2,
        var: f64,
    },
    Other {
        target: ExactTarget,
        beta: f64,
        sigma: f64,
    },
}

impl Prepared {
    fn new(any: &ExactTarget, beta: f64, var: f64) -> Self {
        if beta == 0.0 {
            return Prepared::Blind {
                mean: any.mean(),
                var,
            };
        }
        match any {
            ExactTarget::Checkerboard => Prepared::Checker(CheckerAt::new(beta, var.sqrt())),
            ExactTarget::Mixture(m) => Prepared::Mixture(m.at(beta, var)),
            other => Prepared::Other {
                target: other.clone(),
                beta,
                sigma: var.sqrt(),
            },
        }
    }

    /// (E[x_A | x], log density of x).
    fn eval(&self, x: P2) -> (P2, f64) {
        let p: Posterior = match self {
            Prepared::Checker(c) => c.posterior(x, false),
            Prepared::Mixture(m) => m.posterior(x, false),
            Prepared::Blind { mean, var } => {
                let q = (x[0] * x[0] + x[1] * x[1]) / var;
                return (*mean, -2.0 * HALF_LN_2PI - var.ln() - 0.5 * q);
            }
            Prepared::Other {
                target,
                beta,
                sigma,
            } => target.posterior(x, *beta, *sigma, false),
        };
        (p.g1, p.log_rho)
    }
}

#[derive(Clone, Debug)]
struct IsoComp {
    ln_w: f64,
    shift: P2,
    mean: P2,
    lambda: f64,
    var: f64,
    post: Prepared,
    /// Half the side of the box holding α_A·x_A, when A is bounded (the checkerboard).
    reach: Option<f64>,
}

/// Components whose density bound is this far (in log) below the best component's density are
/// left out: their weight is below e⁻³⁶ ≈ 2e-16 of it.
const PRUNE: f64 = 36.0;

/// The per-α constants of [`MultiExact::at`].
#[derive(Clone, Debug)]
pub enum MultiExactAt {
    /// Two mixtures.
    Pairs(MultiAt),
    /// A target and an isotropic mixture.
    Iso(IsoAt),
}

/// The per-α constants of a target and an isotropic mixture.
#[derive(Clone, Debug)]
pub struct IsoAt {
    comps: Vec<IsoComp>,
    a0: f64,
    a_any: f64,
    a_iso: f64,
    swapped: bool,
}

impl MultiExactAt {
    /// log ρ(α, x) and the three g_k at `x`.
    pub fn eval(&self, x: P2) -> MultiPoint {
        match self {
            MultiExactAt::Pairs(p) => p.eval(x),
            MultiExactAt::Iso(i) => i.eval(x),
        }
    }
}

impl IsoAt {
    fn eval(&self, x: P2) -> MultiPoint {
        let IsoAt {
            comps,
            a0,
            a_any,
            a_iso,
            swapped,
        } = self;
        // ρ_j(y) = E N(y − α_A x_A; 0, σ_j²I) is at most N(d; 0, σ_j²I), d the distance from y to
        // the box holding α_A x_A: components far below the best one are skipped (their
        // weight is zero to double precision), which makes a sharp target's many tubes cheap.
        let bound = |c: &IsoComp| match c.reach {
            Some(h) => {
                let d2: f64 = (0..2)
                    .map(|d| ((x[d] - c.shift[d]).abs() - h).max(0.0).powi(2))
                    .sum();
                c.ln_w - (2.0 * core::f64::consts::PI * c.var).ln() - 0.5 * d2 / c.var
            }
            None => f64::INFINITY,
        };
        let bounds: Vec<f64> = comps.iter().map(bound).collect();
        let eval = |c: &IsoComp| {
            let (g, l) = c.post.eval([x[0] - c.shift[0], x[1] - c.shift[1]]);
            (g, c.ln_w + l)
        };
        let best = bounds
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i);
        let top = eval(&comps[best]);
        let floor = top.1 - PRUNE;
        let parts: Vec<(P2, f64)> = comps
            .iter()
            .zip(&bounds)
            .enumerate()
            .map(|(i, (c, b))| {
                if i == best {
                    top
                } else if *b < floor {
                    ([0.0; 2], f64::NEG_INFINITY)
                } else {
                    eval(c)
                }
            })
            .collect();
        let logs: Vec<f64> = parts.iter().map(|p| p.1).collect();
        let log_rho = log_sum_exp(&logs);
        let (mut g0, mut ga, mut gb) = ([0.0; 2], [0.0; 2], [0.0; 2]);
        for (c, (g, l)) in comps.iter().zip(&parts) {
            let w = (l - log_rho).exp();
            if w.is_nan() || w <= 1e-300 {
                continue;
            }
            for d in 0..2 {
                let r = x[d] - c.shift[d] - a_any * g[d];
                g0[d] += w * a0 * r / c.var;
                ga[d] += w * g[d];
                gb[d] += w * (c.mean[d] + a_iso * c.lambda * r / c.var);
            }
        }
        let g = if *swapped { [g0, gb, ga] } else { [g0, ga, gb] };
        MultiPoint { log_rho, g }
    }
}

#[cfg(test)]
#[path = "multi_exact_tests.rs"]
mod tests;
