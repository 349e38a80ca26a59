//! The training loop: one Adam per network, a learning-rate schedule, fresh (t, x0, x1, z)
//! every step, and losses returned as tensors (reading them is the caller's, asynchronous, job).

use std::borrow::Cow;
use std::ops::Range;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use interplay_core::sampling::streams;
use interplay_core::targets::ExactTarget;
use interplay_core::{Rng, Schedule, Target};

use crate::NnError;
use crate::ahead::Ahead;
use crate::batch::{HostBatch, TimeDraw, draw_rows};
use crate::field::LearnedField;
use crate::fused::{FusedNets, Region, fusable};
pub use crate::losses::{LossRows, net_loss, tensor_losses};
use crate::net::FieldNet;
use crate::objective::Objective;

pub use crate::train_config::{LrDecay, TrainConfig, default_lr, default_t_power};

mod shards;

/// A shard's gradients and losses, unread: [`Trainer::shard_gradients`].
pub struct ShardGradients {
    /// Every network's gradient, flattened (layer by layer, weight then bias), `[P]`.
    pub grads: Tensor<1>,
    /// The shard's share of each network's loss, `[nets]`.
    pub losses: Tensor<1>,
}

/// The losses of one step, one per network, in the paper's normalisation (unread tensors).
pub struct StepLosses {
    /// Loss of each network, shape `[1]`, in [`Objective::nets`] order.
    pub losses: Vec<Tensor<1>>,
}

/// Owns the networks, their optimisers, the RNG and the step count.
pub struct Trainer {
    /// The run's settings.
    pub config: TrainConfig,
    /// The resolved objective.
    pub objective: Objective,
    /// The schedule trained for (unused by the schedule-free objective).
    pub schedule: Schedule,
    /// The target.
    pub target: Target,
    exact: ExactTarget,
    device: Device,
    nets: Vec<FieldNet>,
    /// The moving average of each network (on the plain device), when `ema` > 0.
    averages: Option<Vec<FieldNet>>,
    optims: Vec<ModuleOptimizer>,
    /// On a GPU the networks, their Adam state and moving average live here instead, and a
    /// step is the fused kernels of [`crate::fused`] (`nets`, `averages` and `optims` are then
    /// empty).
    fused: Option<FusedNets>,
    step: u64,
    /// Whether the networks of a two-network objective step on two threads.
    parallel: bool,
    /// Rows of a coming batch drawn while this worker of a team waited ([`Trainer::draw_ahead`]).
    ahead: Option<Ahead>,
}

/// Whether two networks can step at once on `device`: natively on the CPU backend (a Web
/// Worker has one thread; a GPU queue runs one thing at a time).
pub(crate) fn parallel_on(device: &Device) -> bool {
    !cfg!(target_family = "wasm") && device.clone().without_autodiff() == Device::flex()
}

#[cfg(not(target_family = "wasm"))]
pub(crate) use rayon::join;

/// One thread: the two closures in turn.
#[cfg(target_family = "wasm")]
pub(crate) fn join<A, B>(a: impl FnOnce() -> A, b: impl FnOnce() -> B) -> (A, B) {
    (a(), b())
}

/// See [`Trainer::batch_objective`] (a function of the fields, so that the trainer's generator
/// can be borrowed beside it). Past the anneal (or with none) it is the run's own objective.
fn batch_objective<'a>(
    objective: &'a Objective,
    config: &TrainConfig,
    step: u64,
) -> Cow<'a, Objective> {
    if step >= config.weight_anneal {
        return Cow::Borrowed(objective);
    }
    Cow::Owned(
        objective
            .clone()
            .annealed(step as f64 / config.weight_anneal as f64),
    )
}

fn adam() -> ModuleOptimizer {
    AdamConfig::new().with_epsilon(1e-8).init()
}

type Weights = (
    Vec<FieldNet>,
    Option<Vec<FieldNet>>,
    Vec<ModuleOptimizer>,
    Option<FusedNets>,
);

/// Fresh networks as burn's graph trains them (with an optimiser each and, when asked, their
/// moving average), or, on a GPU, as the state of the fused step.
fn weights(config: &TrainConfig, nets: Vec<FieldNet>, device: &Device) -> Weights {
    if fusable(device) {
        let fused = FusedNets::new(&config.net, &nets, device);
        return (Vec::new(), None, Vec::new(), Some(fused));
    }
    let optims = nets.iter().map(|_| adam()).collect();
    let averages = (config.ema > 0.0).then(|| nets.iter().map(|n| n.valid()).collect());
    (nets, averages, optims, None)
}

impl Trainer {
    /// A fresh run on `device` (an autodiff device is made from it).
    pub fn new(
        config: TrainConfig,
        schedule: Schedule,
        target: Target,
        device: &Device,
    ) -> Result<Self, NnError> {
        config.validate().map_err(NnError::Config)?;
        if let Some(issue) = schedule.validate().first() {
            return Err(NnError::Config(format!("invalid schedule: {issue}")));
        }
        if config.coupling == crate::coupling::Coupling::Ot && !schedule.has_gamma() {
            return Err(NnError::Config(
                "minibatch OT needs γ > 0: the denoiser's score comes from E[z | x_t], and without \
                 noise z its target is x0, which the coupling ties to x1"
                    .into(),
            ));
        }
        let exact = ExactTarget::new(&target);
        let objective = Objective::of(config.objective, &exact)
            .ok_or_else(|| {
                NnError::Config(match config.objective {
                    interplay_core::ObjectiveKind::FlowMap => {
                        "the flow-map objective trains a map of (s, t, x), not a field: it has \
                         its own trainer (interplay_nn::flow_map::MapTrainer)"
                            .to_owned()
                    }
                    kind => format!(
                        "the {kind} objective trains three targets at once: interplay train \
                         takes it with --second (and the page in its triangle)"
                    ),
                })
            })?
            .for_schedule(&schedule)
            .for_refs(config.posterior_refs);
        let parallel = parallel_on(device);
        let device = device.clone().autodiff();
        let mut init_rng = Rng::stream(config.seed, streams::NET_INIT);
        let nets: Vec<FieldNet> = objective
            .nets()
            .iter()
            .map(|_| config.net.init(&device, &mut init_rng))
            .collect();
        let (nets, averages, optims, fused) = weights(&config, nets, &device);
        Ok(Self {
            config,
            objective,
            schedule,
            target,
            exact,
            device,
            nets,
            averages,
            optims,
            fused,
            step: 0,
            ahead: None,
            parallel,
        })
    }

    /// Resumes from saved parameters (a checkpoint's; optimiser moments start afresh).
    pub fn resume(
        config: TrainConfig,
        objective: Objective,
        schedule: Schedule,
        target: Target,
        params: &[Vec<Vec<f32>>],
        step: u64,
        device: &Device,
    ) -> Result<Self, NnError> {
        config.validate().map_err(NnError::Config)?;
        if params.len() != objective.nets().len() {
            return Err(NnError::Config(format!(
                "{} networks given, a {} model has {}",
                params.len(),
                objective.name(),
                objective.nets().len()
            )));
        }
        let parallel = parallel_on(device);
        let device = device.clone().autodiff();
        // Built on the autodiff device, so the parameters are tracked leaves.
        let nets = params
            .iter()
            .map(|p| config.net.from_params(p, &device))
            .collect::<Result<Vec<_>, _>>()
            .map_err(NnError::Checkpoint)?;
        let (nets, averages, optims, fused) = weights(&config, nets, &device);
        Ok(Self {
            exact: ExactTarget::new(&target),
            config,
            objective,
            schedule,
            target,
            device,
            nets,
            averages,
            optims,
            fused,
            parallel,
            step,
            ahead: None,
        })
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// The learning rate at step k.
    pub fn lr_at(&self, k: u64) -> f64 {
        self.config.lr_at(k)
    }

    /// The objective the next step's batch is drawn with: the run's own, or, during the anneal of
    /// the schedule-free D's row weight ([`TrainConfig::weight_anneal`]), its weight so far.
    pub fn batch_objective(&self) -> Cow<'_, Objective> {
        batch_objective(&self.objective, &self.config, self.step)
    }

    /// Rows `rows` of the next step's batch. Each step's batch is named by the run's seed and the
    /// step alone, and each row by the batch and its index, so a resumed run draws the batches an
    /// unbroken one would, and K workers drawing a shard each draw the batch of one.
    pub fn batch_rows(&self, rows: Range<usize>) -> HostBatch {
        self.batch_rows_at(self.step, rows)
    }

    /// Rows `rows` of the batch of step `step` (the next is [`Trainer::steps`]).
    fn batch_rows_at(&self, step: u64, rows: Range<usize>) -> HostBatch {
        let seed = Rng::stream(
            self.config.seed ^ step.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            streams::TRAINING,
        )
        .next_u64();
        draw_rows(
            &batch_objective(&self.objective, &self.config, step),
            &self.schedule,
            &self.exact,
            self.config.batch,
            TimeDraw {
                t_min: self.config.t_min,
                power: self.config.t_power,
            },
            self.config.posterior_refs,
            self.config.coupling,
            seed,
            rows,
        )
    }

    /// Rows `rows` of the next step's batch, with those drawn ahead for it used.
    fn next_rows(&mut self, rows: Range<usize>) -> HostBatch {
        let ahead = self.ahead.take();
        Ahead::take(ahead, self.step, rows, |r| self.batch_rows_at(self.step, r))
    }

    /// One optimisation step on a fresh batch. Returns the losses without reading them.
    pub fn step(&mut self) -> StepLosses {
        let batch = self.next_rows(0..self.config.batch);
        let lr = self.lr_at(self.step);
        let keep = self.average_weight();
        let objective = &self.objective;
        if let Some(fused) = self.fused.as_mut() {
            let rows: Vec<LossRows> = (0..objective.nets().len())
                .map(|k| LossRows::of(objective, k, &batch))
                .collect();
            let losses = fused.step(rows, lr, keep);
            self.step += 1;
            return StepLosses { losses };
        }
        let (objective, device) = (&self.objective, &self.device);
        // Each network's loss depends on that network alone, so each takes its own backward
        // pass and optimiser step; natively on the CPU the two networks of a two-network
        // objective do so on two threads at once (`rayon::join`, which stays on one thread
        // inside a one-thread pool).
        let one = |k: usize, net: FieldNet, opt: &mut ModuleOptimizer| {
            let loss = net_loss(objective, k, &net, &batch, device);
            let mut grads = loss.backward();
            let g = GradientsParams::from_module(&mut grads, &net);
            (opt.step(lr, net, g), loss.inner())
        };
        let mut nets = std::mem::take(&mut self.nets);
        let (stepped, losses): (Vec<FieldNet>, Vec<Tensor<1>>) =
            match (self.parallel, nets.len(), self.optims.as_mut_slice()) {
                (true, 2, [o0, o1]) => {
                    let n1 = nets.pop().expect("two networks");
                    let n0 = nets.pop().expect("two networks");
                    let (a, b) = join(|| one(0, n0, o0), || one(1, n1, o1));
                    [a, b].into_iter().unzip()
                }
                (_, _, optims) => nets
                    .into_iter()
                    .zip(optims.iter_mut())
                    .enumerate()
                    .map(|(k, (net, opt))| one(k, net, opt))
                    .unzip(),
            };
        self.nets = stepped;
        self.finish_step();
        StepLosses { losses }
    }

    /// The moving average and the step count after the networks stepped.
    fn finish_step(&mut self) {
        let d = self.average_weight();
        if let Some(avg) = self.averages.as_mut() {
            for (a, n) in avg.iter_mut().zip(&self.nets) {
                a.blend(n, d);
            }
        }
        self.step += 1;
    }

    /// The moving average's weight on its old value after this step (0 without an average).
    /// Bias-corrected warm-up: the average starts as the raw weights' mean so far.
    fn average_weight(&self) -> f64 {
        let warm = (1.0 + self.step as f64) / (10.0 + self.step as f64);
        self.config.ema.min(warm)
    }

    /// The current networks (their moving average when enabled) as a field for sampling, on
    /// the plain (non-autodiff) device.
    pub fn field(&self) -> LearnedField {
        LearnedField::new(
            self.objective.clone(),
            self.schedule,
            self.model(),
            self.device.clone().without_autodiff(),
        )
    }

    /// The networks to sample with and to save: the moving average when enabled, else the raw
    /// weights (on the plain device).
    pub fn model(&self) -> Vec<FieldNet> {
        if let Some(f) = &self.fused {
            let ema = self.config.ema > 0.0;
            return f.nets(if ema { Region::Average } else { Region::Params });
        }
        match &self.averages {
            Some(a) => a.clone(),
            None => self.nets.iter().map(|n| n.valid()).collect(),
        }
    }

    /// The raw networks being optimised (on the autodiff device; on the plain device where
    /// the step is fused).
    pub fn nets(&self) -> Vec<FieldNet> {
        match &self.fused {
            Some(f) => f.nets(Region::Params),
            None => self.nets.clone(),
        }
    }
}
