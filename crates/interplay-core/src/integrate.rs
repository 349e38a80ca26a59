//! Integrators over batches of 2-D points: the probability-flow ODE dX = b dt and the SDE
//! dX = (b ± ε s) dt + √(2ε) dW, forward or backward in time, with the stop at 1 − δ and the
//! Tweedie jump of docs/math.md §4.3.
//!
//! Every sampler applies the linearised stability rule of docs/math.md §4.3 on each step: along the
//! stiff direction r = x − β g1 the forward drift is (σ̇/σ − ε/σ²) r, so an explicit step of size
//! Δt is stable iff Δt(ε/σ² − σ̇/σ) ≤ 2 (backward: Δt(ε/σ² + σ̇/σ) ≤ 2). When a step would break
//! it, ε(t) is lowered to the largest stable value for that step; when even ε = 0 breaks it, the
//! sampler stops there and reports the time. Nothing silently produces NaN.

use crate::posterior::identity;
use crate::schedule::ScheduleAt;
use crate::{P2, Rng};

pub mod follow;
pub mod stepper;
pub use follow::{Follow, Moved, VIEW_MAX_DT, VIEW_T_END, view_step};
pub use stepper::{Cloud, Flow, NoisyFlow, view_move};

/// A velocity and score field evaluated over batches (exact, or a learned one on the CPU).
pub trait Field {
    /// The schedule values at t.
    fn schedule_at(&self, t: f64) -> ScheduleAt;
    /// b(t, xᵢ) for every i.
    fn velocity(&self, t: f64, xs: &[P2], b: &mut [P2]);
    /// b(t, xᵢ) and s(t, xᵢ) for every i.
    fn velocity_score(&self, t: f64, xs: &[P2], b: &mut [P2], s: &mut [P2]);
    /// b(t, xᵢ) and ∇·b(t, xᵢ) for every i.
    fn velocity_div(&self, t: f64, xs: &[P2], b: &mut [P2], div: &mut [f64]);
}

/// Fixed-step ODE solvers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OdeSolver {
    /// Forward Euler, order 1.
    Euler,
    /// Heun (explicit trapezoid), order 2.
    Heun,
    /// Classical Runge–Kutta, order 4.
    Rk4,
}

impl OdeSolver {
    /// The real-axis stability limit of the method (|1 + z + …| ≤ 1 for z ∈ [−limit, 0]).
    pub fn stability_limit(self) -> f64 {
        match self {
            OdeSolver::Euler | OdeSolver::Heun => 2.0,
            OdeSolver::Rk4 => 2.785,
        }
    }
}

/// A time grid from `t0` to `t1` (either direction) in `steps` steps.
///
/// With `warp` = 1 the steps are equal. With `warp` = p > 1 they shrink towards the end nearer
/// t = 1 like (k/K)^p, where the fields sharpen (σ → 0): forward, t_k = t1 − (t1 − t0)(1 − k/K)^p;
/// backward, t_k = t0 − (t0 − t1)(k/K)^p.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    /// Start time.
    pub t0: f64,
    /// End time.
    pub t1: f64,
    /// Number of steps.
    pub steps: usize,
    /// Grid warp p ≥ 1 (1: equal steps).
    pub warp: f64,
    /// Apply the linearised stability rule (on by default). It is the worst case over x, reached
    /// off the support of a sharp target; a smooth target (a Gaussian) can safely switch it off.
    pub guard: bool,
}

impl Span {
    /// `steps` equal steps from `t0` to `t1`, with the stability rule on.
    pub fn new(t0: f64, t1: f64, steps: usize) -> Self {
        Self {
            t0,
            t1,
            steps,
            warp: 1.0,
            guard: true,
        }
    }
    /// The same grid without the stability rule.
    pub fn unguarded(self) -> Self {
        Self {
            guard: false,
            ..self
        }
    }
    /// The same number of steps, warped with power `p` towards the end nearer t = 1.
    pub fn warped(self, p: f64) -> Self {
        Self {
            warp: p.max(1.0),
            ..self
        }
    }
    /// The k-th grid time (k = 0 … steps; the last is exactly `t1`).
    pub fn time(&self, k: usize) -> f64 {
        if k >= self.steps {
            return self.t1;
        }
        let f = k as f64 / self.steps as f64;
        if self.warp == 1.0 {
            self.t0 + (self.t1 - self.t0) * f
        } else if self.t1 >= self.t0 {
            self.t1 - (self.t1 - self.t0) * (1.0 - f).powf(self.warp)
        } else {
            self.t0 - (self.t0 - self.t1) * f.powf(self.warp)
        }
    }
}

/// What a sampler did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Report {
    /// The time actually reached (the requested end unless the stability rule stopped early).
    pub t_end: f64,
    /// Steps taken.
    pub steps: usize,
    /// The largest linearised stability number Δt(ε/σ² ∓ σ̇/σ) over the steps taken.
    pub max_stability: f64,
    /// Steps on which ε(t) was lowered to keep the step stable.
    pub eps_lowered: usize,
}

/// The linearised stiffness of the drift along r = x − β g1: σ̇/σ (forward ODE part).
fn sigma_rate(st: &ScheduleAt) -> f64 {
    st.sigma_d_sigma() / st.sigma2()
}

/// Integrates dX = b dt over `span` (either direction), in place (the [`stepper::ode`] rule).
///
/// Stops early, at the last stable time, if a step would break the solver's stability limit.
pub fn ode<F: Field + ?Sized>(field: &F, xs: &mut [P2], span: Span, solver: OdeSolver) -> Report {
    let (ys, report) = stepper::ode(&Host(field), xs.to_vec(), span, solver);
    xs.copy_from_slice(&ys);
    report
}

/// The linearised stability number of an ODE step from `st` to `stn` (Δt = `dt`, either sign),
/// or `None` when it exceeds the solver's limit. Euler evaluates the field at the step's start
/// only, so its number is the start's; Heun and RK4 evaluate at both ends, and the stiffest point
/// is the end nearer σ → 0. (So K equal Euler steps run from 0 to exactly 1: the few-step
/// sampler of docs/math.md §4.3.)
pub fn ode_step_stability(
    solver: OdeSolver,
    st: &ScheduleAt,
    stn: &ScheduleAt,
    dt: f64,
) -> Option<f64> {
    let start = -dt * sigma_rate(st);
    let lam = match solver {
        OdeSolver::Euler => start,
        OdeSolver::Heun | OdeSolver::Rk4 => (-dt * sigma_rate(stn)).max(start),
    };
    (lam <= solver.stability_limit()).then_some(lam)
}

/// The ε actually used on one SDE step, under the stability rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SdeStep {
    /// ε for this step (the requested one, or lowered).
    pub eps: f64,
    /// Whether ε was lowered.
    pub lowered: bool,
    /// The stability number Δt(ε/σ² − sign·σ̇/σ) with that ε.
    pub stability: f64,
}

/// The stability rule for one SDE step of size `h` > 0 from `st` to `stn` in direction `sign`
/// (+1 forward, −1 backward) with the requested `eps`: Δt(ε/σ² − sign·σ̇/σ) ≤ 2 at both ends.
/// ε is lowered to the largest stable value when needed; `None` when even ε = 0 is unstable.
pub fn sde_step_eps(
    st: &ScheduleAt,
    stn: &ScheduleAt,
    h: f64,
    sign: f64,
    eps: f64,
) -> Option<SdeStep> {
    let worst = |e: f64| {
        [st, stn]
            .iter()
            .map(|q| h * (e / q.sigma2() - sign * sigma_rate(q)))
            .fold(f64::MIN, f64::max)
    };
    if worst(0.0) > 2.0 {
        return None;
    }
    if worst(eps) <= 2.0 {
        return Some(SdeStep {
            eps,
            lowered: false,
            stability: worst(eps),
        });
    }
    let cap = [st, stn]
        .iter()
        .map(|q| q.sigma2() * (2.0 / h + sign * sigma_rate(q)))
        .fold(f64::MAX, f64::min)
        .max(0.0);
    Some(SdeStep {
        eps: cap,
        lowered: true,
        stability: worst(cap),
    })
}

/// ε(t) for the SDE: any ε(t) ≥ 0 keeps the marginals ρ(t) (docs/math.md §4.1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Eps {
    /// ε(t) = ε0.
    Constant(f64),
    /// ε(t) = ε0·σ²(t)/σ²(0), vanishing where the noise of the interpolant does.
    SigmaScaled(f64),
    /// ε(t) = ε0·(1 − t).
    Linear(f64),
}

impl Eps {
    /// ε at t.
    pub fn at(&self, st: &ScheduleAt, sigma2_0: f64) -> f64 {
        match *self {
            Eps::Constant(e) => e,
            Eps::SigmaScaled(e) => e * st.sigma2() / sigma2_0,
            Eps::Linear(e) => e * (1.0 - st.t),
        }
    }
}

/// SDE step rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdeSolver {
    /// Euler–Maruyama with the drift at the left end of each step.
    EulerMaruyama,
    /// Stochastic Heun: K1 at t_k, K2 at t_{k+1} on the predictor, the same Brownian increment.
    Heun,
}

/// Integrates the SDE dX = (b ± ε s) dt + √(2ε) dW from `t0` to `t1` in place (the
/// [`stepper::sde`] rule).
///
/// Forward in time (t1 > t0) the drift is b_F = b + ε s; backward (t1 < t0) it is b_B = b − ε s
/// and the step is X ← X − b_B Δt + √(2ε Δt) ξ with Δt = |t1 − t0|/steps. Both keep the marginals
/// ρ(t). ε is lowered on steps that would break the stability rule (see the module docs).
pub fn sde<F: Field + ?Sized>(
    field: &F,
    xs: &mut [P2],
    span: Span,
    eps: Eps,
    solver: SdeSolver,
    rng: &mut Rng,
) -> Report {
    let (ys, report) = stepper::sde(&Host(field), xs.to_vec(), span, eps, solver, rng);
    xs.copy_from_slice(&ys);
    report
}

/// A host [`Field`] as a [`Flow`] over point batches.
#[derive(Clone, Copy, Debug)]
pub struct Host<'a, F: ?Sized>(pub &'a F);

impl Cloud for Vec<P2> {
    fn step(&self, h: f64, ks: &[(f64, &Self)], noise: Option<&Self>) -> Self {
        (0..self.len())
            .map(|i| {
                [0, 1].map(|d| {
                    let sum = ks
                        .iter()
                        .map(|(w, k)| if *w == 1.0 { k[i][d] } else { w * k[i][d] })
                        .reduce(|a, b| a + b)
                        .unwrap_or(0.0);
                    let y = self[i][d] + h * sum;
                    noise.map_or(y, |n| y + n[i][d])
                })
            })
            .collect()
    }
}

impl<F: Field + ?Sized> Flow for Host<'_, F> {
    type X = Vec<P2>;
    fn schedule_at(&self, t: f64) -> ScheduleAt {
        self.0.schedule_at(t)
    }
    fn velocity(&self, t: f64, x: &Vec<P2>) -> Vec<P2> {
        let mut b = vec![[0.0; 2]; x.len()];
        self.0.velocity(t, x, &mut b);
        b
    }
}

impl<F: Field + ?Sized> NoisyFlow for Host<'_, F> {
    fn drift(&self, t: f64, x: &Vec<P2>, sign: f64, e: f64) -> Vec<P2> {
        let (mut b, mut s) = (vec![[0.0; 2]; x.len()], vec![[0.0; 2]; x.len()]);
        self.0.velocity_score(t, x, &mut b, &mut s);
        b.iter()
            .zip(&s)
            .map(|(b, s)| [0, 1].map(|d| sign * b[d] + e * s[d]))
            .collect()
    }
    fn noise(&self, like: &Vec<P2>, amp: f64, rng: &mut Rng) -> Vec<P2> {
        like.iter()
            .map(|_| {
                let [a, c] = rng.normal2();
                [amp * a, amp * c]
            })
            .collect()
    }
}

/// The Tweedie jump x ↦ E[x1 | x_t = x] = (x + σ² s)/β at time t (docs/math.md §4.3), in place.
///
/// Exact for the true score; it removes the residual O(σ) blur left by stopping at 1 − δ.
pub fn tweedie<F: Field + ?Sized>(field: &F, xs: &mut [P2], t: f64) {
    let st = field.schedule_at(t);
    if st.beta <= 0.0 {
        return;
    }
    let n = xs.len();
    let (mut b, mut s) = (vec![[0.0; 2]; n], vec![[0.0; 2]; n]);
    field.velocity_score(t, xs, &mut b, &mut s);
    for (x, s) in xs.iter_mut().zip(&s) {
        *x = identity::g1_from_score(&st, *x, *s);
    }
}

#[cfg(test)]
#[path = "integrate_tests.rs"]
mod tests;
