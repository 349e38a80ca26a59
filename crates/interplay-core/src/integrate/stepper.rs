//! The one stepper: the ODE and SDE step rules, the stability rule and the views' follow-t step,
//! written once for any cloud of particles. The exact fields run it on host point batches
//! ([`super::Field`]); `interplay-nn` runs it on device tensors, so a learned field and the exact
//! one take the same steps in the same order of operations.

use crate::Rng;
use crate::schedule::ScheduleAt;

use super::{Eps, OdeSolver, Report, SdeSolver, Span, ode_step_stability, sde_step_eps};

/// A cloud of particles the stepper can combine (host points, device tensors).
pub trait Cloud: Sized {
    /// x + h·(Σ wₖ·kₖ) (+ `noise`), with the sum taken left to right, then scaled, then added:
    /// every step rule below is one or two of these.
    fn step(&self, h: f64, ks: &[(f64, &Self)], noise: Option<&Self>) -> Self;
}

/// A velocity field over clouds of type `X` (what the ODE needs). `X` may carry more than
/// positions: the likelihood integrates (X, ℓ) with the divergence as ℓ's velocity.
pub trait Flow {
    /// The particles.
    type X: Cloud;
    /// The schedule values at t.
    fn schedule_at(&self, t: f64) -> ScheduleAt;
    /// b(t, x).
    fn velocity(&self, t: f64, x: &Self::X) -> Self::X;
}

/// A velocity and a score over clouds (what the SDE needs as well).
pub trait NoisyFlow: Flow {
    /// The SDE drift sign·b(t, x) + e·s(t, x).
    fn drift(&self, t: f64, x: &Self::X, sign: f64, e: f64) -> Self::X;
    /// Independent N(0, amp²) increments shaped like `like`, drawn from `rng` particle by
    /// particle in order (so a seed gives the same paths however the work is cut).
    fn noise(&self, like: &Self::X, amp: f64, rng: &mut Rng) -> Self::X;
}

fn report(t0: f64) -> Report {
    Report {
        t_end: t0,
        steps: 0,
        max_stability: 0.0,
        eps_lowered: 0,
    }
}

/// Integrates dX = b dt over `span` (either direction). Stops early, at the last stable time, if
/// a step would break the solver's stability limit.
pub fn ode<F: Flow + ?Sized>(
    flow: &F,
    mut x: F::X,
    span: Span,
    solver: OdeSolver,
) -> (F::X, Report) {
    let mut rep = report(span.t0);
    for i in 0..span.steps {
        let (t, tn) = (span.time(i), span.time(i + 1));
        let dt = tn - t;
        if span.guard {
            match ode_step_stability(solver, &flow.schedule_at(t), &flow.schedule_at(tn), dt) {
                Some(lam) => rep.max_stability = rep.max_stability.max(lam),
                None => break,
            }
        }
        let k1 = flow.velocity(t, &x);
        x = match solver {
            OdeSolver::Euler => x.step(dt, &[(1.0, &k1)], None),
            OdeSolver::Heun => {
                let k2 = flow.velocity(tn, &x.step(dt, &[(1.0, &k1)], None));
                x.step(0.5 * dt, &[(1.0, &k1), (1.0, &k2)], None)
            }
            OdeSolver::Rk4 => {
                let th = t + 0.5 * dt;
                let k2 = flow.velocity(th, &x.step(0.5 * dt, &[(1.0, &k1)], None));
                let k3 = flow.velocity(th, &x.step(0.5 * dt, &[(1.0, &k2)], None));
                let k4 = flow.velocity(tn, &x.step(dt, &[(1.0, &k3)], None));
                x.step(
                    dt / 6.0,
                    &[(1.0, &k1), (2.0, &k2), (2.0, &k3), (1.0, &k4)],
                    None,
                )
            }
        };
        rep.t_end = tn;
        rep.steps += 1;
    }
    (x, rep)
}

/// Integrates the SDE over `span`: forward (t1 > t0) the drift is b_F = b + ε s; backward it is
/// b_B = b − ε s and the step is X ← X − b_B Δt + √(2ε Δt) ξ with Δt = |t1 − t0|/steps. Both
/// keep the marginals ρ(t). ε is lowered on steps that would break the stability rule.
pub fn sde<F: NoisyFlow + ?Sized>(
    flow: &F,
    mut x: F::X,
    span: Span,
    eps: Eps,
    solver: SdeSolver,
    rng: &mut Rng,
) -> (F::X, Report) {
    let sign = if span.t1 >= span.t0 { 1.0 } else { -1.0 };
    let sigma2_0 = flow
        .schedule_at(0.0)
        .sigma2()
        .max(flow.schedule_at(1e-3).sigma2());
    let mut rep = report(span.t0);
    for k in 0..span.steps {
        let (t, tn) = (span.time(k), span.time(k + 1));
        let h = (tn - t).abs();
        let (st, stn) = (flow.schedule_at(t), flow.schedule_at(tn));
        let mut e = eps.at(&st, sigma2_0);
        if span.guard {
            let Some(step) = sde_step_eps(&st, &stn, h, sign, e) else {
                break;
            };
            rep.eps_lowered += usize::from(step.lowered);
            rep.max_stability = rep.max_stability.max(step.stability);
            e = step.eps;
        }
        let noise = flow.noise(&x, (2.0 * e * h).sqrt(), rng);
        // The drift in the direction of travel: forward b + εs, backward −(b − εs).
        let k1 = flow.drift(t, &x, sign, e);
        x = match solver {
            SdeSolver::EulerMaruyama => x.step(h, &[(1.0, &k1)], Some(&noise)),
            SdeSolver::Heun => {
                let pred = x.step(h, &[(1.0, &k1)], Some(&noise));
                let k2 = flow.drift(tn, &pred, sign, e);
                x.step(0.5 * h, &[(1.0, &k1), (1.0, &k2)], Some(&noise))
            }
        };
        rep.t_end = tn;
        rep.steps += 1;
    }
    (x, rep)
}

/// One step of particles that follow a moving t on screen (the page's exact and learned
/// particles), from `t` to `next` (from [`super::view_step`]): Heun on the ODE when `eps` = 0,
/// stochastic Heun on the SDE with constant ε otherwise. Returns the particles and whether they
/// moved: the stability rule may refuse the step even at ε = 0, and then they stay where they
/// are (never NaN).
pub fn view_move<F: NoisyFlow + ?Sized>(
    flow: &F,
    x: F::X,
    t: f64,
    next: f64,
    eps: f64,
    rng: &mut Rng,
) -> (F::X, bool) {
    let span = Span::new(t, next, 1);
    let (y, rep) = if eps > 0.0 {
        sde(flow, x, span, Eps::Constant(eps), SdeSolver::Heun, rng)
    } else {
        ode(flow, x, span, OdeSolver::Heun)
    };
    (y, rep.steps > 0)
}
