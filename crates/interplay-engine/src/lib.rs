//! Interplay's training engine, compiled to WebAssembly and run in a Web Worker: the trainer of
//! `interplay-nn` on WebGPU (a hardware adapter) or the CPU backend, behind a small promise-based
//! class. Every tensor read is asynchronous; results leave as plain objects and typed arrays.

use std::cell::RefCell;
use std::rc::Rc;

use interplay_core::{ExactTarget, Schedule};
use interplay_nn::checkpoint::{Checkpoint, Header};
use interplay_nn::device::{self, Backend, Preference};
use interplay_nn::spec::{LiveRun, RunConfig, ScheduleSpec};
use interplay_nn::{LearnedField, Trainer};
use js_sys::{Promise, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

mod eps_sweep;
mod line_flow;
mod views;

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
    cloud: Option<views::Cloud>,
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
