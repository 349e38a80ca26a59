//! The training loop: one Adam per network, a learning-rate schedule, fresh (t, x0, x1, z)
//! every step, and losses returned as tensors (reading them is the caller's, asynchronous, job).

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use interplay_core::targets::ExactTarget;
use interplay_core::{Rng, Schedule, Target};
use serde::{Deserialize, Serialize};

use crate::NnError;
use crate::batch::{HostBatch, TimeDraw, draw_batch, pair_column};
use crate::field::LearnedField;
use crate::net::{FieldNet, NetConfig};
use crate::objective::Objective;

/// Learning-rate decay over the run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LrDecay {
    /// A constant rate (open-ended training in the browser).
    Constant,
    /// Cosine from lr to lr·min_ratio over `steps`, then flat.
    Cosine {
        /// Steps of the decay.
        steps: u64,
        /// Final rate as a fraction of the initial one.
        min_ratio: f64,
    },
    /// lr/(1 + k/steps)^power: for open-ended training, where the length of the run is not
    /// known in advance (the page), a decay by the steps trained so far.
    Power {
        /// The scale of the decay in steps.
        steps: u64,
        /// The exponent (½: an inverse square root).
        power: f64,
    },
}

/// Everything that defines a training run besides the schedule and the target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Objective name (see [`crate::objective::OBJECTIVE_NAMES`]).
    pub objective: String,
    /// Network architecture.
    pub net: NetConfig,
    /// Triples per step.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Learning-rate decay.
    pub decay: LrDecay,
    /// t is drawn from [t_min, 1 − t_min].
    pub t_min: f64,
    /// Seed of the initialisation and of every batch.
    pub seed: u64,
    /// Decay of an exponential moving average of the weights, used for sampling and saved in
    /// checkpoints (0: off, the raw weights are used).
    #[serde(default)]
    pub ema: f64,
    /// Steps of a linear warm-up of the learning rate from lr/warmup (0: none).
    #[serde(default)]
    pub warmup: u64,
    /// How t is drawn (see [`TimeDraw`]): 1 is uniform, more draws more times near t = 1.
    #[serde(default = "one")]
    pub t_power: f64,
    /// Members of the reference sets of batch-posterior targets (`batch::draw_batch`;
    /// 0 or 1: the plain sample targets).
    #[serde(default)]
    pub posterior_refs: usize,
}

fn one() -> f64 {
    1.0
}

impl Default for TrainConfig {
    /// The settings `interplay train` uses (see BENCHMARKS.md for how they were chosen).
    fn default() -> Self {
        Self {
            objective: "schedule-free".into(),
            net: NetConfig::default(),
            batch: 1024,
            lr: default_lr("schedule-free"),
            decay: LrDecay::Cosine {
                steps: 3000,
                min_ratio: 0.02,
            },
            t_min: 1e-3,
            seed: 0,
            ema: 0.0,
            warmup: 0,
            t_power: 1.0,
            posterior_refs: crate::posterior::REFS,
        }
    }
}

impl TrainConfig {
    /// The settings of open-ended ("live") training, where nobody says in advance how long it
    /// runs: the page's Train button and `interplay bench --time-to-quality`. Chosen by that
    /// benchmark (BENCHMARKS.md): the default network, a short warm-up, a decay by the steps
    /// trained so far (lr/√(1 + k/30)), more times near t = 1 (t = 1 − (1 − u)²), and a moving
    /// average of the weights for sampling (its window grows with the run: about the last tenth
    /// of the steps, up to 1000).
    pub fn live(objective: &str) -> Self {
        Self {
            objective: objective.into(),
            net: NetConfig::default(),
            batch: interplay_core::live::BATCH,
            lr: interplay_core::live::LR,
            decay: LrDecay::Power {
                steps: 30,
                power: 0.5,
            },
            t_min: 1e-3,
            seed: 0,
            ema: 0.999,
            warmup: 50,
            t_power: 2.0,
            posterior_refs: crate::posterior::REFS,
        }
    }
}

/// The learning rate `interplay train` uses for an objective: the preconditioned losses
/// (schedule-free D, and b and s) have unit-scale targets and tolerate a large rate (D: best at
/// 0.03 among 0.002–0.03; b and s: 0.02, BENCHMARKS.md); the losses with singular weights near the
/// ends of t (v-score, denoiser) use the reference's 2e-3.
pub fn default_lr(objective: &str) -> f64 {
    match objective {
        "schedule-free" => 0.03,
        "velocity-score" => 0.02,
        _ => 2e-3,
    }
}

impl TrainConfig {
    /// The learning rate at step k: the decay, times the warm-up.
    pub fn lr_at(&self, k: u64) -> f64 {
        let warm = if self.warmup > 0 {
            ((k + 1) as f64 / self.warmup as f64).min(1.0)
        } else {
            1.0
        };
        let decay = match self.decay {
            LrDecay::Constant => 1.0,
            LrDecay::Cosine { steps, min_ratio } => {
                let f = (k as f64 / steps.max(1) as f64).min(1.0);
                min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + (core::f64::consts::PI * f).cos())
            }
            LrDecay::Power { steps, power } => (1.0 + k as f64 / steps.max(1) as f64).powf(-power),
        };
        self.lr * warm * decay
    }

    /// Checks the numbers, naming the bad one.
    pub fn validate(&self) -> Result<(), String> {
        self.net.validate()?;
        if !(1..=1 << 20).contains(&self.batch) {
            return Err(format!("batch {} must be in 1..=1048576", self.batch));
        }
        if !(self.lr > 0.0 && self.lr <= 1.0) {
            return Err(format!("learning rate {} must be in (0, 1]", self.lr));
        }
        if !(self.t_min > 0.0 && self.t_min < 0.1) {
            return Err(format!("t_min {} must be in (0, 0.1)", self.t_min));
        }
        if !(0.25..=8.0).contains(&self.t_power) {
            return Err(format!("t_power {} must be in [0.25, 8]", self.t_power));
        }
        if !(0.0..1.0).contains(&self.ema) {
            return Err(format!("ema {} must be in [0, 1)", self.ema));
        }
        Ok(())
    }
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
    rng: Rng,
    step: u64,
    /// Whether the networks of a two-network objective step on two threads.
    parallel: bool,
}

/// Whether two networks can step at once on `device`: natively on the CPU backend (a Web
/// Worker has one thread; a GPU queue runs one thing at a time).
fn parallel_on(device: &Device) -> bool {
    !cfg!(target_family = "wasm") && device.clone().without_autodiff() == Device::flex()
}

#[cfg(not(target_family = "wasm"))]
use rayon::join;

/// One thread: the two closures in turn.
#[cfg(target_family = "wasm")]
fn join<A, B>(a: impl FnOnce() -> A, b: impl FnOnce() -> B) -> (A, B) {
    (a(), b())
}

fn adam() -> ModuleOptimizer {
    AdamConfig::new().with_epsilon(1e-8).init()
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
        let exact = ExactTarget::new(&target);
        let objective = Objective::from_name(&config.objective, &exact)
            .ok_or_else(|| NnError::Config(format!("unknown objective '{}'", config.objective)))?
            .for_schedule(&schedule);
        let parallel = parallel_on(device);
        let device = device.clone().autodiff();
        let mut init_rng = Rng::stream(config.seed, 0x1417);
        let nets: Vec<FieldNet> = objective
            .nets()
            .iter()
            .map(|_| config.net.init(&device, &mut init_rng))
            .collect();
        let optims = nets.iter().map(|_| adam()).collect();
        let averages = (config.ema > 0.0).then(|| nets.iter().map(|n| n.valid()).collect());
        Ok(Self {
            rng: Rng::stream(config.seed, 0xba7c),
            config,
            objective,
            schedule,
            target,
            exact,
            device,
            nets,
            averages,
            optims,
            step: 0,
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
        let optims = nets.iter().map(|_| adam()).collect();
        let rng = Rng::stream(config.seed ^ step.rotate_left(17), 0xba7c);
        let averages = (config.ema > 0.0).then(|| nets.iter().map(|n| n.valid()).collect());
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
            rng,
            parallel,
            step,
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

    /// One optimisation step on a fresh batch. Returns the losses without reading them.
    pub fn step(&mut self) -> StepLosses {
        let batch = draw_batch(
            &self.objective,
            &self.schedule,
            &self.exact,
            self.config.batch,
            TimeDraw {
                t_min: self.config.t_min,
                power: self.config.t_power,
            },
            self.config.posterior_refs,
            &mut self.rng,
        );
        let lr = self.lr_at(self.step);
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
        if let Some(avg) = self.averages.as_mut() {
            // Bias-corrected warm-up: the average starts as the raw weights' mean so far.
            let d = self
                .config
                .ema
                .min((1.0 + self.step as f64) / (10.0 + self.step as f64));
            for (a, n) in avg.iter_mut().zip(&self.nets) {
                a.blend(n, d);
            }
        }
        self.step += 1;
        StepLosses { losses }
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
        match &self.averages {
            Some(a) => a.clone(),
            None => self.nets.iter().map(|n| n.valid()).collect(),
        }
    }

    /// The raw networks being optimised (on the autodiff device).
    pub fn nets(&self) -> &[FieldNet] {
        &self.nets
    }
}

/// The loss of each network on a host batch, as tensors on `device` (the trainer's forward
/// pass; `batch::host_loss` computes the same numbers on the host).
pub fn tensor_losses(
    objective: &Objective,
    nets: &[FieldNet],
    batch: &HostBatch,
    device: &Device,
) -> Vec<Tensor<1>> {
    nets.iter()
        .enumerate()
        .map(|(k, net)| net_loss(objective, k, net, batch, device))
        .collect()
}

/// The loss of network `k` (in [`Objective::nets`] order) on a host batch: each depends on its
/// own network alone.
pub fn net_loss(
    objective: &Objective,
    k: usize,
    net: &FieldNet,
    batch: &HostBatch,
    device: &Device,
) -> Tensor<1> {
    let col = |name: &str| -> Tensor<2> {
        let (v, w) = batch
            .col(name)
            .unwrap_or_else(|| panic!("batch column {name} is missing"));
        Tensor::from_data(TensorData::new(v.to_vec(), [v.len() / w, w]), device)
    };
    let half_sq = |y: Tensor<2>| y.square() * 0.5;
    let mean_rows = |y: Tensor<2>| y.sum_dim(1).mean();
    // ½ of the antithetic pair loss ½q|F(x₊)|² − r₊·F(x₊) + ½q|F(x₋)|² − r₋·F(x₋) of a network
    // on the pair columns of `name` (one pass over both halves).
    let pair_loss = |net: &FieldNet, u: &Tensor<2>, name: &str| {
        let c = |s: &str| col(pair_column(name, s));
        let uu = Tensor::cat(vec![u.clone(), u.clone()], 0);
        let f = net.forward(uu, c("in"));
        let l = half_sq(f.clone()) * c("q") - c("r") * f;
        // The mean over 2n rows is already ½ of the mean pair sum.
        mean_rows(l)
    };
    let b_loss = |net: &FieldNet, u: &Tensor<2>| pair_loss(net, u, "b");
    let s_loss = |net: &FieldNet, u: &Tensor<2>| pair_loss(net, u, "s");
    match (objective, k) {
        (Objective::VelocityScore { .. }, 0) | (Objective::Denoiser, 0) => b_loss(net, &col("u")),
        (Objective::VelocityScore { .. }, _) | (Objective::VScore, 1) => s_loss(net, &col("u")),
        (Objective::VScore, _) => {
            let v = net.forward(col("u"), col("xp"));
            mean_rows(half_sq(v.clone()) - col("tv") * v)
        }
        (Objective::Denoiser, _) => {
            let eta = net.forward(col("u"), col("xp"));
            mean_rows(half_sq(eta.clone()) - col("te") * eta)
        }
        (Objective::ScheduleFree { .. }, _) => {
            let f = net.forward(col("u"), col("x"));
            let l = half_sq(f - col("target"));
            // Rows weighted by the output scale's narrowing, where the objective has one.
            mean_rows(if batch.col("w").is_some() {
                l * col("w")
            } else {
                l
            })
        }
    }
}
