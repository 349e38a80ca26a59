//! The ε explorer: for the current model, the samples' quality at each noise level of a grid
//! (histogram TV and the fraction in the support of ODE (ε = 0) and SDE samples against the
//! exact target), and the KL bound of the SDE at every ε from the learned fields' errors
//! (`interplay_nn::quality::EpsBound`), with the ε that minimises each.

use interplay_core::ExactField;
use interplay_core::integrate::{Eps, OdeSolver, SdeSolver};
use interplay_core::sampling::{Method, Recipe, initial_particles};
use js_sys::Promise;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::{Engine, current_field, js_err, target_of, to_js};

/// What `epsSweep` reports.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Sweep {
    eps: Vec<f64>,
    tv: Vec<f64>,
    in_support: Vec<f64>,
    /// The TV of as many exact target samples: the histogram's noise floor.
    tv_exact: f64,
    /// The grid's ε of the lowest TV.
    best_tv: f64,
    /// The bound's A, B, C and the end of its time integral.
    bound: interplay_nn::quality::EpsBound,
    /// √(A/C), the bound's minimiser (null when the score is exact).
    best_bound: Option<f64>,
    n: usize,
    steps: usize,
}

#[wasm_bindgen]
impl Engine {
    /// Samples `n` points at t = 1 from the current model for each ε of `grid` (the ODE with RK4
    /// at ε = 0, the SDE with Euler–Maruyama otherwise, `steps` steps, seed `seed`), under the
    /// schedule given as JSON, and scores them against the exact target; adds the KL bound of
    /// the SDE. Resolves to `{eps, tv, inSupport, tvExact, bestTv, bound: {a, b, c, t_end},
    /// bestBound, n, steps}` (`tvExact`: the TV of `n` exact samples, the histogram's noise).
    #[wasm_bindgen(js_name = epsSweep)]
    pub fn eps_sweep(
        &self,
        grid: Vec<f64>,
        n: u32,
        steps: u32,
        seed: u32,
        schedule: &str,
    ) -> Promise {
        let state = self.state.clone();
        let schedule = schedule.to_owned();
        future_to_promise(async move {
            if grid.is_empty() || grid.len() > 32 || grid.iter().any(|e| !(0.0..=5.0).contains(e)) {
                return Err(js_err("the ε grid needs 1 to 32 values in [0, 5]"));
            }
            let (n, steps) = (
                (n as usize).clamp(100, 20_000),
                (steps as usize).clamp(2, 1000),
            );
            let (field, target, runs) = {
                let st = state.borrow();
                let field = current_field(&st, &schedule)?;
                let target = target_of(&st);
                let x0 = initial_particles(&field.schedule, &target, n, u64::from(seed));
                let mut runs = Vec::with_capacity(grid.len());
                for &e in &grid {
                    let method = if e > 0.0 {
                        Method::Sde(SdeSolver::EulerMaruyama, Eps::Constant(e))
                    } else {
                        Method::Ode(OdeSolver::Rk4)
                    };
                    let recipe = Recipe {
                        method,
                        steps,
                        ..Recipe::default()
                    };
                    let x = interplay_nn::sampler::points_tensor(&x0, &st.backend.device);
                    let (x, _) =
                        interplay_nn::sampler::run_recipe(&field, x, &recipe, u64::from(seed))
                            .map_err(js_err)?;
                    runs.push(x);
                }
                (field, target, runs)
            };
            let (mut tv, mut in_support) = (Vec::new(), Vec::new());
            for x in runs {
                let xs = interplay_nn::read_points(x).await.map_err(js_err)?;
                let m = interplay_core::metrics::evaluate(&target, &xs, 1);
                tv.push(m.tv);
                in_support.push(m.in_support);
            }
            let reference = target.sample(
                &mut interplay_core::Rng::stream(
                    u64::from(seed),
                    interplay_core::sampling::streams::X1,
                ),
                n,
            );
            let tv_exact = interplay_core::metrics::evaluate(&target, &reference, 1).tv;
            let exact = ExactField::from_parts(field.schedule, target);
            let bound = interplay_nn::quality::eps_bound(&field, &exact, 500, 0xe95)
                .await
                .map_err(js_err)?;
            let best_tv = grid
                .iter()
                .zip(&tv)
                .fold((f64::NAN, f64::INFINITY), |acc, (&e, &v)| {
                    if v < acc.1 { (e, v) } else { acc }
                })
                .0;
            let best = bound.best();
            to_js(&Sweep {
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
        })
    }
}
