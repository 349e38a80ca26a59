//! Interplay's training engine, compiled to WebAssembly and run in a Web Worker: the trainer of
//! `interplay-nn` on WebGPU (a hardware adapter) or the CPU backend, behind a small promise-based
//! class. Every tensor read is asynchronous; results leave as plain objects and typed arrays.

use std::cell::RefCell;
use std::rc::Rc;

use interplay_core::integrate::{Eps, OdeSolver, SdeSolver};
use interplay_core::sampling::{Method, Recipe, initial_particles};
use interplay_core::{ExactTarget, Schedule};
use interplay_nn::checkpoint::{Checkpoint, Header};
use interplay_nn::device::{self, Backend, Preference};
use interplay_nn::spec::{RunConfig, ScheduleSpec};
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
            let backend = device::init(pref).await;
            // The adapter, once, for whoever reads the console.
            web_sys::console::info_1(&JsValue::from_str(&format!(
                "Interplay engine: {} backend on {} ({})",
                backend.kind, backend.adapter, backend.detail
            )));
            let state = State {
                backend,
                trainer: None,
                model: None,
                generation: 0,
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

    /// Starts a fresh training run from a JSON `RunConfig`; returns the new generation.
    pub fn configure(&self, run_config: &str) -> Result<u32, JsValue> {
        let rc: RunConfig = serde_json::from_str(run_config)
            .map_err(|e| js_err(format!("bad run configuration: {e}")))?;
        let schedule = rc.schedule.schedule().map_err(js_err)?;
        let target = rc.target.target().map_err(js_err)?;
        let mut st = self.state.borrow_mut();
        let trainer =
            Trainer::new(rc.train, schedule, target, &st.backend.device).map_err(js_err)?;
        st.trainer = Some(trainer);
        st.model = None;
        st.generation += 1;
        Ok(st.generation)
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
                let names: Vec<String> = tr
                    .objective
                    .nets()
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect();
                (last, names, tr.steps(), generation)
            };
            let mut values = Vec::new();
            if let Some(l) = losses {
                for (name, t) in names.into_iter().zip(l.losses) {
                    values.push((name, interplay_nn::read_scalar(t).await.map_err(js_err)?));
                }
            }
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
                let spec: ScheduleSpec = serde_json::from_str(&schedule)
                    .map_err(|e| js_err(format!("bad schedule: {e}")))?;
                let asked: Schedule = spec.schedule().map_err(js_err)?;
                let field = match (&st.trainer, &st.model) {
                    (Some(tr), _) => tr.field(),
                    (None, Some(m)) => m.clone(),
                    (None, None) => {
                        return Err(js_err("no model: train or load a checkpoint first"));
                    }
                };
                let field = if field.objective.needs_schedule() {
                    field
                } else {
                    field.with_schedule(asked).map_err(js_err)?
                };
                let target = match &st.trainer {
                    Some(tr) => ExactTarget::new(&tr.target),
                    None => ExactTarget::new(&interplay_core::Target::Checkerboard),
                };
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
        let mut train = ck.header.train.clone();
        train.decay = interplay_nn::LrDecay::Constant;
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
        st.generation += 1;
        Ok(st.generation)
    }
}
