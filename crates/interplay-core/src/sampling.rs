//! High-level sampling recipes shared by the CLI and the browser: initial particles, direct
//! interpolant samples, and the recommended sampler of docs/math.md §4.3 (integrate to 1 − δ, then
//! the
//! Tweedie jump).

use crate::coupling::Coupling;
use crate::dopri::{Tolerance, dopri5};
use crate::integrate::{Eps, Field, OdeSolver, Report, SdeSolver, Span, ode, sde, tweedie};
use crate::schedule::Schedule;
use crate::targets::ExactTarget;
use crate::{P2, Rng};

/// RNG streams, so that each purpose draws independently of the others' counts: every stream
/// id of the workspace is here (`Rng::stream(seed, id)` elsewhere names one of these).
pub mod streams {
    /// Base samples x0.
    pub const X0: u64 = 1;
    /// Target samples x1.
    pub const X1: u64 = 2;
    /// Interpolant noise z.
    pub const Z: u64 = 3;
    /// Brownian increments of the SDE.
    pub const BROWNIAN: u64 = 4;
    /// Brownian increments of the particles on screen (exact in the viewer, learned in the
    /// engine: the same stream, so both clouds see the same noise for a seed).
    pub const VIEW_NOISE: u64 = 0x5de;
    /// The reference samples of the target that sample metrics compare against.
    pub const METRIC_REFERENCE: u64 = 0x7e57;
    /// The random directions of the sliced Wasserstein distance.
    pub const SLICED_DIRECTIONS: u64 = 0x5112;
    /// The target samples that estimate σ_data for the schedule-free preconditioning.
    pub const SIGMA_DATA: u64 = 0x5d;
    /// The networks' initial weights.
    pub const NET_INIT: u64 = 0x1417;
    /// Training batches (t, x0, x1, z): the seed of each step's batch.
    pub const TRAINING: u64 = 0xba7c;
    /// One row of a training batch (its t or λ, x0 and z), seeded by the batch's seed plus the
    /// row's index: a row is the same whichever worker draws it.
    pub const TRAINING_ROW: u64 = 0xba7d;
    /// The target samples at which the engine's quality panel scores the model's likelihood.
    pub const NLL_POINTS: u64 = 9;
    /// The SDE paths of the space–time figure.
    pub const SPACETIME_PATHS: u64 = 31;
    /// The triples of a pick on the space–time figure.
    pub const SPACETIME_PICK: u64 = 32;
    /// The triples of a pick in the plane (the Lagrangian view).
    pub const PLANE_PICK: u64 = 33;
    /// The seed of the engine's quality panel: its base points, their paths and the error of
    /// the learned b.
    pub const METRICS_SEED: u64 = 0xe7a1;
    /// The seed of the interpolant samples behind the ε explorer's KL bound.
    pub const EPS_BOUND_SEED: u64 = 0xe95;
    /// The seed of the interpolant samples behind the error of b learned on the line.
    pub const LINE_ERRORS_SEED: u64 = 0x11e;
    /// The seed of a flow map's evaluation: the points of its (s, t) error grid and of its
    /// tangent's error.
    pub const FLOW_MAP_SEED: u64 = 0xf1a9;
    /// The seed of the walkers `interplay nets` scores, with and without the learned transport.
    pub const NETS_SEED: u64 = 0x7e75;
    /// The systematic resample of weighted samples for their metrics (`interplay eval`).
    pub const RESAMPLE: u64 = 0x5e5a;
}

/// The draws behind `n` interpolant samples: x0, x1 and z of each, with x0 paired to x1 by a
/// coupling (independent: as drawn; minibatch OT: reordered within blocks of
/// [`crate::coupling::OT_BLOCK`] by an exact assignment). Sample i uses the i-th draw of each
/// stream, so the same seed gives the same points at every t.
#[derive(Clone, Debug, PartialEq)]
pub struct Draws {
    /// Base samples.
    pub x0: Vec<P2>,
    /// Target samples.
    pub x1: Vec<P2>,
    /// Latent noise, independent of both.
    pub z: Vec<P2>,
}

impl Draws {
    /// `n` draws for `seed`, paired by `coupling`.
    pub fn new(target: &ExactTarget, n: usize, seed: u64, coupling: Coupling) -> Self {
        let mut x0 = target.base_normals(&mut Rng::stream(seed, streams::X0), n);
        let x1 = target.sample(&mut Rng::stream(seed, streams::X1), n);
        let z = target.base_normals(&mut Rng::stream(seed, streams::Z), n);
        if coupling == Coupling::Ot {
            crate::coupling::ot_pair(&mut x0, &x1, crate::coupling::OT_BLOCK);
        }
        Self { x0, x1, z }
    }
    /// x_t = α(t) x0 + β(t) x1 + γ(t) z for every draw.
    pub fn at(&self, schedule: &Schedule, t: f64) -> Vec<P2> {
        let st = schedule.at(t);
        (0..self.x0.len())
            .map(|i| st.xt(self.x0[i], self.x1[i], self.z[i]))
            .collect()
    }
}

/// `n` samples of x_t = α(t) x0 + β(t) x1 + γ(t) z drawn directly (no simulation), x0 and x1
/// independent ([`Draws`]): at t = 0 they are the particles [`initial_particles`] starts from.
pub fn interpolant_samples(
    schedule: &Schedule,
    target: &ExactTarget,
    t: f64,
    n: usize,
    seed: u64,
) -> Vec<P2> {
    Draws::new(target, n, seed, Coupling::Independent).at(schedule, t)
}

/// The particles where the flows start, `schedule.t_start()` (t = 0 unless a rate is infinite
/// there): samples of ρ(0) (N(0, I), or the target itself for the mirror path).
pub fn initial_particles(
    schedule: &Schedule,
    target: &ExactTarget,
    n: usize,
    seed: u64,
) -> Vec<P2> {
    interpolant_samples(schedule, target, schedule.t_start(), n, seed)
}

/// How to carry ρ(0) to ρ(1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Method {
    /// The probability-flow ODE with a fixed-step solver.
    Ode(OdeSolver),
    /// The ODE with adaptive Dormand–Prince.
    Dopri5(Tolerance),
    /// The SDE with noise ε(t).
    Sde(SdeSolver, Eps),
}

/// A complete sampling recipe.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recipe {
    /// Solver and noise.
    pub method: Method,
    /// Steps (ignored by Dopri5).
    pub steps: usize,
    /// Grid warp towards t = 1 (see [`Span`]); 1 for equal steps.
    pub warp: f64,
    /// Stop at t = 1 − δ …
    pub delta: f64,
    /// … and jump to E[x1 | x_{1−δ}] (Tweedie) when true.
    pub denoise: bool,
}

impl Default for Recipe {
    /// RK4 ODE, 100 steps warped with power 2 towards t = 1, δ = 1e-3, with the Tweedie jump.
    fn default() -> Self {
        Self {
            method: Method::Ode(OdeSolver::Rk4),
            steps: 100,
            warp: 2.0,
            delta: 1e-3,
            denoise: true,
        }
    }
}

impl Recipe {
    /// What a sample at t = 1 with noise level `eps` runs, here and in the page: the ODE with RK4
    /// at ε = 0, the SDE with Euler–Maruyama and constant ε above, `steps` steps (at least one),
    /// the rest as [`Recipe::default`].
    pub fn with_noise(eps: f64, steps: usize) -> Self {
        let method = if eps > 0.0 {
            Method::Sde(SdeSolver::EulerMaruyama, Eps::Constant(eps))
        } else {
            Method::Ode(OdeSolver::Rk4)
        };
        Self {
            method,
            steps: steps.max(1),
            ..Self::default()
        }
    }

    /// The few-step sampler: `steps` equal Euler steps from t = 0 to exactly 1, with no Tweedie
    /// jump (Euler evaluates b at the start of each step only, so the stiff end is never
    /// touched). What minibatch-OT couplings are judged by: straighter paths need fewer steps.
    pub fn few_step(steps: usize) -> Self {
        Self {
            method: Method::Ode(OdeSolver::Euler),
            steps,
            warp: 1.0,
            delta: 0.0,
            denoise: false,
        }
    }
    /// Pushes `xs` from t = 0 to 1 − δ (then denoises), in place. Returns the time reached
    /// before the jump and what the stepper did.
    pub fn run<F: Field + ?Sized>(&self, field: &F, xs: &mut [P2], seed: u64) -> Report {
        let t0 = crate::schedule::start_time(&field.schedule_at(0.0));
        let span = Span::new(t0, 1.0 - self.delta, self.steps).warped(self.warp);
        let report = match self.method {
            Method::Ode(solver) => ode(field, xs, span, solver),
            Method::Dopri5(tol) => {
                let r = dopri5(field, xs, span.t0, span.t1, tol);
                Report {
                    t_end: r.t_end,
                    steps: r.accepted,
                    max_stability: f64::NAN,
                    eps_lowered: 0,
                }
            }
            Method::Sde(solver, eps) => {
                let mut rng = Rng::stream(seed, streams::BROWNIAN);
                sde(field, xs, span, eps, solver, &mut rng)
            }
        };
        if self.denoise {
            tweedie(field, xs, report.t_end);
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::evaluate;
    use crate::{ExactField, Path, Target};

    #[test]
    fn recipes_reach_the_target() {
        let target = ExactTarget::new(&Target::Checkerboard);
        let sched = Schedule::default();
        let field = ExactField::from_parts(sched, target.clone());
        for method in [
            Method::Ode(OdeSolver::Heun),
            Method::Dopri5(Tolerance::default()),
            Method::Sde(SdeSolver::EulerMaruyama, Eps::Constant(0.5)),
        ] {
            let recipe = Recipe {
                method,
                steps: 200,
                ..Recipe::default()
            };
            let mut xs = initial_particles(&sched, &target, 6000, 1);
            recipe.run(&field, &mut xs, 1);
            let m = evaluate(&target, &xs, 0);
            // TV of 6000 exact samples is ≈ 0.05 from histogram noise alone.
            assert!(m.in_support >= 0.998 && m.tv < 0.08, "{method:?}: {m:?}");
        }
    }

    #[test]
    fn ot_draws_keep_both_ends_and_pair_them_closer() {
        // The same base points, reordered: ρ(0) and ρ(1) are unchanged, the pairs are nearer
        // and so the middle of the coupled interpolant is a different density.
        let target = ExactTarget::new(&Target::Checkerboard);
        let sched = Schedule::default();
        let ind = Draws::new(&target, 1000, 4, Coupling::Independent);
        let ot = Draws::new(&target, 1000, 4, Coupling::Ot);
        assert_eq!((&ot.x1, &ot.z), (&ind.x1, &ind.z));
        let key = |p: &P2| (p[0].to_bits(), p[1].to_bits());
        let (mut a, mut b) = (ind.x0.clone(), ot.x0.clone());
        a.sort_by_key(key);
        b.sort_by_key(key);
        assert_eq!(a, b);
        assert_eq!(
            ind.at(&sched, 0.0),
            interpolant_samples(&sched, &target, 0.0, 1000, 4)
        );
        let cost = |d: &Draws| crate::coupling::transport_cost(&d.x0, &d.x1);
        assert!(
            cost(&ot) < 0.6 * cost(&ind),
            "{} against {}",
            cost(&ot),
            cost(&ind)
        );
        let spread = |xs: &[P2]| xs.iter().map(|x| x[0] * x[0] + x[1] * x[1]).sum::<f64>();
        let (mi, mo) = (ind.at(&sched, 0.5), ot.at(&sched, 0.5));
        assert!((spread(&mi) - spread(&mo)).abs() > 0.02 * spread(&mi));
    }

    #[test]
    fn few_step_euler_runs_to_one_and_sharpens_with_more_steps() {
        // Under the stability rule (Euler judged at each step's start): K equal steps reach
        // exactly t = 1 on the default schedule, and the board sharpens as K grows.
        let target = ExactTarget::new(&Target::Checkerboard);
        let sched = Schedule::default();
        let field = ExactField::from_parts(sched, target.clone());
        let mut tvs = Vec::new();
        for k in [1, 2, 4, 8, 32] {
            let mut xs = initial_particles(&sched, &target, 6000, 3);
            let r = Recipe::few_step(k).run(&field, &mut xs, 3);
            assert_eq!((r.t_end, r.steps), (1.0, k), "{k} steps: {r:?}");
            assert!(xs.iter().all(|x| x[0].is_finite() && x[1].is_finite()));
            tvs.push(evaluate(&target, &xs, 0).tv);
        }
        assert!(tvs.windows(2).all(|w| w[1] < w[0]), "{tvs:?}");
        assert!(tvs[0] > 0.5 && tvs[4] < 0.2, "{tvs:?}");
    }

    #[test]
    fn exponents_below_one_start_just_after_zero_and_still_reach_the_target() {
        // β = t^b with b < 1 has β̇(0) = ∞: the flow starts at T_START_SINGULAR from exact
        // interpolant samples instead of producing NaN at t = 0.
        let target = ExactTarget::new(&Target::Checkerboard);
        assert_eq!(Schedule::default().t_start(), 0.0);
        for (a, b) in [(1.0, 0.25), (1.0, 0.5), (2.0, 0.5), (0.5, 1.0)] {
            let sched = Schedule {
                alpha_exp: a,
                beta_exp: b,
                ..Schedule::default()
            };
            assert_eq!(
                sched.t_start(),
                if b < 1.0 {
                    crate::schedule::T_START_SINGULAR
                } else {
                    0.0
                }
            );
            let field = ExactField::from_parts(sched, target.clone());
            let recipe = Recipe {
                method: Method::Ode(OdeSolver::Rk4),
                steps: 100,
                ..Recipe::default()
            };
            let mut xs = initial_particles(&sched, &target, 4000, 2);
            recipe.run(&field, &mut xs, 2);
            let m = evaluate(&target, &xs, 0);
            assert!(m.in_support >= 0.99, "a = {a}, b = {b}: {m:?}");
        }
    }

    #[test]
    fn same_seed_same_particles_and_mirror_starts_on_the_data() {
        let target = ExactTarget::new(&Target::Checkerboard);
        let s = Schedule::default();
        assert_eq!(
            initial_particles(&s, &target, 10, 3),
            initial_particles(&s, &target, 10, 3)
        );
        assert_ne!(
            initial_particles(&s, &target, 10, 3),
            initial_particles(&s, &target, 10, 4)
        );
        // The first points do not depend on how many are drawn.
        assert_eq!(
            initial_particles(&s, &target, 5, 3)[..],
            initial_particles(&s, &target, 10, 3)[..5]
        );
        let mirror = Schedule::preset(Path::Mirror);
        let xs = initial_particles(&mirror, &target, 100, 3);
        assert!(xs.iter().all(|x| crate::checker::in_support(*x)));
    }
}
