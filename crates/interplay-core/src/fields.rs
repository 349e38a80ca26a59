//! Exact fields for a Gaussian base: b, s, ρ(t, x) and their divergences for any schedule and
//! target, from the target's posterior ([`crate::posterior`]) through the identities there.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::checker::CheckerTable;
use crate::integrate::Field;
use crate::mixture::MixtureAt;
use crate::posterior::{Posterior, identity};
use crate::schedule::{Schedule, ScheduleAt};
use crate::targets::{ExactTarget, Target};
use crate::{P2, checker, par};

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
    /// A target on the line at (β, σ).
    Line(crate::line::LineTarget, f64, f64),
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
            ExactTarget::Line(l) => AtKind::Line(l.clone(), st.beta, sigma2.sqrt()),
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
            AtKind::Line(l, beta, sigma) => crate::targets::line_posterior(l, x, *beta, *sigma),
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

// The exact field as an integrator's `Field`: tabulated per batch, in chunks, or point by point.

impl Field for ExactField {
    fn schedule_at(&self, t: f64) -> ScheduleAt {
        self.schedule().at(t)
    }
    fn velocity(&self, t: f64, xs: &[P2], b: &mut [P2]) {
        Chunked::new(self, xs.len()).velocity(t, xs, b);
    }
    fn velocity_score(&self, t: f64, xs: &[P2], b: &mut [P2], s: &mut [P2]) {
        Chunked::new(self, xs.len()).velocity_score(t, xs, b, s);
    }
    fn velocity_div(&self, t: f64, xs: &[P2], b: &mut [P2], div: &mut [f64]) {
        let at = self.at(t);
        par::fill2(xs, b, div, 1, &|x| at.velocity_div(*x));
    }
}

/// An exact field whose batches are chunks of a larger batch of `points` points: every chunk
/// is evaluated the way the whole batch would be ([`ExactField::at_batch`] with `points`), so
/// the result does not depend on how the work was cut.
#[derive(Clone, Copy, Debug)]
pub struct Chunked<'a> {
    field: &'a ExactField,
    points: usize,
}

impl<'a> Chunked<'a> {
    /// `field` for chunks of a batch of `points` points.
    pub fn new(field: &'a ExactField, points: usize) -> Self {
        Self { field, points }
    }
}

impl Field for Chunked<'_> {
    fn schedule_at(&self, t: f64) -> ScheduleAt {
        self.field.schedule().at(t)
    }
    fn velocity(&self, t: f64, xs: &[P2], b: &mut [P2]) {
        let at = self.field.at_batch(t, self.points);
        let mut unit = vec![(); xs.len()];
        par::fill2(xs, b, &mut unit, 1, &|x| (at.velocity(*x), ()));
    }
    fn velocity_score(&self, t: f64, xs: &[P2], b: &mut [P2], s: &mut [P2]) {
        let at = self.field.at_batch(t, self.points);
        par::fill2(xs, b, s, 1, &|x| at.velocity_score(*x));
    }
    fn velocity_div(&self, t: f64, xs: &[P2], b: &mut [P2], div: &mut [f64]) {
        self.field.velocity_div(t, xs, b, div);
    }
}

/// An exact field evaluated point by point, never tabulated: the reference the tables are
/// checked against, and the baseline of `interplay bench`.
#[derive(Clone, Copy, Debug)]
pub struct Pointwise<'a>(pub &'a ExactField);

impl Field for Pointwise<'_> {
    fn schedule_at(&self, t: f64) -> ScheduleAt {
        self.0.schedule().at(t)
    }
    fn velocity(&self, t: f64, xs: &[P2], b: &mut [P2]) {
        let at = self.0.at(t);
        let mut unit = vec![(); xs.len()];
        par::fill2(xs, b, &mut unit, 1, &|x| (at.velocity(*x), ()));
    }
    fn velocity_score(&self, t: f64, xs: &[P2], b: &mut [P2], s: &mut [P2]) {
        let at = self.0.at(t);
        par::fill2(xs, b, s, 1, &|x| at.velocity_score(*x));
    }
    fn velocity_div(&self, t: f64, xs: &[P2], b: &mut [P2], div: &mut [f64]) {
        self.0.velocity_div(t, xs, b, div);
    }
}

#[cfg(test)]
#[path = "fields_tests.rs"]
mod tests;
