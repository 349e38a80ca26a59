//! Particles of the Lagrangian view under the exact field: ODE or SDE, moved towards any t in
//! either direction within a time budget per frame, so scrubbing never blocks the page.

use interplay_core::fields::Chunked;
use interplay_core::integrate::{Follow, Host, Moved, view_move};
use interplay_core::posterior::identity;
use interplay_core::{ExactField, P2, Rng};

/// Particles per unit of work between two budget checks (about 1–2 ms of exact-field work in
/// the browser).
pub const CHUNK: usize = 2048;

/// One cloud of particles and the time it has reached.
#[derive(Clone, Debug)]
pub struct Particles {
    /// Positions at the time reached.
    pub xs: Vec<P2>,
    /// Where each particle started (for colours).
    pub start: Vec<P2>,
    /// SDE noise (0: the ODE).
    pub eps: f64,
    /// The time reached, the earliest time and a step in progress (core's rule, which the
    /// engine's learned particles follow too).
    follow: Follow,
    /// Particles `..done` have taken the step in progress.
    done: usize,
    rng: Rng,
}

impl Particles {
    /// `start` particles at `t_min` (the schedule's start time) with noise `eps`, Brownian
    /// increments from `seed`.
    pub fn new(start: Vec<P2>, t_min: f64, eps: f64, seed: u64) -> Self {
        Self {
            xs: start.clone(),
            start,
            eps,
            follow: Follow::new(t_min, t_min),
            done: 0,
            rng: Rng::stream(seed, interplay_core::sampling::streams::VIEW_NOISE),
        }
    }

    /// The same particles standing at time `t` (where the backward direction starts them).
    pub fn standing_at(mut self, t: f64) -> Self {
        self.follow = Follow::new(t, self.follow.t_min);
        self
    }

    /// The time reached.
    pub fn t(&self) -> f64 {
        self.follow.t
    }

    /// Moves towards `target` (clamped to [t_min, VIEW_T_END]) by the view's steps
    /// ([`interplay_core::integrate::view_step`]), stopping once `budget` returns false. A
    /// step is taken over [`CHUNK`] particles at a time, so the budget is checked every few
    /// milliseconds however many particles there are; a step left half done is finished first
    /// on the next call (the result does not depend on where the work was cut: the Brownian
    /// increments are drawn particle by particle in order). Returns whether the target was
    /// reached (or the stability rule refused even ε = 0: the particles stay, never NaN).
    pub fn advance(
        &mut self,
        field: &ExactField,
        target: f64,
        mut budget: impl FnMut() -> bool,
    ) -> bool {
        // Every chunk is evaluated as the whole cloud would be (tables of the exact field are
        // built once per time and shared by the chunks).
        let field = Chunked::new(field, self.xs.len());
        let (xs, done, rng, eps) = (&mut self.xs, &mut self.done, &mut self.rng, self.eps);
        let (_, still) = self.follow.advance(target, u32::MAX, |t, next| {
            loop {
                if !budget() {
                    return if *done == 0 {
                        Moved::Nothing
                    } else {
                        Moved::Part
                    };
                }
                let end = (*done + CHUNK).min(xs.len());
                let chunk = &mut xs[*done..end];
                let (ys, moved) = view_move(&Host(&field), chunk.to_vec(), t, next, eps, rng);
                if !moved && !chunk.is_empty() {
                    *done = 0;
                    return Moved::Refused;
                }
                chunk.copy_from_slice(&ys);
                if end == xs.len() {
                    *done = 0;
                    return Moved::All;
                }
                *done = end;
            }
        });
        still
    }

    /// Where to draw the particles at display time `t`: their positions, or at the end of time
    /// the Tweedie jump E[x1 | x_t] (they land on the target at t = 1).
    pub fn shown(&self, field: &ExactField, t: f64) -> Vec<P2> {
        if !self.follow.denoised(t) {
            return self.xs.clone();
        }
        let at = field.at_batch(self.follow.t, self.xs.len());
        self.xs
            .iter()
            .map(|x| identity::g1_from_score(&at.st, *x, at.score(*x)))
            .collect()
    }

    /// Whether every particle is finite.
    pub fn finite(&self) -> bool {
        self.xs.iter().all(|x| x[0].is_finite() && x[1].is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use interplay_core::sampling::interpolant_samples;
    use interplay_core::{ExactTarget, Schedule, Target};

    #[test]
    fn forward_then_back_returns_and_the_end_lands_on_the_board() {
        let target = ExactTarget::new(&Target::Checkerboard);
        let sched = Schedule::default();
        let field = ExactField::from_parts(sched, target.clone());
        let start = interpolant_samples(&sched, &target, 0.0, 500, 1);
        let mut p = Particles::new(start.clone(), 0.0, 0.0, 1);
        assert!(p.advance(&field, 0.6, || true));
        assert!((p.t() - 0.6).abs() < 1e-12);
        assert!(p.advance(&field, 0.0, || true));
        let err =
            p.xs.iter()
                .zip(&start)
                .map(|(a, b)| (a[0] - b[0]).abs().max((a[1] - b[1]).abs()))
                .fold(0.0, f64::max);
        assert!(
            err < 1e-3,
            "the ODE scrubbed back returns to the start: {err}"
        );
        assert!(p.advance(&field, 1.0, || true));
        let shown = p.shown(&field, 1.0);
        let inside = shown
            .iter()
            .filter(|x| interplay_core::checker::in_support(**x))
            .count();
        assert!(inside as f64 / 500.0 > 0.99, "{inside}");
        // A budget stops the work and the next call continues.
        let mut q = Particles::new(start, 0.0, 0.8, 2);
        let mut calls = 0;
        assert!(!q.advance(&field, 0.5, || {
            calls += 1;
            calls <= 3
        }));
        assert!(q.t() > 0.0 && q.t() < 0.5);
        assert!(q.advance(&field, 0.5, || true) && q.finite());
    }

    #[test]
    fn cutting_the_work_anywhere_gives_the_same_particles() {
        let target = ExactTarget::new(&Target::Checkerboard);
        let sched = Schedule::default();
        let field = ExactField::from_parts(sched, target.clone());
        let start = interpolant_samples(&sched, &target, 0.0, 3 * CHUNK + 17, 4);
        for eps in [0.0, 0.7] {
            let mut whole = Particles::new(start.clone(), 0.0, eps, 9);
            assert!(whole.advance(&field, 0.3, || true));
            let mut cut = Particles::new(start.clone(), 0.0, eps, 9);
            let mut calls = 0;
            // One chunk per call: many calls, steps left half done in between.
            while !cut.advance(&field, 0.3, || {
                calls += 1;
                calls % 2 == 1
            }) {}
            assert_eq!(cut.xs, whole.xs, "ε = {eps}");
            assert_eq!(cut.t(), 0.3);
        }
    }

    #[test]
    fn a_rate_infinite_at_zero_starts_just_after_it_without_nan() {
        let target = ExactTarget::new(&Target::Checkerboard);
        for (a, b) in [(2.0, 0.5), (1.0, 0.25)] {
            let sched = Schedule {
                alpha_exp: a,
                beta_exp: b,
                ..Schedule::default()
            };
            let field = ExactField::from_parts(sched, target.clone());
            let t0 = sched.t_start();
            assert!(t0 > 0.0);
            let start = interpolant_samples(&sched, &target, t0, 300, 1);
            for eps in [0.0, 0.5] {
                let mut p = Particles::new(start.clone(), t0, eps, 1);
                assert!(
                    p.advance(&field, 0.8, || true) && p.finite(),
                    "a={a} b={b} ε={eps}"
                );
                // Backward never goes below the start time, and stays finite.
                assert!(p.advance(&field, 0.0, || true) && p.finite() && p.t() == t0);
                assert!(p.advance(&field, 1.0, || true) && p.finite());
            }
        }
    }
}
