//! The engine's logic as a plain Rust session: one device, at most one training run (of fields,
//! or of a flow map), the learned particles; `crate::handle` answers every request on it. Nothing here knows about JavaScript,
//! so the same code is tested natively (`tests/session.rs`) and runs in the page's worker.
//!
//! Several requests may be in flight at once in the worker (a training chunk waits for the
//! device while a view is asked for), so no borrow of the session is held across an `await`:
//! each request does its device work under a short borrow, then reads the results without one.

use interplay_core::{ExactTarget, Schedule};
use interplay_nn::checkpoint::Checkpoint;
use interplay_nn::device::Backend;
use interplay_nn::flow_map::{Distill, FLOW_MAP_MAGIC, MapTrainer};
use interplay_nn::spec::{RunConfig, ScheduleSpec};
use interplay_nn::{LearnedField, Trainer};

use crate::map_run::MapRun;
use crate::nets_run::NetsRun;

use crate::protocol::Response;

pub use crate::error::{EngineError, Outcome};

/// The learned model's particles: positions on the device, their time and noise level.
pub(crate) struct Cloud {
    pub(crate) x: burn::tensor::Tensor<2>,
    /// The time reached (core's rule, which the viewer's exact particles follow too).
    pub(crate) follow: interplay_core::integrate::Follow,
    pub(crate) key: String,
    pub(crate) rng: interplay_core::Rng,
    /// The training step of the model the cloud started under.
    pub(crate) model_steps: u64,
}

/// One engine: a device and what it trains.
pub struct Session {
    pub(crate) backend: Backend,
    pub(crate) trainer: Option<Trainer>,
    /// A flow map's run (then `trainer` is none): one run at a time, of either kind.
    pub(crate) map: Option<MapRun>,
    /// Bumped by every fresh run; work started under an older generation is dropped.
    pub(crate) generation: u32,
    /// The learned model's particles.
    pub(crate) cloud: Option<Cloud>,
    /// A run of the transport sampler (the "no data" figure's engine has only this).
    pub(crate) nets: Option<NetsRun>,
}

/// Milliseconds on a clock that only moves forward: the worker's `performance.now()`
/// (sub-millisecond; a view's cost per step is measured with it), else the date.
#[cfg(target_arch = "wasm32")]
pub(crate) fn now_ms() -> f64 {
    use wasm_bindgen::JsCast;
    let get = |o: &wasm_bindgen::JsValue, k: &str| js_sys::Reflect::get(o, &k.into()).ok();
    get(&js_sys::global(), "performance")
        .and_then(|p| {
            let now: js_sys::Function = get(&p, "now")?.dyn_into().ok()?;
            now.call0(&p).ok()?.as_f64()
        })
        .unwrap_or_else(js_sys::Date::now)
}

/// Milliseconds on a clock that only moves forward.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn now_ms() -> f64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
        * 1e3
}

impl Session {
    /// A session on `backend`, with no run.
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            trainer: None,
            map: None,
            generation: 0,
            cloud: None,
            nets: None,
        }
    }

    /// The device this session trains on.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// The steps trained in the current run (0 without one).
    pub fn steps(&self) -> u64 {
        match (&self.trainer, &self.map) {
            (Some(tr), _) => tr.steps(),
            (None, Some(m)) => m.trainer.steps(),
            (None, None) => self
                .nets
                .as_ref()
                .and_then(|n| n.trainer.as_ref())
                .map_or(0, |t| t.steps()),
        }
    }

    /// The run's generation (0 before the first).
    pub fn generation(&self) -> u32 {
        self.generation
    }

    pub(crate) fn trainer(&self) -> Outcome<&Trainer> {
        match (&self.trainer, &self.map) {
            (Some(tr), _) => Ok(tr),
            (None, Some(_)) => Err(EngineError::MapRun),
            (None, None) => Err(EngineError::NoRun),
        }
    }

    pub(crate) fn trainer_mut(&mut self) -> Outcome<&mut Trainer> {
        match (&mut self.trainer, &self.map) {
            (Some(tr), _) => Ok(tr),
            (None, Some(_)) => Err(EngineError::MapRun),
            (None, None) => Err(EngineError::NoRun),
        }
    }

    /// The flow map's run, or why there is none.
    pub(crate) fn map_run(&mut self) -> Outcome<&mut MapRun> {
        match (&self.trainer, &mut self.map) {
            (_, Some(m)) => Ok(m),
            (Some(_), None) => Err(EngineError::NotMap),
            (None, None) => Err(EngineError::NoRun),
        }
    }

    /// The model to sample under the schedule the reader set: a schedule-free model moves to
    /// it, every other model keeps the schedule it was trained under.
    pub(crate) fn field(&self, schedule: &ScheduleSpec) -> Outcome<LearnedField> {
        let asked: Schedule = schedule.schedule().map_err(EngineError::refused)?;
        let field = self.trainer()?.field();
        if field.objective.needs_schedule() {
            Ok(field)
        } else {
            field.with_schedule(asked).map_err(EngineError::refused)
        }
    }

    /// The exact target of the run (the checkerboard before one).
    pub(crate) fn target(&self) -> ExactTarget {
        match (&self.trainer, &self.map) {
            (Some(tr), _) => ExactTarget::new(&tr.target),
            (None, Some(m)) => ExactTarget::new(&m.trainer.target),
            (None, None) => ExactTarget::new(&interplay_core::Target::Checkerboard),
        }
    }

    /// Starts a fresh run; returns its generation. A refused run leaves the current one alone.
    pub(crate) fn start(&mut self, rc: RunConfig) -> Outcome<u32> {
        let schedule = rc.schedule.schedule().map_err(EngineError::refused)?;
        let target = rc.target.target().map_err(EngineError::refused)?;
        if rc.train.objective == interplay_core::ObjectiveKind::FlowMap {
            let map = MapTrainer::new(
                rc.train,
                Distill::default(),
                schedule,
                target,
                &self.backend.device,
            )
            .map_err(EngineError::refused)?;
            return Ok(self.replace(None, Some(MapRun::new(map))));
        }
        let trainer = Trainer::new(rc.train, schedule, target, &self.backend.device)
            .map_err(EngineError::refused)?;
        Ok(self.replace(Some(trainer), None))
    }

    fn replace(&mut self, trainer: Option<Trainer>, map: Option<MapRun>) -> u32 {
        self.trainer = trainer;
        self.map = map;
        self.nets = None;
        self.cloud = None;
        self.generation += 1;
        self.generation
    }

    /// Replaces every run by a run of the transport sampler; returns its generation.
    pub(crate) fn replace_nets(&mut self, run: NetsRun) -> u32 {
        let generation = self.replace(None, None);
        self.nets = Some(run);
        generation
    }

    /// Continues training from checkpoint bytes; bad bytes are refused and keep the current run.
    /// A flow map's bytes are refused by name (the page saves a map; `interplay sample --model`
    /// reads it).
    pub(crate) fn load(&mut self, bytes: &[u8]) -> Outcome<Response> {
        if bytes.starts_with(FLOW_MAP_MAGIC) {
            return Err(EngineError::refused(
                "this checkpoint holds a flow map (it starts with \"IPLYFMAP\"), which has no velocity or score: sample it with interplay sample --model",
            ));
        }
        if bytes.starts_with(interplay_nn::nets_checkpoint::NETS_MAGIC) {
            return Err(EngineError::refused(
                "this checkpoint holds a transport learned by NETS (it starts with \"IPLYNETS\"), which samples an energy, not a velocity or score: sample it with interplay sample-energy --model",
            ));
        }
        let ck = Checkpoint::from_bytes(bytes).map_err(EngineError::refused)?;
        let schedule = ck
            .header
            .schedule
            .schedule()
            .map_err(EngineError::refused)?;
        let target = ck.header.target.target().map_err(EngineError::refused)?;
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
            &self.backend.device,
        )
        .map_err(EngineError::refused)?;
        let generation = self.replace(Some(trainer), None);
        self.loaded(generation)
    }

    fn loaded(&self, generation: u32) -> Outcome<Response> {
        let config = self.run_config()?;
        Ok(Response::Loaded {
            generation,
            steps: self.steps(),
            settings: Box::new(config.settings()),
            config,
        })
    }

    /// The current run as `interplay train --config` reads it, with `steps` the steps trained
    /// so far (at least 1), so a browser experiment can be replayed natively.
    pub fn run_config(&self) -> Outcome<RunConfig> {
        if let (None, Some(m)) = (&self.trainer, &self.map) {
            let tr = &m.trainer;
            return Ok(RunConfig {
                train: tr.config.clone(),
                schedule: (&tr.schedule).into(),
                target: (&tr.target).into(),
                steps: tr.steps().max(1),
            });
        }
        let tr = self.trainer()?;
        Ok(RunConfig {
            train: tr.config.clone(),
            schedule: (&tr.schedule).into(),
            target: (&tr.target).into(),
            steps: tr.steps().max(1),
        })
    }

    /// `k` optimisation steps of the current run (of generation `generation`, if given): the
    /// last step's losses, still on the device, with the networks' names and the run's steps.
    pub(crate) fn steps_of(&mut self, k: u32, generation: Option<u32>) -> Outcome<Stepped> {
        if generation.is_some_and(|g| g != self.generation) {
            return Err(EngineError::Replaced);
        }
        let generation = self.generation;
        if let (None, Some(m)) = (&self.trainer, &mut self.map) {
            let tr = &mut m.trainer;
            let mut last = None;
            for _ in 0..k {
                let l = tr.step();
                last = Some(vec![l.diagonal, l.distill]);
            }
            return Ok(Stepped {
                losses: last,
                names: vec!["diagonal".into(), tr.distill.name().into()],
                // The diagonal regresses the velocity b.
                roles: [Some(0), None],
                steps: tr.steps(),
                generation,
            });
        }
        let tr = self.trainer.as_mut().ok_or(EngineError::NoRun)?;
        let mut last = None;
        for _ in 0..k {
            last = Some(tr.step().losses);
        }
        let names = tr
            .objective
            .nets()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        Ok(Stepped {
            losses: last,
            names,
            roles: tr.objective.velocity_score_nets(),
            steps: tr.steps(),
            generation,
        })
    }
}

/// Steps taken whose losses are not read yet.
pub(crate) struct Stepped {
    losses: Option<Vec<burn::tensor::Tensor<1>>>,
    names: Vec<String>,
    /// Which losses are the velocity's and the score's ([`interplay_nn::objective::Objective::velocity_score_nets`]).
    roles: [Option<usize>; 2],
    pub(crate) steps: u64,
    pub(crate) generation: u32,
}

impl Stepped {
    /// The losses read from the device (one read per network), with their names, and the
    /// velocity's and the score's among them.
    pub(crate) async fn read(self) -> Outcome<Losses> {
        let mut named = Vec::new();
        if let Some(l) = self.losses {
            for (name, t) in self.names.into_iter().zip(l) {
                let v = interplay_nn::read_scalar(t)
                    .await
                    .map_err(EngineError::refused)?;
                named.push((name, v));
            }
        }
        Ok(Losses::of(named, self.roles))
    }
}

/// A step's losses: by network name, and the velocity's and the score's (none for the
/// schedule-free D).
pub(crate) struct Losses {
    pub(crate) named: Vec<(String, f32)>,
    pub(crate) b: Option<f32>,
    pub(crate) s: Option<f32>,
}

impl Losses {
    /// The losses `named`, with the velocity's and the score's at the indices `roles`.
    pub(crate) fn of(named: Vec<(String, f32)>, roles: [Option<usize>; 2]) -> Self {
        let [b, s] = roles.map(|k| k.and_then(|k| named.get(k)).map(|(_, v)| *v));
        Self { named, b, s }
    }
}
