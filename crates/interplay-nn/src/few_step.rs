//! What a coupling buys: how straight a learned flow's paths are, and how well it samples in a
//! few Euler steps. Straight paths at constant speed are what a one-step sampler needs; minibatch
//! OT (`crate::coupling`) trains towards them.

use burn::tensor::Tensor;
use interplay_core::integrate::{OdeSolver, Span, ode_step_stability};
use interplay_core::metrics::{histogram_tv, in_support, tv_reference};
use interplay_core::sampling::Recipe;
use interplay_core::schedule::start_time;
use interplay_core::{ExactTarget, P2};
use serde::Serialize;

use crate::NnError;
use crate::field::DeviceField;
use crate::sampler::{points_tensor, run_recipe};

/// The step counts of the few-step comparison.
pub const FEW_STEPS: [usize; 4] = [1, 2, 4, 8];
/// Euler steps of the path integral in [`straightness`] where precision matters more than time.
pub const STRAIGHTNESS_STEPS: usize = 64;

/// Samples from K equal Euler steps ([`Recipe::few_step`]), scored against the target.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FewStep {
    /// K.
    pub steps: usize,
    /// The fraction of samples in the target's support.
    pub in_support: f64,
    /// Histogram TV against the exact target (16² bins and an outside bin).
    pub tv: f64,
}

/// How far the learned flow's paths are from straight lines at constant speed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Straightness {
    /// E ∫ |b(t, X_t)|² dt along the paths (the kinetic energy).
    pub kinetic: f64,
    /// E |X_1 − X_0|², the transport cost of the flow's map.
    pub cost: f64,
    /// The time the path integral reached (1 unless the stability rule stopped it).
    pub t_end: f64,
}

impl Straightness {
    /// kinetic − cost ≥ 0 (Cauchy–Schwarz, also for the Euler sums): zero exactly when every
    /// path is a straight line run at constant speed.
    pub fn gap(&self) -> f64 {
        (self.kinetic - self.cost).max(0.0)
    }
}

/// Samples `x0` (base samples) with K Euler steps for each K in `steps` and scores them.
pub async fn few_step<F: DeviceField + ?Sized>(
    field: &F,
    target: &ExactTarget,
    x0: &[P2],
    steps: &[usize],
) -> Result<Vec<FewStep>, NnError> {
    let reference = tv_reference(target);
    let mut out = Vec::with_capacity(steps.len());
    for &k in steps {
        let x = points_tensor(x0, &field.device());
        let (x, _) = run_recipe(field, x, &Recipe::few_step(k.max(1)), 0)?;
        let xs = crate::read_points(x).await?;
        let inside = xs.iter().filter(|x| in_support(target, **x)).count();
        out.push(FewStep {
            steps: k,
            in_support: inside as f64 / xs.len().max(1) as f64,
            tv: histogram_tv(&xs, &reference),
        });
    }
    Ok(out)
}

/// [`Straightness`] of the ODE paths from `x0`: `steps` equal Euler steps from the start time to
/// 1, with Σ|b|²Δt and the displacement accumulated on the device (one read each).
pub async fn straightness<F: DeviceField + ?Sized>(
    field: &F,
    x0: &[P2],
    steps: usize,
) -> Result<Straightness, NnError> {
    let n = x0.len().max(1) as f64;
    let start = points_tensor(x0, &field.device());
    let span = Span::new(start_time(&field.schedule_at(0.0)), 1.0, steps.max(1));
    let mut x = start.clone();
    let mut kinetic: Option<Tensor<1>> = None;
    let mut t_end = span.t0;
    for k in 0..span.steps {
        let (t, tn) = (span.time(k), span.time(k + 1));
        let (st, stn) = (field.schedule_at(t), field.schedule_at(tn));
        if ode_step_stability(OdeSolver::Euler, &st, &stn, tn - t).is_none() {
            break;
        }
        let (b, _) = field.velocity(t, x.clone(), false);
        let e = (b.clone() * b.clone()).sum() * (tn - t);
        kinetic = Some(kinetic.map_or(e.clone(), |a| a + e));
        x = x + b * (tn - t);
        t_end = tn;
    }
    let d = x - start;
    let cost = crate::read_scalar((d.clone() * d).sum()).await? as f64 / n;
    let kinetic = match kinetic {
        Some(k) => crate::read_scalar(k).await? as f64 / n,
        None => 0.0,
    };
    Ok(Straightness {
        kinetic,
        cost,
        t_end,
    })
}
