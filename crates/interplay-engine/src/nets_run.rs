//! A run of the transport sampler in the engine (sampling without data): its trainer, its energy
//! and the settings of its walkers. The requests on it are in `crate::nets`.

use interplay_core::annealing::Energy;
use interplay_core::spec::TargetSpec;
use interplay_nn::nets::{NetsConfig, NetsTrainer};

use crate::error::{EngineError, Outcome};

/// Walkers of each refresh while training, and of the figure's runs.
pub(crate) const WALKERS: usize = 2000;
/// Annealing steps from τ = 0 to 1.
pub(crate) const STEPS: usize = 100;

/// A run of NETS: its trainer and its energy (the target and the time of its density).
pub(crate) struct NetsRun {
    /// `None` while a training chunk has it (the chunk puts it back).
    pub(crate) trainer: Option<NetsTrainer>,
    pub(crate) energy: Energy,
    pub(crate) target: TargetSpec,
    pub(crate) at: f64,
    pub(crate) seed: u64,
}

impl NetsRun {
    /// The run's trainer, refused while a training chunk has it.
    pub(crate) fn idle_trainer(&self) -> Outcome<&NetsTrainer> {
        self.trainer
            .as_ref()
            .ok_or_else(|| EngineError::refused("the transport is training"))
    }
}

/// The config of a run from `seed`, at noise `eps`.
pub(crate) fn config(seed: u64, eps: f64) -> NetsConfig {
    NetsConfig {
        walkers: WALKERS,
        steps: STEPS,
        eps,
        seed,
        ..NetsConfig::default()
    }
}
