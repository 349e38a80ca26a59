//! The engine's learned views: the model's particles following t, its density on a grid, the
//! quality metrics and samples at t = 1. Each does its device work under a short borrow of the
//! session and then reads the results asynchronously.

use std::cell::RefCell;

use burn::tensor::Tensor;
use interplay_core::integrate::{Follow, Moved, OdeSolver, VIEW_T_END};
use interplay_core::sampling::{Method, Recipe, initial_particles};
use interplay_core::{ExactField, P2};
use interplay_nn::spec::ScheduleSpec;

use crate::effort::{Effort, cloud_size};
use crate::protocol::{Particles, Quality};
use crate::session::{Cloud, EngineError, Outcome, Session};

/// Moves the learned model's particles towards time `t` (at most `max_steps` Heun steps of at
/// most 0.01) under `schedule`, with noise `eps`, starting afresh when the seed, count, schedule
/// or noise change. `steps` in the answer is the steps taken; `generation` and `model_steps`
/// name the model that moved them, as training reports name the model it left.
pub(crate) async fn particles(
    cell: &RefCell<Session>,
    t: f64,
    n: u32,
    eps: f64,
    seed: u32,
    schedule: &ScheduleSpec,
    max_steps: u32,
) -> Outcome<Particles> {
    let (x, reached, taken, generation, model_steps) = {
        let mut st = cell.borrow_mut();
        let effort = Effort::of(&st.backend);
        let n = n.min(effort.particles as u32);
        let max_steps = max_steps.min(effort.particle_steps);
        let field = st.field(schedule)?;
        let generation = st.generation;
        let key = format!("{schedule:?}|{n}|{eps}|{seed}|{generation}");
        let model_steps = st.steps();
        let t_min = field.schedule.t_start();
        // A cloud that has arrived where it was asked to go, carried by a model that training
        // has since changed, starts again from t = 0: the particles then flow anew under the
        // current model, so what a reader sees after training is the trained flow, not one
        // carried mostly by the first networks.
        let stale = st
            .cloud
            .as_ref()
            .is_some_and(|c| c.model_steps != model_steps && c.follow.at(c.follow.target(t)));
        let fresh = stale || st.cloud.as_ref().is_none_or(|c| c.key != key);
        if fresh {
            let target = st.target();
            let count = cloud_size(&st.backend, n as usize);
            let x0 = initial_particles(&field.schedule, &target, count, u64::from(seed));
            let x = interplay_nn::sampler::points_tensor(&x0, &st.backend.device);
            st.cloud = Some(Cloud {
                x,
                follow: Follow::new(t_min, t_min),
                key,
                rng: interplay_core::Rng::stream(
                    u64::from(seed),
                    interplay_core::sampling::streams::VIEW_NOISE,
                ),
                model_steps,
            });
        }
        let Some(cloud) = st.cloud.as_mut() else {
            return Err(EngineError::refused("no particles"));
        };
        // The viewer's exact particles take the same steps (finer near both ends).
        let mut x = Some(cloud.x.clone());
        let rng = &mut cloud.rng;
        let (steps, _) = cloud.follow.advance(t, max_steps.max(1), |from, next| {
            let Some(now) = x.take() else {
                return Moved::Refused;
            };
            let (y, moved) = interplay_nn::sampler::view_move(&field, now, from, next, eps, rng);
            x = Some(y);
            if moved { Moved::All } else { Moved::Refused }
        });
        let Some(x) = x else {
            return Err(EngineError::refused("the particles were lost in a step"));
        };
        cloud.x = x.clone();
        // At the end of time, show the particles denoised (the Tweedie jump).
        let shown = if cloud.follow.denoised(t) {
            interplay_nn::DeviceField::posterior_mean(&field, cloud.follow.t, x)
        } else {
            x
        };
        (shown, cloud.follow.t, steps, generation, model_steps)
    };
    let mut points = interplay_nn::read_values(x)
        .await
        .map_err(EngineError::refused)?;
    // The cloud may be padded to a fixed size: only the particles asked for are shown.
    points.truncate(2 * n as usize);
    Ok(Particles {
        t: reached,
        steps: taken,
        points,
        generation,
        model_steps,
    })
}

/// log ρ̂ of the points whose ODE flow back to t = 0 is `flow` (where each started, and the
/// log-determinant gathered on the way), read from the device: log ρ0(x0) + ℓ.
async fn log_likelihoods(
    (x0, ell): (Tensor<2>, Tensor<2>),
    log_rho0: &dyn Fn(P2) -> f64,
) -> Outcome<Vec<f64>> {
    let x0 = interplay_nn::read_points(x0)
        .await
        .map_err(EngineError::refused)?;
    let ell = interplay_nn::read_values(ell)
        .await
        .map_err(EngineError::refused)?;
    Ok(x0
        .iter()
        .zip(ell)
        .map(|(p, l)| log_rho0(*p) + f64::from(l))
        .collect())
}

/// The learned model's density ρ̂(t, ·) on an n×n grid of [−5, 5]² (row-major, top row first),
/// by the ODE log-likelihood with the network's exact divergence (`steps` RK4 steps back to
/// t = 0).
pub(crate) async fn density(
    cell: &RefCell<Session>,
    t: f64,
    n: u32,
    steps: u32,
    schedule: &ScheduleSpec,
) -> Outcome<Vec<f32>> {
    let (flow, pts, field, target) = {
        let st = cell.borrow();
        let field = st.field(schedule)?;
        let grid = interplay_core::density::Grid::view(n.clamp(4, 256) as usize);
        let pts: Vec<P2> = (0..grid.n)
            .flat_map(|r| (0..grid.n).map(move |c| grid.center(r, c)))
            .collect();
        let t = t.clamp(0.0, VIEW_T_END);
        // At t = 0 the density is the base itself: nothing to integrate.
        let flow = (t > 0.0).then(|| {
            let x = interplay_nn::sampler::points_tensor(&pts, &st.backend.device);
            interplay_nn::sampler::ode_flow_back(&field, x, t, steps.max(1) as usize)
        });
        (flow, pts, field, st.target())
    };
    // ρ(0) is N(0, I), or the target itself for the mirror path.
    let log_rho0 = interplay_core::likelihood::log_rho0(&field.schedule, &target);
    let ll: Vec<f64> = match flow {
        None => pts.iter().map(|p| log_rho0(*p)).collect(),
        Some(flow) => log_likelihoods(flow, &log_rho0).await?,
    };
    Ok(ll.iter().map(|l| l.exp() as f32).collect())
}

/// Quality of the current model: in-support fraction, sliced W2, histogram TV and energy of `n`
/// ODE samples (Heun, `steps` steps, Tweedie jump), the NLL of 256 target samples by the exact
/// divergence (`steps` RK4 steps), the relative L2 error of b̂ against the exact field at
/// t = 0.1, 0.3, 0.5, 0.7, 0.9, and what straight paths buy: the TV of the same base points
/// after 1, 2, 4 and 8 Euler steps, and the straightness gap of the learned ODE.
pub(crate) async fn metrics(cell: &RefCell<Session>, schedule: &ScheduleSpec) -> Outcome<Quality> {
    let seed = interplay_core::sampling::streams::METRICS_SEED;
    let (n, steps) = Effort::of(&cell.borrow().backend).metrics;
    let (samples, back, field, exact, base) = {
        let st = cell.borrow();
        let field = st.field(schedule)?;
        let target = st.target();
        let x0 = initial_particles(&field.schedule, &target, n as usize, seed);
        let recipe = Recipe {
            method: Method::Ode(OdeSolver::Heun),
            steps: steps.max(2) as usize,
            ..Recipe::default()
        };
        let (x, _) = interplay_nn::sampler::run_recipe(
            &field,
            interplay_nn::sampler::points_tensor(&x0, &st.backend.device),
            &recipe,
            seed,
        )
        .map_err(EngineError::refused)?;
        let ys = target.sample(
            &mut interplay_core::Rng::stream(seed, interplay_core::sampling::streams::NLL_POINTS),
            256,
        );
        let flow = interplay_nn::sampler::ode_flow_back(
            &field,
            interplay_nn::sampler::points_tensor(&ys, &st.backend.device),
            1.0 - 1e-3,
            steps.max(2) as usize,
        );
        let exact = ExactField::from_parts(field.schedule, target);
        (x, flow, field, exact, x0)
    };
    // What a coupling buys: few-step samples and straight paths, on the same base points.
    let few = interplay_nn::few_step::few_step(
        &field,
        exact.target(),
        &base,
        &interplay_nn::few_step::FEW_STEPS,
    )
    .await
    .map_err(EngineError::refused)?;
    let straight = interplay_nn::few_step::straightness(&field, &base, steps.max(16) as usize)
        .await
        .map_err(EngineError::refused)?;
    // The relative L2(ρ(t)) error of b̂ at 5 times, on direct interpolant samples.
    let errors = interplay_nn::quality::field_errors(
        &field,
        &exact,
        &interplay_nn::quality::ERROR_TIMES,
        (n as usize / 2).clamp(100, 2000),
        seed,
    )
    .await
    .map_err(EngineError::refused)?;
    let xs = interplay_nn::read_points(samples)
        .await
        .map_err(EngineError::refused)?;
    // ρ(0) is N(0, I), or the target itself for the mirror path.
    let log_rho0 = interplay_core::likelihood::log_rho0(&field.schedule, exact.target());
    let ll = log_likelihoods(back, &log_rho0).await?;
    let m = interplay_core::metrics::evaluate(exact.target(), &xs, 1);
    let nll = -ll.iter().sum::<f64>() / ll.len().max(1) as f64;
    Ok(Quality {
        in_support: m.in_support,
        sliced_w2: m.sliced_w2,
        tv: m.tv,
        energy: m.energy,
        nll,
        b_error: errors.iter().map(|e| e.b).collect(),
        few_step_tv: few.iter().map(|r| r.tv).collect(),
        straightness: straight.gap(),
        transport_cost: straight.cost,
        n: m.n,
    })
}

/// Samples `n` particles at t = 1 from the current model with `steps` steps of the ODE (`eps` =
/// 0) or the SDE ([`Recipe::with_noise`]), under `schedule`: [x0, y0, x1, y1, …].
pub(crate) async fn sample(
    cell: &RefCell<Session>,
    n: u32,
    steps: u32,
    eps: f64,
    seed: u32,
    schedule: &ScheduleSpec,
) -> Outcome<Vec<f32>> {
    let x = {
        let st = cell.borrow();
        let field = st.field(schedule)?;
        let x0 = initial_particles(&field.schedule, &st.target(), n as usize, u64::from(seed));
        let x0 = interplay_nn::sampler::points_tensor(&x0, &st.backend.device);
        let recipe = Recipe::with_noise(eps, steps as usize);
        interplay_nn::sampler::run_recipe(&field, x0, &recipe, u64::from(seed))
            .map_err(EngineError::refused)?
            .0
    };
    interplay_nn::read_values(x)
        .await
        .map_err(EngineError::refused)
}
