//! The ε explorer: for the current model, the samples' quality at each noise level of a grid
//! (histogram TV and the fraction in the support of ODE (ε = 0) and SDE samples against the
//! exact target), and the KL bound of the SDE at every ε from the learned fields' errors
//! (`interplay_nn::quality::EpsBound`), with the ε that minimises each.

use std::cell::RefCell;

use interplay_core::ExactField;
use interplay_core::sampling::{Recipe, initial_particles, streams};
use interplay_nn::spec::ScheduleSpec;

use crate::effort::Effort;
use crate::protocol::Sweep;
use crate::session::{EngineError, Outcome, Session};

/// Samples `n` points at t = 1 from the current model for each ε of `grid` (the ODE with RK4 at
/// ε = 0, the SDE with Euler–Maruyama otherwise, `steps` steps, seed `seed`), under `schedule`,
/// and scores them against the exact target; adds the KL bound of the SDE. `tv_exact` is the TV
/// of `n` exact samples: the histogram's noise.
pub(crate) async fn eps_sweep(
    cell: &RefCell<Session>,
    grid: Vec<f64>,
    seed: u32,
    schedule: &ScheduleSpec,
) -> Outcome<Sweep> {
    if grid.is_empty() || grid.len() > 32 || grid.iter().any(|e| !(0.0..=5.0).contains(e)) {
        return Err(EngineError::refused(
            "the ε grid needs 1 to 32 values in [0, 5]",
        ));
    }
    let (n, steps) = Effort::of(&cell.borrow().backend).sweep;
    let (n, steps) = (n as usize, steps as usize);
    let (field, target, runs) = {
        let st = cell.borrow();
        let field = st.field(schedule)?;
        let target = st.target();
        let x0 = initial_particles(&field.schedule, &target, n, u64::from(seed));
        let mut runs = Vec::with_capacity(grid.len());
        for &e in &grid {
            let x = interplay_nn::sampler::points_tensor(&x0, &st.backend.device);
            let (x, _) = interplay_nn::sampler::run_recipe(
                &field,
                x,
                &Recipe::with_noise(e, steps),
                u64::from(seed),
            )
            .map_err(EngineError::refused)?;
            runs.push(x);
        }
        (field, target, runs)
    };
    let (mut tv, mut in_support) = (Vec::new(), Vec::new());
    for x in runs {
        let xs = interplay_nn::read_points(x)
            .await
            .map_err(EngineError::refused)?;
        let m = interplay_core::metrics::evaluate(&target, &xs, 1);
        tv.push(m.tv);
        in_support.push(m.in_support);
    }
    let reference = target.sample(
        &mut interplay_core::Rng::stream(u64::from(seed), streams::X1),
        n,
    );
    let tv_exact = interplay_core::metrics::evaluate(&target, &reference, 1).tv;
    let exact = ExactField::from_parts(field.schedule, target);
    let bound = interplay_nn::quality::eps_bound(&field, &exact, 500, streams::EPS_BOUND_SEED)
        .await
        .map_err(EngineError::refused)?;
    let best_tv = grid
        .iter()
        .zip(&tv)
        .fold((f64::NAN, f64::INFINITY), |acc, (&e, &v)| {
            if v < acc.1 { (e, v) } else { acc }
        })
        .0;
    let best = bound.best();
    Ok(Sweep {
        eps: grid,
        tv,
        in_support,
        tv_exact,
        best_tv,
        bound,
        best_bound: best.is_finite().then_some(best),
        n,
        steps,
    })
}
