//! Exact fields for a Gaussian base, and the identities of docs/math.md §2 that link them.
//!
//! With x0 ~ N(0, I) ⟂ z ~ N(0, I) ⟂ x1, the Gaussian part n = α x0 + γ z of x_t has variance
//! σ² = α² + γ², so x_t | x1 ~ N(β x1, σ² I) and everything follows from the posterior mean
//! g1 = E[x1 | x_t = x] and, for divergences, tr Cov(x1 | x_t = x):
//!
//! ```text
//! s  = −(x − β g1)/σ²                     (Tweedie)
//! b  = β̇ g1 + (σσ̇/σ²)(x − β g1) = β̇ g1 − σσ̇ s      σσ̇ = αα̇ + γγ̇
//! v  = β̇ g1 − αα̇ s                       b = v − γγ̇ s
//! η  = E[z | x_t] = −γ s                  s = −η/γ   (README sign)
//! g0 = E[x0 | x_t] = −α s
//! ∇·g1 = (β/σ²) tr Cov,  ∇·b = β̇ ∇·g1 + (σσ̇/σ²)(d − β ∇·g1),  ∇·s = −(d − β ∇·g1)/σ²
//! ```
//! A posterior supplies g1 and s together: a mixture computes s without dividing by σ², so its
//! fields stay finite at t = 1 when the target has a density. These formulas live only here;
//! every other module calls them.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::checker::CheckerTable;
use crate::mixture::{Mixture, MixtureAt};
use crate::schedule::{Schedule, ScheduleAt};
use crate::targets::Target;
use crate::{P2, Rng, checker};

/// The posterior of x1 given x_t = x, and the density of x_t.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Posterior {
    /// g1 = E[x1 | x_t = x].
    pub g1: P2,
    /// The score s = ∇ log ρ(t, x) = −(x − β g1)/σ².
    pub score: P2,
    /// tr Cov(x1 | x_t = x) (NaN when not requested).
    pub tr_cov: f64,
    /// log ρ(t, x).
    pub log_rho: f64,
}

/// The identities of docs/math.md §2 for a Gaussian base, at one time.
pub mod identity {
    use super::{P2, ScheduleAt};

    /// Dimension d.
    const D: f64 = 2.0;

    /// The residual r = x − β g1 (the posterior mean of the Gaussian part).
    pub fn residual(st: &ScheduleAt, x: P2, g1: P2) -> P2 {
        [x[0] - st.beta * g1[0], x[1] - st.beta * g1[1]]
    }
    /// s = −(x − β g1)/σ² (for posteriors that only know g1).
    pub fn score(st: &ScheduleAt, x: P2, g1: P2) -> P2 {
        let r = residual(st, x, g1);
        let k = -1.0 / st.sigma2();
        [k * r[0], k * r[1]]
    }
    /// b = β̇ g1 − σσ̇ s.
    pub fn velocity(st: &ScheduleAt, g1: P2, s: P2) -> P2 {
        let k = st.sigma_d_sigma();
        [st.d_beta * g1[0] - k * s[0], st.d_beta * g1[1] - k * s[1]]
    }
    /// v = E[α̇ x0 + β̇ x1 | x_t] = β̇ g1 − αα̇ s.
    pub fn v(st: &ScheduleAt, g1: P2, s: P2) -> P2 {
        let k = st.alpha_d_alpha;
        [st.d_beta * g1[0] - k * s[0], st.d_beta * g1[1] - k * s[1]]
    }
    /// η = E[z | x_t] = −γ s (the README sign: s = −η/γ).
    pub fn eta(st: &ScheduleAt, s: P2) -> P2 {
        [-st.gamma * s[0], -st.gamma * s[1]]
    }
    /// g0 = E[x0 | x_t] = −α s.
    pub fn g0(st: &ScheduleAt, s: P2) -> P2 {
        [-st.alpha * s[0], -st.alpha * s[1]]
    }
    /// b = v − γγ̇ s.
    pub fn velocity_from_v_score(st: &ScheduleAt, v: P2, s: P2) -> P2 {
        [
            v[0] - st.gamma_d_gamma * s[0],
            v[1] - st.gamma_d_gamma * s[1],
        ]
    }
    /// s = −η/γ (needs γ > 0).
    pub fn score_from_eta(st: &ScheduleAt, eta: P2) -> P2 {
        [-eta[0] / st.gamma, -eta[1] / st.gamma]
    }
    /// g1 = (x + σ² s)/β, the Tweedie denoiser (needs β > 0).
    pub fn g1_from_score(st: &ScheduleAt, x: P2, s: P2) -> P2 {
        let s2 = st.sigma2();
        [(x[0] + s2 * s[0]) / st.beta, (x[1] + s2 * s[1]) / st.beta]
    }
    /// b = β̇ g1 − σσ̇ s, from a score alone (needs β > 0 for g1).
    pub fn velocity_from_score(st: &ScheduleAt, x: P2, s: P2) -> P2 {
        velocity(st, g1_from_score(st, x, s), s)
    }
    /// ∇·b from tr Cov(x1 | x_t).
    pub fn div_velocity(st: &ScheduleAt, tr_cov: f64) -> f64 {
        let s2 = st.sigma2();
        let div_g1 = st.beta / s2 * tr_cov;
        st.d_beta * div_g1 + st.sigma_d_sigma() / s2 * (D - st.beta * div_g1)
    }
    /// ∇·s from tr Cov(x1 | x_t).
    pub fn div_score(st: &ScheduleAt, tr_cov: f64) -> f64 {
        let s2 = st.sigma2();
        -(D - st.beta * st.beta / s2 * tr_cov) / s2
    }
}

/// A target prepared for exact evaluation.
#[derive(Clone, Debug)]
pub enum ExactTarget {
    /// The checkerboard, with its closed-form posterior.
    Checkerboard,
    /// Any target given as a Gaussian mixture (including point sets).
    Mixture(Mixture),
}

impl ExactTarget {
    /// Prepares a target.
    pub fn new(target: &Target) -> Self {
        match target.mixture() {
            None => ExactTarget::Checkerboard,
            Some(m) => ExactTarget::Mixture(m),
        }
    }

    /// `n` samples of ρ1.
    pub fn sample(&self, rng: &mut Rng, n: usize) -> Vec<P2> {
        match self {
            ExactTarget::Checkerboard => checker::sample(rng, n),
            ExactTarget::Mixture(m) => m.sample(rng, n),
        }
    }

    /// The posterior of x1 given x = β·x1 + σ·ξ (ξ ~ N(0, I), σ > 0), for any (β, σ): the
    /// schedule-free form of docs/math.md §8.4 (with β = 1 and σ = λ it is D(λ, x)).
    pub fn posterior(&self, x: P2, beta: f64, sigma: f64, want_cov: bool) -> Posterior {
        match self {
            ExactTarget::Checkerboard => {
                let mut p = checker::posterior(x, beta, sigma, want_cov);
                let s2 = sigma * sigma;
                p.score = [-(x[0] - beta * p.g1[0]) / s2, -(x[1] - beta * p.g1[1]) / s2];
                p
            }
            ExactTarget::Mixture(m) => m.at(beta, sigma * sigma).posterior(x, want_cov),
        }
    }

    /// log ρ1(x).
    pub fn log_density(&self, x: P2) -> f64 {
        match self {
            ExactTarget::Checkerboard => checker::log_density(x),
            ExactTarget::Mixture(m) => m.log_density(x),
        }
    }
}

/// The exact fields of a schedule and a target.
#[derive(Clone, Debug)]
pub struct ExactField {
    schedule: Schedule,
    target: ExactTarget,
    tables: TableCache,
}

/// Checkerboard tables of the last few times asked for by [`ExactField::at_batch`], shared by
/// clones (they depend only on the schedule, the target and t). Work cut into chunks at one time
/// (the page's particles) builds each table once.
#[derive(Clone, Debug, Default)]
struct TableCache(Arc<Mutex<VecDeque<CachedTable>>>);

/// A table and its time's bits.
type CachedTable = (u64, Arc<CheckerTable>);

impl TableCache {
    /// Times kept: the stages of one step of any of our solvers, and the step before.
    const KEEP: usize = 8;

    fn get(&self, t: f64) -> Option<Arc<CheckerTable>> {
        let cache = self.0.lock().ok()?;
        cache
            .iter()
            .find(|(key, _)| *key == t.to_bits())
            .map(|(_, table)| table.clone())
    }

    fn put(&self, t: f64, table: Arc<CheckerTable>) {
        if let Ok(mut cache) = self.0.lock() {
            if cache.len() == Self::KEEP {
                cache.pop_front();
            }
            cache.push_back((t.to_bits(), table));
        }
    }
}

/// Per-time evaluator of an [`ExactField`]: constants for one t, then any number of points.
#[derive(Clone, Debug)]
pub struct FieldAt {
    /// The schedule values at t.
    pub st: ScheduleAt,
    kind: AtKind,
}

#[derive(Clone, Debug)]
enum AtKind {
    Checker(checker::CheckerAt),
    /// The checkerboard through a table of its parity functions (`checker::CheckerTable`).
    CheckerTable(Arc<CheckerTable>),
    Mixture(MixtureAt),
}

impl ExactField {
    /// The exact fields of `schedule` transporting N(0, I) to `target`.
    pub fn new(schedule: Schedule, target: &Target) -> Self {
        Self::from_parts(schedule, ExactTarget::new(target))
    }

    /// The exact fields for an already prepared target.
    pub fn from_parts(schedule: Schedule, target: ExactTarget) -> Self {
        Self {
            schedule,
            target,
            tables: TableCache::default(),
        }
    }

    /// The schedule.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The prepared target.
    pub fn target(&self) -> &ExactTarget {
        &self.target
    }

    /// The evaluator at time t (t < 1 for two-sided and one-sided paths, where σ > 0).
    pub fn at(&self, t: f64) -> FieldAt {
        let st = self.schedule.at(t);
        let sigma2 = st.sigma2();
        let kind = match &self.target {
            ExactTarget::Checkerboard => {
                AtKind::Checker(checker::CheckerAt::new(st.beta, sigma2.sqrt()))
            }
            ExactTarget::Mixture(m) => AtKind::Mixture(m.at(st.beta, sigma2)),
        };
        FieldAt { st, kind }
    }

    /// The evaluator at time t for about `points` evaluations there. For the checkerboard it is
    /// tabulated (`checker::CheckerTable`) when the table has at most half as many nodes as
    /// there are points: g1 and b, s, log ρ then agree with [`ExactField::at`] to about 1e-8 σ
    /// in g1 (tested), and the covariance trace is still evaluated directly. The choice depends
    /// only on t and `points`, never on what is cached, so results are reproducible; tables of
    /// recent times are kept and shared by clones.
    pub fn at_batch(&self, t: f64, points: usize) -> FieldAt {
        let at = self.at(t);
        let AtKind::Checker(c) = at.kind else {
            return at;
        };
        if CheckerTable::nodes_for(at.st.beta, at.st.sigma2().sqrt()) > points / 2 {
            return at;
        }
        let table = match self.tables.get(t) {
            Some(table) => table,
            None => match CheckerTable::new(c) {
                Some(table) => {
                    let table = Arc::new(table);
                    self.tables.put(t, table.clone());
                    table
                }
                None => return at,
            },
        };
        FieldAt {
            st: at.st,
            kind: AtKind::CheckerTable(table),
        }
    }
}

impl FieldAt {
    /// The full posterior at x (the covariance trace only when `want_cov`).
    pub fn posterior(&self, x: P2, want_cov: bool) -> Posterior {
        match &self.kind {
            AtKind::Checker(c) => {
                let mut p = c.posterior(x, want_cov);
                p.score = identity::score(&self.st, x, p.g1);
                p
            }
            AtKind::CheckerTable(table) if want_cov => {
                let mut p = table.checker_at().posterior(x, true);
                p.score = identity::score(&self.st, x, p.g1);
                p
            }
            AtKind::CheckerTable(table) => {
                let (g1, log_rho) = table.g1_log_rho(x, true);
                Posterior {
                    g1,
                    score: identity::score(&self.st, x, g1),
                    tr_cov: f64::NAN,
                    log_rho,
                }
            }
            AtKind::Mixture(m) => m.posterior(x, want_cov),
        }
    }
    /// g1 and s (without log ρ where that saves work).
    fn g1_score(&self, x: P2) -> (P2, P2) {
        match &self.kind {
            AtKind::CheckerTable(table) => {
                let g1 = table.g1_log_rho(x, false).0;
                (g1, identity::score(&self.st, x, g1))
            }
            _ => {
                let p = self.posterior(x, false);
                (p.g1, p.score)
            }
        }
    }
    /// Whether this evaluator uses a table (see [`ExactField::at_batch`]).
    pub fn is_tabulated(&self) -> bool {
        matches!(self.kind, AtKind::CheckerTable(_))
    }
    /// g1 = E[x1 | x_t = x].
    pub fn g1(&self, x: P2) -> P2 {
        self.g1_score(x).0
    }
    /// The velocity b(t, x).
    pub fn velocity(&self, x: P2) -> P2 {
        self.velocity_score(x).0
    }
    /// The score s(t, x) = ∇ log ρ(t, x).
    pub fn score(&self, x: P2) -> P2 {
        self.g1_score(x).1
    }
    /// b and s together (one posterior evaluation).
    pub fn velocity_score(&self, x: P2) -> (P2, P2) {
        let (g1, s) = self.g1_score(x);
        (identity::velocity(&self.st, g1, s), s)
    }
    /// v(t, x) = E[α̇ x0 + β̇ x1 | x_t = x].
    pub fn v(&self, x: P2) -> P2 {
        let (g1, s) = self.g1_score(x);
        identity::v(&self.st, g1, s)
    }
    /// η(t, x) = E[z | x_t = x].
    pub fn eta(&self, x: P2) -> P2 {
        identity::eta(&self.st, self.score(x))
    }
    /// log ρ(t, x).
    pub fn log_rho(&self, x: P2) -> f64 {
        self.posterior(x, false).log_rho
    }
    /// ∇·b(t, x).
    pub fn div_velocity(&self, x: P2) -> f64 {
        identity::div_velocity(&self.st, self.posterior(x, true).tr_cov)
    }
    /// b(t, x) and ∇·b(t, x) together.
    pub fn velocity_div(&self, x: P2) -> (P2, f64) {
        let p = self.posterior(x, true);
        (
            identity::velocity(&self.st, p.g1, p.score),
            identity::div_velocity(&self.st, p.tr_cov),
        )
    }
}

#[cfg(test)]
#[path = "fields_tests.rs"]
mod tests;
