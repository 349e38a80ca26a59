//! The exact flow map X_{s,t}: where the probability-flow ODE dX = b dt, started at x at time s,
//! is at time t (Boffi, Albergo, Vanden-Eijnden, "Flow map matching", arXiv 2406.07507). The
//! exact b is known in closed form here, so the exact map is one ODE solve away, and a learned
//! map X̂_{s,t} can be held against it at every (s, t): the jumps of a few-step sampler, the map's
//! semigroup X_{u,t} ∘ X_{s,u} = X_{s,t}, its tangent ∂_t X_{s,t}|_{t=s} = b_s, and the
//! pushforward of ρ(s) by X_{s,t} being ρ(t).
//!
//! The map is the project's one stepper (classical RK4 with the stability rule, steps warped
//! towards t = 1 where the fields sharpen), over any batch of points. Time 1 itself is reached as
//! the samplers reach it: the flow stops at 1 − δ and the Tweedie jump E[x1 | x_{1−δ}] lands the
//! points on the target.

use crate::P2;
use crate::integrate::{Field, OdeSolver, Span, ode, tweedie};

/// RK4 steps per unit of time: the exact map is a reference, so it is solved far more finely
/// than the views' flow (its error is below 1e-6 on the project's targets; see the tests).
pub const STEPS_PER_UNIT: f64 = 400.0;

/// Where the flow stops before the Tweedie jump to t = 1 (the samplers' δ).
pub const DELTA: f64 = 1e-3;

/// The numbers of jumps a few-step sampler of a learned map is offered in the page: each halves
/// the longest jump of the one before.
pub const JUMPS: [u32; 4] = [1, 2, 4, 8];

/// The RK4 steps over [s, t]: at least 4, and [`STEPS_PER_UNIT`] per unit of time.
fn steps(s: f64, t: f64) -> usize {
    ((t - s).abs() * STEPS_PER_UNIT).ceil().max(4.0) as usize
}

/// Carries `xs` by the exact flow from time `s` to time `t` (either direction; both in [t_min,
/// 1], where t_min is the schedule's start), in place: X_{s,t}(x) for every point. A map to
/// t > 1 − δ flows to 1 − δ and, at t = 1, takes the Tweedie jump; a map from s > 1 − δ starts
/// at 1 − δ. Refuses times outside [0, 1] and a solve the stability rule stopped short.
pub fn exact_flow_map<F: Field + ?Sized>(
    field: &F,
    xs: &mut [P2],
    s: f64,
    t: f64,
) -> Result<(), String> {
    for (name, v) in [("s", s), ("t", t)] {
        if !(0.0..=1.0).contains(&v) {
            return Err(format!("the flow map's {name} must be in [0, 1], got {v}"));
        }
    }
    let end = 1.0 - DELTA;
    let (from, to) = (s.min(end), t.min(end));
    if from != to {
        let span = Span::new(from, to, steps(from, to)).warped(2.0);
        let report = ode(field, xs, span, OdeSolver::Rk4);
        if (report.t_end - to).abs() > 1e-12 {
            return Err(format!(
                "the exact flow from s = {s} stopped at t = {} before {t} (the stability rule)",
                report.t_end
            ));
        }
    }
    if t >= 1.0 && s < 1.0 {
        tweedie(field, xs, end);
    }
    Ok(())
}

/// X_{s,t}(x) at every time of `ts` (increasing, none below `s`) from one solve: the points are
/// carried from `s` through each time in turn, so a row of the (s, t) grid costs one flow.
pub fn exact_flow_map_at<F: Field + ?Sized>(
    field: &F,
    xs: &[P2],
    s: f64,
    ts: &[f64],
) -> Result<Vec<Vec<P2>>, String> {
    if ts.first().is_some_and(|t| *t < s) || ts.windows(2).any(|w| w[1] < w[0]) {
        return Err(format!(
            "the flow map's times must increase from s = {s}: {ts:?}"
        ));
    }
    let mut at = xs.to_vec();
    let mut from = s;
    let mut out = Vec::with_capacity(ts.len());
    for &t in ts {
        // The flow carries on from 1 − δ; only the copy handed out takes the jump to 1.
        let to = t.min(1.0 - DELTA);
        exact_flow_map(field, &mut at, from, to)?;
        from = to;
        let mut shown = at.clone();
        if t >= 1.0 {
            exact_flow_map(field, &mut shown, to, 1.0)?;
        }
        out.push(shown);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "flow_map_tests.rs"]
mod tests;
