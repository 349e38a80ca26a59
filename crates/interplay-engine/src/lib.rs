//! Interplay's training engine, compiled to WebAssembly and run in a Web Worker: the trainer of
//! `interplay-nn` on WebGPU (a hardware adapter) or the CPU backend, behind a small promise-based
//! class. Every tensor read is asynchronous; results leave as plain objects and typed arrays.

use std::cell::RefCell;
use std::rc::Rc;

use interplay_core::ExactField;
use interplay_core::integrate::{Eps, OdeSolver, SdeSolver, VIEW_T_END, view_step};
use interplay_core::sampling::{Method, Recipe, initial_particles};
use interplay_core::{ExactTarget, Schedule};
use interplay_nn::checkpoint::{Checkpoint, Header};
use interplay_nn::device::{self, Backend, Preference};
use interplay_nn::spec::{LiveRun, RunConfig, ScheduleSpec};
use interplay_nn::{LearnedField, Trainer};
use js_sys::{Float32Array, Promise, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// Installs the panic hook (idempotent).
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

struct State {
    backend: Backend,
    trainer: Option<Trainer>,
    /// A loaded model that is not being trained (from a checkpoint).
    model: Option<LearnedField>,
    /// Bumped by every reset; work started under an older generation is dropped.
    generation: u32,
    /// The learned model's particles: positions on the device, their time and noise level.
    cloud: Option<Cloud>,
}

struct Cloud {
    x: burn::tensor::Tensor<2>,
    t: f64,
    key: String,
    rng: interplay_core::Rng,
    /// The training step of the model the cloud started under.
    model_steps: u64,
}

thread_local! {
    /// The devices set up so far in this worker, by preference.
    static BACKENDS: RefCell<Vec<(Preference, Backend)>> = const { RefCell::new(Vec::new()) };
}

/// The engine: one device, at most one training run.
#[wasm_bindgen]
pub struct Engine {
    state: Rc<RefCell<State>>,
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&e.to_string())
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(js_err)
}

/// What `metrics` reports.
#[derive(Serialize)]
struct Quality {
    in_support: f64,
    sliced_w2: f64,
    tv: f64,
    energy: f64,
    nll: f64,
    /// ‖b̂ − b*‖/‖b*‖ in L²(ρ(t)) at `interplay_nn::quality::ERROR_TIMES`.
    b_error: Vec<f64>,
    n: usize,
}

/// The particle counts a cloud is padded to on WebGPU: the kernels of the model's particles are
/// compiled once per size (their vectorisation and tuning depend on the shape), so every count
/// the page allows maps to one of these few.
const CLOUD_SIZES: [usize; 7] = [256, 1024, 2048, 4096, 8192, 20_000, 50_000];

/// How many particles the engine integrates to show `n`: `n` on the CPU (no padding work), the
/// next of `CLOUD_SIZES` on WebGPU.
fn cloud_size(backend: &Backend, n: usize) -> usize {
    if backend.kind != "webgpu" {
        return n;
    }
    CLOUD_SIZES.iter().copied().find(|&s| s >= n).unwrap_or(n)
}

/// The most steps `trainFor` queues between waits for the device.
const SYNC_EVERY: u32 = 8;

/// The model to sample, under the schedule given as JSON (only a schedule-free model moves to a
/// schedule other than its own).
fn current_field(st: &State, schedule: &str) -> Result<LearnedField, JsValue> {
    let spec: ScheduleSpec =
        serde_json::from_str(schedule).map_err(|e| js_err(format!("bad schedule: {e}")))?;
    let asked: Schedule = spec.schedule().map_err(js_err)?;
    let field = match (&st.trainer, &st.model) {
        (Some(tr), _) => tr.field(),
        (None, Some(m)) => m.clone(),
        (None, None) => return Err(js_err("no model: train or load a checkpoint first")),
    };
    if field.objective.needs_schedule() {
        Ok(field)
    } else {
        field.with_schedule(asked).map_err(js_err)
    }
}

fn target_of(st: &State) -> ExactTarget {
    match &st.trainer {
        Some(tr) => ExactTarget::new(&tr.target),
        None => ExactTarget::new(&interplay_core::Target::Checkerboard),
    }
}

/// The names of the run's networks, in the order of its losses.
fn net_names(tr: &Trainer) -> Vec<String> {
    tr.objective
        .nets()
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// The losses of the last step, read asynchronously (one read per network), with their names.
async fn read_losses(
    names: Vec<String>,
    losses: Option<interplay_nn::trainer::StepLosses>,
) -> Result<Vec<(String, f32)>, JsValue> {
    let mut values = Vec::new();
    if let Some(l) = losses {
        for (name, t) in names.into_iter().zip(l.losses) {
            values.push((name, interplay_nn::read_scalar(t).await.map_err(js_err)?));
        }
    }
    Ok(values)
}

/// What `train` reports.
#[derive(Serialize)]
struct TrainReport {
    steps: u64,
    done: u32,
    ms: f64,
    losses: Vec<(String, f32)>,
    generation: u32,
}

#[wasm_bindgen]
impl Engine {
    /// Sets up the device: `preference` is "auto" (WebGPU on a hardware adapter, else the CPU),
    /// "cpu" or "webgpu". Resolves to an engine; never fails for want of a GPU.
    pub fn create(preference: String) -> Promise {
        future_to_promise(async move {
            let pref = Preference::from_name(&preference).ok_or_else(|| {
                js_err(format!(
                    "backend '{preference}' is unknown; use auto, cpu or webgpu"
                ))
            })?;
            // Engines in one worker (several widgets on a page) share one device per preference.
            let cached = BACKENDS
                .with_borrow(|b| b.iter().find(|(p, _)| *p == pref).map(|(_, b)| b.clone()));
            let backend = match cached {
                Some(b) => b,
                None => {
                    let b = device::init(pref).await;
                    // The adapter, once, for whoever reads the console.
                    web_sys::console::info_1(&JsValue::from_str(&format!(
                        "Interplay engine: {} backend on {} ({})",
                        b.kind, b.adapter, b.detail
                    )));
                    BACKENDS.with_borrow_mut(|all| all.push((pref, b.clone())));
                    b
                }
            };
            let state = State {
                backend,
                trainer: None,
                model: None,
                generation: 0,
                cloud: None,
            };
            Ok(Engine {
                state: Rc::new(RefCell::new(state)),
            }
            .into())
        })
    }

    /// "webgpu" or "cpu".
    pub fn backend(&self) -> String {
        self.state.borrow().backend.kind.to_owned()
    }

    /// The adapter's name ("CPU" on the CPU backend).
    pub fn adapter(&self) -> String {
        self.state.borrow().backend.adapter.clone()
    }

    /// Why the backend differs from the one asked for, if it does.
    pub fn notice(&self) -> Option<String> {
        self.state.borrow().backend.notice.clone()
    }

    /// The current run as the JSON that `interplay train --config` reads, with `steps` the steps
    /// trained so far (at least 1), so a browser experiment can be replayed natively.
    #[wasm_bindgen(js_name = runConfig)]
    pub fn run_config(&self) -> Result<String, JsValue> {
        let st = self.state.borrow();
        let tr = st
            .trainer
            .as_ref()
            .ok_or_else(|| js_err("no training run: train or load a checkpoint first"))?;
        let rc = RunConfig {
            train: tr.config.clone(),
            schedule: (&tr.schedule).into(),
            target: (&tr.target).into(),
            steps: tr.steps().max(1),
        };
        serde_json::to_string_pretty(&rc).map_err(js_err)
    }

    /// The steps trained in the current run (0 without one): with the generation, the name of
    /// the model the engine holds, as training reports and learned views give it.
    pub fn steps(&self) -> f64 {
        let st = self.state.borrow();
        st.trainer.as_ref().map_or(0.0, |tr| tr.steps() as f64)
    }

    /// Starts a fresh training run from a JSON `LiveRun` (the page's settings; the rest are the
    /// live defaults of `TrainConfig::live`); returns the new generation.
    #[wasm_bindgen(js_name = configureLive)]
    pub fn configure_live(&self, live: &str) -> Result<u32, JsValue> {
        let live: LiveRun = serde_json::from_str(live)
            .map_err(|e| js_err(format!("bad training settings: {e}")))?;
        self.start_run(live.run_config())
    }

    /// Starts a fresh training run from a JSON `RunConfig`; returns the new generation.
    pub fn configure(&self, run_config: &str) -> Result<u32, JsValue> {
        let rc: RunConfig = serde_json::from_str(run_config)
            .map_err(|e| js_err(format!("bad run configuration: {e}")))?;
        self.start_run(rc)
    }

    fn start_run(&self, rc: RunConfig) -> Result<u32, JsValue> {
        let schedule = rc.schedule.schedule().map_err(js_err)?;
        let target = rc.target.target().map_err(js_err)?;
        let mut st = self.state.borrow_mut();
        let trainer =
            Trainer::new(rc.train, schedule, target, &st.backend.device).map_err(js_err)?;
        st.trainer = Some(trainer);
        st.model = None;
        st.cloud = None;
        st.generation += 1;
        Ok(st.generation)
    }

    /// Trains for about `budget_ms` milliseconds (at least one step), then reads the losses.
    /// It waits for the device (a read of the last loss) after the first step and then after
    /// as many steps as fit in the rest of the budget (at most `SYNC_EVERY`), so that on WebGPU
    /// the time measured is the time trained and no backlog of unread steps builds up.
    /// Resolves like `train`.
    #[wasm_bindgen(js_name = trainFor)]
    pub fn train_for(&self, budget_ms: f64) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let t0 = js_sys::Date::now();
            let mut done = 0u32;
            let generation = state.borrow().generation;
            loop {
                let (losses, names, total) = {
                    let mut st = state.borrow_mut();
                    if st.generation != generation {
                        return Err(js_err("the training run was replaced"));
                    }
                    let tr = st
                        .trainer
                        .as_mut()
                        .ok_or_else(|| js_err("no training run: call configure first"))?;
                    let elapsed = js_sys::Date::now() - t0;
                    let per_step = if done == 0 {
                        f64::INFINITY
                    } else {
                        elapsed / f64::from(done)
                    };
                    let fit = ((budget_ms - elapsed) / per_step.max(0.1)).floor();
                    let k = if fit.is_finite() {
                        fit.clamp(1.0, f64::from(SYNC_EVERY)) as u32
                    } else {
                        1
                    };
                    let mut last = None;
                    for _ in 0..k {
                        last = Some(tr.step());
                        done += 1;
                    }
                    let names = net_names(tr);
                    (last, names, tr.steps())
                };
                let values = read_losses(names, losses).await?;
                if js_sys::Date::now() - t0 >= budget_ms || done >= 10_000 {
                    return to_js(&TrainReport {
                        steps: total,
                        done,
                        ms: js_sys::Date::now() - t0,
                        losses: values,
                        generation,
                    });
                }
            }
        })
    }

    /// Moves the learned model's particles towards time `t` (at most `max_steps` Heun steps of
    /// at most 0.01) under the schedule given as JSON, with noise `eps`, starting afresh when the
    /// seed, count, schedule or noise change. Resolves to `{t, steps, points: Float32Array,
    /// generation, modelSteps}` (`steps` the steps taken; `generation` and `modelSteps` name the
    /// model that moved them, as training reports name the model it left).
    #[wasm_bindgen(js_name = particles)]
    pub fn particles(
        &self,
        t: f64,
        n: u32,
        eps: f64,
        seed: u32,
        schedule: &str,
        max_steps: u32,
    ) -> Promise {
        let state = self.state.clone();
        let schedule = schedule.to_owned();
        future_to_promise(async move {
            let (x, reached, taken, generation, model_steps) = {
                let mut st = state.borrow_mut();
                let field = current_field(&st, &schedule)?;
                let generation = st.generation;
                let key = format!("{schedule}|{n}|{eps}|{seed}|{}", st.generation);
                let model_steps = st.trainer.as_ref().map_or(0, Trainer::steps);
                let t_wanted = t.clamp(field.schedule.t_start(), VIEW_T_END);
                // A cloud that has arrived where it was asked to go, carried by a model that
                // training has since changed, starts again from t = 0: the particles then flow
                // anew under the current model, so what a reader sees after training is the
                // trained flow, not one carried mostly by the first networks.
                let stale = st.cloud.as_ref().is_some_and(|c| {
                    c.model_steps != model_steps && (c.t - t_wanted).abs() <= 1e-12
                });
                let fresh = stale || st.cloud.as_ref().is_none_or(|c| c.key != key);
                if fresh {
                    let target = target_of(&st);
                    let count = cloud_size(&st.backend, n as usize);
                    let x0 = initial_particles(&field.schedule, &target, count, u64::from(seed));
                    st.cloud = Some(Cloud {
                        x: interplay_nn::sampler::points_tensor(&x0, &st.backend.device),
                        t: field.schedule.t_start(),
                        key,
                        rng: interplay_core::Rng::stream(
                            u64::from(seed),
                            interplay_core::sampling::streams::VIEW_NOISE,
                        ),
                        model_steps,
                    });
                }
                let cloud = st.cloud.as_mut().ok_or_else(|| js_err("no particles"))?;
                let t_min = field.schedule.t_start();
                let target_t = t.clamp(t_min, VIEW_T_END);
                let mut x = cloud.x.clone();
                let mut steps = 0;
                while (cloud.t - target_t).abs() > 1e-12 && steps < max_steps.max(1) {
                    // The same step rule as the viewer's exact particles (finer near both ends).
                    let next = view_step(cloud.t, target_t, t_min);
                    let (y, moved) = interplay_nn::sampler::view_move(
                        &field,
                        x,
                        cloud.t,
                        next,
                        eps,
                        &mut cloud.rng,
                    );
                    x = y;
                    if !moved {
                        break;
                    }
                    cloud.t = next;
                    steps += 1;
                }
                cloud.x = x.clone();
                // At the end of time, show the particles denoised (the Tweedie jump).
                let shown = if t >= VIEW_T_END && cloud.t >= VIEW_T_END - 1e-9 {
                    interplay_nn::DeviceField::posterior_mean(&field, cloud.t, x)
                } else {
                    x
                };
                (shown, cloud.t, steps, generation, model_steps)
            };
            let mut v = interplay_nn::read_values(x).await.map_err(js_err)?;
            // The cloud may be padded to a fixed size: only the particles asked for are shown.
            v.truncate(2 * n as usize);
            let out = js_sys::Object::new();
            js_sys::Reflect::set(&out, &"t".into(), &reached.into())?;
            js_sys::Reflect::set(&out, &"steps".into(), &taken.into())?;
            js_sys::Reflect::set(&out, &"generation".into(), &generation.into())?;
            js_sys::Reflect::set(&out, &"modelSteps".into(), &(model_steps as f64).into())?;
            js_sys::Reflect::set(
                &out,
                &"points".into(),
                &Float32Array::from(v.as_slice()).into(),
            )?;
            Ok(out.into())
        })
    }

    /// The learned model's density ρ̂(t, ·) on an n×n grid of [−5, 5]² (row-major, top row
    /// first), by the ODE log-likelihood with the network's exact divergence (`steps` RK4 steps
    /// back to t = 0). Resolves to a Float32Array of densities.
    pub fn density(&self, t: f64, n: u32, steps: u32, schedule: &str) -> Promise {
        let state = self.state.clone();
        let schedule = schedule.to_owned();
        future_to_promise(async move {
            let (flow, pts, field, target) = {
                let st = state.borrow();
                let field = current_field(&st, &schedule)?;
                let grid = interplay_core::density::Grid::view(n.clamp(4, 256) as usize);
                let pts: Vec<interplay_core::P2> = (0..grid.n)
                    .flat_map(|r| (0..grid.n).map(move |c| grid.center(r, c)))
                    .collect();
                let t = t.clamp(0.0, VIEW_T_END);
                // At t = 0 the density is the base itself: nothing to integrate.
                let flow = (t > 0.0).then(|| {
                    let x = interplay_nn::sampler::points_tensor(&pts, &st.backend.device);
                    interplay_nn::sampler::ode_flow_back(&field, x, t, steps.max(1) as usize)
                });
                (flow, pts, field, target_of(&st))
            };
            // ρ(0) is N(0, I), or the target itself for the mirror path.
            let log_rho0 = interplay_core::likelihood::log_rho0(&field.schedule, &target);
            let ll: Vec<f64> = match flow {
                None => pts.iter().map(|p| log_rho0(*p)).collect(),
                Some((x0, ell)) => {
                    let x0 = interplay_nn::read_points(x0).await.map_err(js_err)?;
                    let ell = interplay_nn::read_values(ell).await.map_err(js_err)?;
                    x0.iter()
                        .zip(ell)
                        .map(|(p, l)| log_rho0(*p) + f64::from(l))
                        .collect()
                }
            };
            let dens: Vec<f32> = ll.iter().map(|l| l.exp() as f32).collect();
            Ok(Float32Array::from(dens.as_slice()).into())
        })
    }

    /// Quality of the current model: in-support fraction, sliced W2, histogram TV and energy of
    /// `n` ODE samples (Heun, `steps` steps, Tweedie jump), the NLL of 256 target samples by the
    /// exact divergence (`steps` RK4 steps), and the relative L2 error of b̂ against the exact
    /// field at t = 0.1, 0.3, 0.5, 0.7, 0.9.
    pub fn metrics(&self, n: u32, steps: u32, schedule: &str) -> Promise {
        let state = self.state.clone();
        let schedule = schedule.to_owned();
        future_to_promise(async move {
            let work = {
                let st = state.borrow();
                let field = current_field(&st, &schedule)?;
                let target = target_of(&st);
                let seed = 0xe7a1;
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
                );
                let ys = target.sample(&mut interplay_core::Rng::stream(seed, 9), 256);
                let flow = interplay_nn::sampler::ode_flow_back(
                    &field,
                    interplay_nn::sampler::points_tensor(&ys, &st.backend.device),
                    1.0 - 1e-3,
                    steps.max(2) as usize,
                );
                let exact = ExactField::from_parts(field.schedule, target);
                (x, flow, field, exact)
            };
            let (samples, (x0, ell), field, exact) = work;
            // The relative L2(ρ(t)) error of b̂ at 5 times, on direct interpolant samples.
            let errors = interplay_nn::quality::field_errors(
                &field,
                &exact,
                &interplay_nn::quality::ERROR_TIMES,
                (n as usize / 2).clamp(100, 2000),
                0xe7a1,
            )
            .await
            .map_err(js_err)?;
            let xs = interplay_nn::read_points(samples).await.map_err(js_err)?;
            let x0 = interplay_nn::read_points(x0).await.map_err(js_err)?;
            let ell = interplay_nn::read_values(ell).await.map_err(js_err)?;
            // ρ(0) is N(0, I), or the target itself for the mirror path.
            let log_rho0 = interplay_core::likelihood::log_rho0(&field.schedule, exact.target());
            let ll: Vec<f64> = x0
                .iter()
                .zip(ell)
                .map(|(p, l)| log_rho0(*p) + f64::from(l))
                .collect();
            let m = interplay_core::metrics::evaluate(exact.target(), &xs, 1);
            let nll = -ll.iter().sum::<f64>() / ll.len().max(1) as f64;
            to_js(&Quality {
                in_support: m.in_support,
                sliced_w2: m.sliced_w2,
                tv: m.tv,
                energy: m.energy,
                nll,
                b_error: errors.iter().map(|e| e.b).collect(),
                n: m.n,
            })
        })
    }

    /// Runs `steps` optimisation steps, then reads the last losses (one asynchronous read).
    /// Resolves to `{steps, done, ms, losses: [[name, value]…], generation}`.
    pub fn train(&self, steps: u32) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let t0 = js_sys::Date::now();
            let (losses, names, total, generation) = {
                let mut st = state.borrow_mut();
                let generation = st.generation;
                let tr = st
                    .trainer
                    .as_mut()
                    .ok_or_else(|| js_err("no training run: call configure first"))?;
                let mut last = None;
                for _ in 0..steps {
                    last = Some(tr.step());
                }
                let names = net_names(tr);
                (last, names, tr.steps(), generation)
            };
            let values = read_losses(names, losses).await?;
            to_js(&TrainReport {
                steps: total,
                done: steps,
                ms: js_sys::Date::now() - t0,
                losses: values,
                generation,
            })
        })
    }

    /// Samples `n` particles at t = 1 from the current model with `steps` steps of the ODE
    /// (`eps` = 0, RK4) or the SDE (Euler–Maruyama), under the schedule given as JSON (only a
    /// schedule-free model takes a schedule other than its own). Resolves to a Float32Array
    /// [x0, y0, x1, y1, …].
    pub fn sample(&self, n: u32, steps: u32, eps: f64, seed: u32, schedule: &str) -> Promise {
        let state = self.state.clone();
        let schedule = schedule.to_owned();
        future_to_promise(async move {
            let (x, _) = {
                let st = state.borrow();
                let field = current_field(&st, &schedule)?;
                let target = target_of(&st);
                let x0 = initial_particles(&field.schedule, &target, n as usize, u64::from(seed));
                let x0 = interplay_nn::sampler::points_tensor(&x0, &st.backend.device);
                let method = if eps > 0.0 {
                    Method::Sde(SdeSolver::EulerMaruyama, Eps::Constant(eps))
                } else {
                    Method::Ode(OdeSolver::Rk4)
                };
                let recipe = Recipe {
                    method,
                    steps: steps.max(1) as usize,
                    ..Recipe::default()
                };
                interplay_nn::sampler::run_recipe(&field, x0, &recipe, u64::from(seed))
            };
            let v = interplay_nn::read_values(x).await.map_err(js_err)?;
            Ok(Float32Array::from(v.as_slice()).into())
        })
    }

    /// The current networks as checkpoint bytes (read asynchronously).
    pub fn checkpoint(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (header, nets) = {
                let st = state.borrow();
                let tr = st
                    .trainer
                    .as_ref()
                    .ok_or_else(|| js_err("no training run to save"))?;
                let header = Header {
                    objective: tr.objective.clone(),
                    net: tr.config.net.clone(),
                    schedule: (&tr.schedule).into(),
                    target: (&tr.target).into(),
                    train: tr.config.clone(),
                    steps: tr.steps(),
                    nets: tr.objective.nets().len(),
                };
                (header, tr.model())
            };
            let ck = Checkpoint::of(header, &nets).await.map_err(js_err)?;
            Ok(Uint8Array::from(ck.to_bytes().as_slice()).into())
        })
    }

    /// Loads checkpoint bytes; training continues from them. Throws a message on bad bytes and
    /// keeps the current state.
    #[wasm_bindgen(js_name = loadCheckpoint)]
    pub fn load_checkpoint(&self, bytes: &[u8]) -> Result<u32, JsValue> {
        let ck = Checkpoint::from_bytes(bytes).map_err(js_err)?;
        let mut st = self.state.borrow_mut();
        let schedule = ck.header.schedule.schedule().map_err(js_err)?;
        let target = ck.header.target.target().map_err(js_err)?;
        // Training continues at the rate where the saved run ended (its decay done), not at its
        // initial rate, which would undo what the decay bought.
        let mut train = ck.header.train.clone();
        train.lr = train.lr_at(ck.header.steps);
        train.decay = interplay_nn::LrDecay::Constant;
        train.warmup = 0;
        let trainer = Trainer::resume(
            train,
            ck.header.objective.clone(),
            schedule,
            target,
            &ck.params,
            ck.header.steps,
            &st.backend.device,
        )
        .map_err(js_err)?;
        st.trainer = Some(trainer);
        st.model = None;
        st.cloud = None;
        st.generation += 1;
        Ok(st.generation)
    }
}
