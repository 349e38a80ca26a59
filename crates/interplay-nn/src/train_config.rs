//! The settings of a training run ([`TrainConfig`]): network, objective, batch, Adam's learning
//! rate with its warm-up and decay, EMA, seed; the live defaults the page trains with; and their
//! check.

use interplay_core::ObjectiveKind;
use serde::{Deserialize, Serialize};

use crate::net::NetConfig;

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
    /// The objective.
    pub objective: ObjectiveKind,
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
    /// How t is drawn (see [`crate::batch::TimeDraw`]): 1 is uniform, more draws more times near t = 1.
    #[serde(default = "one")]
    pub t_power: f64,
    /// Members of the reference sets of batch-posterior targets (`batch::draw_batch`;
    /// 0 or 1: the plain sample targets).
    #[serde(default)]
    pub posterior_refs: usize,
    /// How x0 and x1 are paired in a batch (independent unless asked; minibatch OT needs the
    /// denoiser objective, [`TrainConfig::validate`]).
    #[serde(default)]
    pub coupling: crate::coupling::Coupling,
    /// Steps over which the schedule-free D's row weight moves from h to its final form
    /// ([`crate::objective::Objective::annealed`]; 0: the final form from the first step).
    #[serde(default)]
    pub weight_anneal: u64,
}

fn one() -> f64 {
    1.0
}

impl Default for TrainConfig {
    /// The settings `interplay train` uses (see BENCHMARKS.md for how they were chosen).
    fn default() -> Self {
        Self {
            objective: ObjectiveKind::ScheduleFree,
            net: NetConfig::default(),
            batch: 1024,
            lr: default_lr(ObjectiveKind::ScheduleFree),
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
            coupling: crate::coupling::Coupling::Independent,
            weight_anneal: 0,
        }
    }
}

impl TrainConfig {
    /// The settings of open-ended ("live") training, where nobody says in advance how long it
    /// runs: the page's Train button and `interplay bench --time-to-quality`. Chosen by that
    /// benchmark (BENCHMARKS.md): the default network, a short warm-up, a decay by the steps
    /// trained so far (lr/√(1 + k/30)), more times near t = 1 (t = 1 − (1 − u)²), and a moving
    /// average of the weights for sampling (its window grows with the run: about the last tenth
    /// of the steps, up to 1000), and for the schedule-free D a row weight annealed from h to
    /// flat over the first 1000 steps (a point more in the squares after 30 s in the page, at
    /// the cost of a little of the velocity near t = 0 early in the run).
    pub fn live(objective: ObjectiveKind) -> Self {
        Self {
            objective,
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
            coupling: crate::coupling::Coupling::Independent,
            weight_anneal: 1000,
        }
    }
}

/// The learning rate `interplay train` uses for an objective: the preconditioned losses
/// (schedule-free D, and b and s) have unit-scale targets and tolerate a large rate (D: best at
/// 0.03 among 0.002–0.03; b and s: 0.02, BENCHMARKS.md); the losses with singular weights near the
/// ends of t (v-score, denoiser) use the reference's 2e-3; the flow map 0.01.
pub fn default_lr(objective: ObjectiveKind) -> f64 {
    match objective {
        ObjectiveKind::ScheduleFree => 0.03,
        ObjectiveKind::VelocityScore => 0.02,
        // The multi-marginal regression has unit-scale targets over its skip (multi_train.rs).
        ObjectiveKind::Multimarginal => 0.01,
        // The flow map's residual over its Gaussian stand-in (best of 0.003–0.03, BENCHMARKS.md,
        // "Flow maps").
        ObjectiveKind::FlowMap => 0.01,
        ObjectiveKind::VScore | ObjectiveKind::Denoiser => 2e-3,
    }
}

/// The exponent of the times drawn for training (`t = 1 − (1 − u)^p`, more of them near t = 1
/// for p > 1): 2 for every objective but the flow map on a path with a latent γ, where the
/// batch-posterior velocity near t = 1 carries γ̇z noise and uniform times learn better. Without
/// γ the flow map takes 2 too, for its diagonal and its pairs (s, t) alike (BENCHMARKS.md, "Flow
/// maps").
/// `latent`: whether the path has a γ that is not zero.
pub fn default_t_power(objective: ObjectiveKind, latent: bool) -> f64 {
    if objective == ObjectiveKind::FlowMap && latent {
        1.0
    } else {
        2.0
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
        if self.coupling == crate::coupling::Coupling::Ot
            && self.objective != ObjectiveKind::Denoiser
        {
            return Err(format!(
                "coupling 'ot' pairs x0 with x1 within each batch, and the {} objective relies \
                 on their independence (its targets use the Gaussian base's identities); use the \
                 denoiser objective, whose b regresses the conditional velocity and whose score \
                 comes from E[z | x_t] with z still independent",
                self.objective
            ));
        }
        Ok(())
    }
}
