//! A complete training run as checkpoints store it, and the run the page asks for with the
//! live defaults added. The schedule, target and live-run descriptions are core's
//! ([`interplay_core::spec`]).

pub use interplay_core::spec::{LiveRun, ScheduleSpec, TargetSpec};
use serde::{Deserialize, Serialize};

/// A complete, portable description of a training run: what `interplay train --config` reads
/// and what the browser exports, so a browser experiment can be reproduced natively.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Training settings.
    pub train: crate::trainer::TrainConfig,
    /// The schedule.
    pub schedule: ScheduleSpec,
    /// The target.
    pub target: TargetSpec,
    /// Total optimisation steps.
    pub steps: u64,
}

impl RunConfig {
    /// The complete run the page's `live` asks for (0 steps so far): the live defaults
    /// ([`crate::trainer::TrainConfig::live`]) with the reader's settings.
    pub fn live(live: &LiveRun) -> Self {
        let mut train = crate::trainer::TrainConfig::live(live.objective);
        if live.target.name == "line" {
            train.net = crate::NetConfig::line();
        }
        train.net.width = live.width;
        train.net.depth = live.depth;
        train.batch = live.batch;
        train.lr = live.lr;
        train.seed = live.seed;
        train.coupling = live.coupling;
        // The flow map's times depend on the path (`interplay train` uses the same default).
        let s = &live.schedule;
        let latent = s.gamma != interplay_core::GammaFamily::Zero && s.gamma_scale != 0.0;
        train.t_power = crate::train_config::default_t_power(live.objective, latent);
        RunConfig {
            train,
            schedule: live.schedule.clone(),
            target: live.target.clone(),
            steps: 0,
        }
    }
    /// The settings a reader can change, as the page sends them: what a checkpoint's run
    /// shows in the page ([`RunConfig::live`] of them gives this run back, at 0 steps).
    pub fn settings(&self) -> LiveRun {
        LiveRun {
            objective: self.train.objective,
            width: self.train.net.width,
            depth: self.train.net.depth,
            batch: self.train.batch,
            lr: self.train.lr,
            seed: self.train.seed,
            schedule: self.schedule.clone(),
            target: self.target.clone(),
            coupling: self.train.coupling,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_run_is_the_live_defaults_with_the_readers_settings() {
        let json = r#"{"objective":"velocity-score","width":64,"depth":2,"batch":256,"lr":0.005,
            "seed":7,"schedule":{"path":"linear","gamma":"brownian","alpha_exp":1,"beta_exp":1,
            "gamma_scale":1},"target":{"name":"checkerboard"}}"#;
        let live: LiveRun = serde_json::from_str(json).expect("parses");
        let rc = RunConfig::live(&live);
        let mut want =
            crate::trainer::TrainConfig::live(interplay_core::ObjectiveKind::VelocityScore);
        want.net.width = 64;
        want.net.depth = 2;
        want.batch = 256;
        want.lr = 0.005;
        want.seed = 7;
        assert_eq!(rc.train, want);
        assert_eq!(rc.steps, 0);
        assert!(rc.schedule.schedule().is_ok() && rc.target.target().is_ok());
    }

    #[test]
    fn a_runs_settings_give_the_run_back() {
        let json = r#"{"objective":"schedule-free","width":32,"depth":3,"batch":512,"lr":0.002,
            "seed":3,"schedule":{"path":"trig","gamma":"sin2","alpha_exp":1,"beta_exp":1,
            "gamma_scale":0.5},"target":{"name":"drawn","points":[[0.5,1.0]]},"coupling":"ot"}"#;
        let live: LiveRun = serde_json::from_str(json).expect("parses");
        let mut rc = RunConfig::live(&live);
        assert_eq!(rc.settings(), live);
        rc.steps = 40;
        assert_eq!(RunConfig::live(&rc.settings()).train, rc.train);
    }
}
