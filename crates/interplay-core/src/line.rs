//! Interpolants on the line, for the space–time figure: x_t = α x0 + β x1 + γ z with x0, z ~
//! N(0, 1) and x1 from a one-dimensional target (docs/math.md §6.4).
//!
//! The targets are mixtures of pieces, each a normal or a uniform on an interval, so the
//! posterior of x1 given x_t = x is a mixture of normals and truncated normals, in closed form.
//! Its mean and variance go through the same identities as the plane's
//! ([`crate::posterior::identity`]), with the line as the plane's x-axis: a point x is [x, 0].
//! The same embedding lets the one stepper carry flow lines and SDE paths ([`LineField`] is an
//! [`crate::integrate::Field`] whose fields have no second component; only the first coordinate
//! of its particles means anything).

use crate::integrate::{Field, VIEW_T_END};
use crate::posterior::identity;
use crate::schedule::{Schedule, ScheduleAt};
use crate::special::{HALF_LN_2PI, ln_phi, log_sum_exp, mills};
use crate::{P2, Rng};

/// One piece of a target on the line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Piece {
    /// N(mu, sd²).
    Normal {
        /// Mean.
        mu: f64,
        /// Standard deviation (> 0).
        sd: f64,
    },
    /// Uniform on [lo, hi] (lo < hi).
    Uniform {
        /// Left end.
        lo: f64,
        /// Right end.
        hi: f64,
    },
}

/// A target on the line: a mixture of pieces with positive weights summing to 1.
#[derive(Clone, Debug, PartialEq)]
pub struct LineTarget {
    pieces: Vec<(f64, Piece)>,
}

/// Bins of a drawn target on the line.
pub const DRAWN_BINS: usize = 40;
/// A drawn target on the line covers [−DRAWN_HALF, DRAWN_HALF].
pub const DRAWN_HALF: f64 = 4.0;
/// The drawing shown before a reader draws: two bars of different heights and a low one.
pub const DEFAULT_DRAWN: &str = "0000003333330000000000099999000000555500";

/// The drawing code `code` (empty: [`DEFAULT_DRAWN`]) with the bin holding x set to `height`
/// (0–9, clamped); x outside the drawn range leaves the code as it is.
pub fn set_drawn_bin(code: &str, x: f64, height: f64) -> String {
    let base = if code.len() == DRAWN_BINS && code.chars().all(|c| c.is_ascii_digit()) {
        code
    } else {
        DEFAULT_DRAWN
    };
    let f = (x + DRAWN_HALF) / (2.0 * DRAWN_HALF) * DRAWN_BINS as f64;
    if !(0.0..DRAWN_BINS as f64).contains(&f) {
        return base.to_owned();
    }
    let digit = char::from(b'0' + height.round().clamp(0.0, 9.0) as u8);
    base.chars()
        .enumerate()
        .map(|(i, c)| if i == f as usize { digit } else { c })
        .collect()
}

/// Below this interval width in standard units (δ = β·width/σ) a uniform piece uses the series
/// in δ (exact at β = 0), where the difference of two normal cdfs would cancel.
const TINY_DELTA: f64 = 1e-3;

/// The posterior of x1 given x_t = x on the line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinePosterior {
    /// E[x1 | x_t = x].
    pub g1: f64,
    /// Var(x1 | x_t = x).
    pub var: f64,
    /// log ρ(t, x).
    pub log_rho: f64,
}

/// (log evidence, posterior mean, posterior variance) of a uniform piece on [lo, hi] for
/// x = β y + σ u, u ~ N(0, 1): the truncated normal of y, evaluated by Mills ratios so that
/// nothing cancels or underflows in the tails.
fn uniform_piece(x: f64, beta: f64, sigma: f64, lo: f64, hi: f64) -> (f64, f64, f64) {
    let w = hi - lo;
    let c = 0.5 * (lo + hi);
    let delta = beta * w / sigma;
    let mid = (beta * c - x) / sigma;
    if delta < TINY_DELTA {
        let log_ev = ln_phi(mid) - sigma.ln() + ((mid * mid - 1.0) * delta * delta / 24.0).ln_1p();
        let mean = c + (x - beta * c) * beta * w * w / (12.0 * sigma * sigma);
        return (log_ev, mean, w * w / 12.0);
    }
    let (ua, ub) = ((beta * lo - x) / sigma, (beta * hi - x) / sigma);
    // (log of Φ(ub) − Φ(ua), E[U], (ua φ(ua) − ub φ(ub))/(Φ(ub) − Φ(ua))) for U truncated to
    // [ua, ub]; e is the ratio of the far density to the near one, e − 1 kept accurate.
    let (log_mass, eu, wt) = if ua > 0.0 || ub < 0.0 {
        let em1 = (-delta * mid.abs()).exp_m1();
        let e = 1.0 + em1;
        if ua > 0.0 {
            let den = mills(ua) - e * mills(ub);
            (ln_phi(ua) + den.ln(), -em1 / den, (ua - e * ub) / den)
        } else {
            let den = mills(-ub) - e * mills(-ua);
            (ln_phi(ub) + den.ln(), em1 / den, (e * ua - ub) / den)
        }
    } else {
        let (pa, pb) = (ln_phi(ua).exp(), ln_phi(ub).exp());
        let mass = 1.0 - pa * mills(-ua) - pb * mills(ub);
        (mass.ln(), (pa - pb) / mass, (ua * pa - ub * pb) / mass)
    };
    let scale = sigma / beta;
    let mean = c + scale * (eu - mid);
    let var = scale * scale * (1.0 + wt - eu * eu).max(0.0);
    (log_mass - (beta * w).ln(), mean, var)
}

/// (log evidence, posterior mean, posterior variance) of a normal piece N(mu, sd²).
fn normal_piece(x: f64, beta: f64, sigma: f64, mu: f64, sd: f64) -> (f64, f64, f64) {
    let s2 = sd * sd;
    let v = beta * beta * s2 + sigma * sigma;
    let r = x - beta * mu;
    let log_ev = -0.5 * r * r / v - 0.5 * v.ln() - HALF_LN_2PI;
    (log_ev, mu + beta * s2 * r / v, s2 * sigma * sigma / v)
}

impl Default for LineTarget {
    /// The checkerboard's marginal: uniform on [−4, 4].
    fn default() -> Self {
        Self {
            pieces: vec![(1.0, Piece::Uniform { lo: -4.0, hi: 4.0 })],
        }
    }
}

impl LineTarget {
    /// The names of the named targets, in menu order.
    pub const NAMES: [&'static str; 3] = ["checkerboard", "gmm", "bars"];

    /// A mixture of `pieces` with weights in proportion to the given ones, or what is wrong.
    pub fn new(pieces: Vec<(f64, Piece)>) -> Result<Self, String> {
        let total: f64 = pieces.iter().map(|(w, _)| *w).sum();
        if pieces.is_empty() || !(total.is_finite() && total > 0.0) {
            return Err("a target on the line needs at least one piece of positive weight".into());
        }
        for (w, p) in &pieces {
            let ok = *w >= 0.0
                && match *p {
                    Piece::Normal { mu, sd } => mu.is_finite() && sd.is_finite() && sd > 0.0,
                    Piece::Uniform { lo, hi } => lo.is_finite() && hi.is_finite() && lo < hi,
                };
            if !ok {
                return Err(format!("not a valid piece of a target: {w} × {p:?}"));
            }
        }
        Ok(Self {
            pieces: pieces
                .into_iter()
                .filter(|(w, _)| *w > 0.0)
                .map(|(w, p)| (w / total, p))
                .collect(),
        })
    }

    /// A named target ([`LineTarget::NAMES`]): the checkerboard's marginal (uniform on
    /// [−4, 4]), a mixture of three normals, and bars (a mixture of three uniforms).
    pub fn from_name(name: &str) -> Option<Self> {
        let u = |lo, hi| Piece::Uniform { lo, hi };
        let n = |mu, sd| Piece::Normal { mu, sd };
        let pieces = match name {
            "checkerboard" => vec![(1.0, u(-4.0, 4.0))],
            "gmm" => vec![
                (0.3, n(-2.5, 0.4)),
                (0.45, n(0.5, 0.6)),
                (0.25, n(3.0, 0.3)),
            ],
            "bars" => vec![
                (0.3, u(-3.5, -2.5)),
                (0.4, u(-1.0, 0.5)),
                (0.3, u(2.0, 3.5)),
            ],
            _ => return None,
        };
        Self::new(pieces).ok()
    }

    /// A histogram: `weights[i]` on the bin i of `bins` equal bins over [lo, hi] (what a reader
    /// draws). Needs at least one positive weight.
    pub fn histogram(lo: f64, hi: f64, weights: &[f64]) -> Result<Self, String> {
        if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) || weights.is_empty() {
            return Err("a histogram needs bins over an interval".into());
        }
        let h = (hi - lo) / weights.len() as f64;
        let pieces = weights
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                let a = lo + i as f64 * h;
                (w, Piece::Uniform { lo: a, hi: a + h })
            })
            .collect();
        Self::new(pieces).map_err(|_| "the histogram has no bin of positive weight".to_owned())
    }

    /// The histogram of a drawing code: one digit 0–9 per bin of [`DRAWN_BINS`] equal bins
    /// over [−[`DRAWN_HALF`], [`DRAWN_HALF`]] (bottom to top), the digit its height; or what is
    /// wrong with the code.
    pub fn from_code(code: &str) -> Result<Self, String> {
        let weights: Vec<f64> = code
            .chars()
            .map(|c| {
                c.to_digit(10)
                    .map(f64::from)
                    .ok_or_else(|| format!("a drawn line has digits 0–9 only, not '{c}'"))
            })
            .collect::<Result<_, _>>()?;
        if weights.len() != DRAWN_BINS {
            return Err(format!(
                "a drawn line has {DRAWN_BINS} digits (one per bin), not {}",
                weights.len()
            ));
        }
        Self::histogram(-DRAWN_HALF, DRAWN_HALF, &weights)
            .map_err(|_| "a drawn line needs at least one bin above 0".to_owned())
    }

    /// A named target or a drawing code: what a link or the command line names.
    pub fn parse(code: &str) -> Result<Self, String> {
        if let Some(t) = Self::from_name(code) {
            return Ok(t);
        }
        Self::from_code(code).map_err(|e| {
            format!(
                "a target on the line is one of {} or a drawing of {DRAWN_BINS} digits 0–9 \
                 ({e})",
                Self::NAMES.join(", ")
            )
        })
    }

    /// The variance Σ w·(variance + mean² of the piece) − mean².
    pub fn variance(&self) -> f64 {
        let m = self.mean();
        let second: f64 = self
            .pieces
            .iter()
            .map(|(w, p)| match *p {
                Piece::Normal { mu, sd } => w * (sd * sd + mu * mu),
                Piece::Uniform { lo, hi } => {
                    let c = 0.5 * (lo + hi);
                    w * ((hi - lo).powi(2) / 12.0 + c * c)
                }
            })
            .sum();
        second - m * m
    }

    /// The mean Σ w·(mean of the piece).
    pub fn mean(&self) -> f64 {
        self.pieces
            .iter()
            .map(|(w, p)| match *p {
                Piece::Normal { mu, .. } => w * mu,
                Piece::Uniform { lo, hi } => w * 0.5 * (lo + hi),
            })
            .sum()
    }

    /// The pieces with their weights (summing to 1).
    pub fn pieces(&self) -> &[(f64, Piece)] {
        &self.pieces
    }

    /// log ρ1(y).
    pub fn log_density(&self, y: f64) -> f64 {
        let terms: Vec<f64> = self
            .pieces
            .iter()
            .map(|&(w, p)| {
                w.ln()
                    + match p {
                        Piece::Normal { mu, sd } => ln_phi((y - mu) / sd) - sd.ln(),
                        Piece::Uniform { lo, hi } if (lo..=hi).contains(&y) => -(hi - lo).ln(),
                        Piece::Uniform { .. } => f64::NEG_INFINITY,
                    }
            })
            .collect();
        log_sum_exp(&terms)
    }

    /// `n` samples of ρ1.
    pub fn sample(&self, rng: &mut Rng, n: usize) -> Vec<f64> {
        (0..n)
            .map(|_| {
                let mut u = rng.uniform();
                let mut piece = self.pieces[self.pieces.len() - 1].1;
                for &(w, p) in &self.pieces {
                    if u < w {
                        piece = p;
                        break;
                    }
                    u -= w;
                }
                match piece {
                    Piece::Normal { mu, sd } => mu + sd * rng.normal(),
                    Piece::Uniform { lo, hi } => lo + (hi - lo) * rng.uniform(),
                }
            })
            .collect()
    }

    /// The posterior of x1 given x_t = x at the schedule values `st` (σ > 0).
    pub fn posterior(&self, st: &ScheduleAt, x: f64) -> LinePosterior {
        self.posterior_at(st.beta, st.sigma2().sqrt(), x)
    }

    /// The posterior of x1 given x = β·x1 + σ·u, u ~ N(0, 1) (σ > 0).
    pub fn posterior_at(&self, beta: f64, sigma: f64, x: f64) -> LinePosterior {
        let parts: Vec<(f64, f64, f64)> = self
            .pieces
            .iter()
            .map(|&(w, p)| {
                let (ev, m, v) = match p {
                    Piece::Normal { mu, sd } => normal_piece(x, beta, sigma, mu, sd),
                    Piece::Uniform { lo, hi } => uniform_piece(x, beta, sigma, lo, hi),
                };
                (w.ln() + ev, m, v)
            })
            .collect();
        let logs: Vec<f64> = parts.iter().map(|p| p.0).collect();
        let log_rho = log_sum_exp(&logs);
        let resp: Vec<f64> = logs.iter().map(|l| (l - log_rho).exp()).collect();
        let g1: f64 = resp.iter().zip(&parts).map(|(r, p)| r * p.1).sum();
        let var = resp
            .iter()
            .zip(&parts)
            .map(|(r, p)| r * (p.2 + (p.1 - g1) * (p.1 - g1)))
            .sum();
        LinePosterior { g1, var, log_rho }
    }
}

/// The exact fields of an interpolant on the line.
#[derive(Clone, Debug, PartialEq)]
pub struct LineField {
    /// The schedule.
    pub schedule: Schedule,
    /// The target ρ1.
    pub target: LineTarget,
}

/// The fields at one point: b, s, ∂ₓb and log ρ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinePoint {
    /// The velocity b(t, x).
    pub b: f64,
    /// The score s(t, x) = ∂ₓ log ρ(t, x).
    pub s: f64,
    /// ∂ₓ b(t, x).
    pub div_b: f64,
    /// log ρ(t, x).
    pub log_rho: f64,
}

impl LineField {
    /// The fields of `target` under `schedule`.
    pub fn new(schedule: Schedule, target: LineTarget) -> Self {
        Self { schedule, target }
    }

    /// The fields at (t, x), with t clamped to [0, VIEW_T_END] (σ > 0 there).
    pub fn point(&self, t: f64, x: f64) -> LinePoint {
        let st = self.schedule.at(t.clamp(0.0, VIEW_T_END));
        let post = self.target.posterior(&st, x);
        let (xs, g1) = ([x, 0.0], [post.g1, 0.0]);
        let s = identity::score(&st, xs, g1);
        LinePoint {
            b: identity::velocity(&st, g1, s)[0],
            s: s[0],
            div_b: identity::div_velocity_in(&st, post.var, 1.0),
            log_rho: post.log_rho,
        }
    }

    /// ρ(t, x).
    pub fn rho(&self, t: f64, x: f64) -> f64 {
        self.point(t, x).log_rho.exp()
    }
}

impl Field for LineField {
    fn schedule_at(&self, t: f64) -> ScheduleAt {
        self.schedule.at(t)
    }
    fn velocity(&self, t: f64, xs: &[P2], b: &mut [P2]) {
        for (x, b) in xs.iter().zip(b) {
            *b = [self.point(t, x[0]).b, 0.0];
        }
    }
    fn velocity_score(&self, t: f64, xs: &[P2], b: &mut [P2], s: &mut [P2]) {
        for ((x, b), s) in xs.iter().zip(b).zip(s) {
            let p = self.point(t, x[0]);
            *b = [p.b, 0.0];
            *s = [p.s, 0.0];
        }
    }
    fn velocity_div(&self, t: f64, xs: &[P2], b: &mut [P2], div: &mut [f64]) {
        for ((x, b), d) in xs.iter().zip(b).zip(div) {
            let p = self.point(t, x[0]);
            *b = [p.b, 0.0];
            *d = p.div_b;
        }
    }
}

#[cfg(test)]
#[path = "line_tests.rs"]
mod tests;
