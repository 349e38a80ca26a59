//! Serialisable descriptions of a schedule and a target (for checkpoints and configs).

use interplay_core::{GammaFamily, P2, Path, Schedule, Target};
use serde::{Deserialize, Serialize};

/// A schedule by its stable names and slider values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleSpec {
    /// Path family name.
    pub path: String,
    /// γ family name.
    pub gamma: String,
    /// a.
    pub alpha_exp: f64,
    /// b.
    pub beta_exp: f64,
    /// g.
    pub gamma_scale: f64,
}

impl From<&Schedule> for ScheduleSpec {
    fn from(s: &Schedule) -> Self {
        Self {
            path: s.path.name().into(),
            gamma: s.gamma.name().into(),
            alpha_exp: s.alpha_exp,
            beta_exp: s.beta_exp,
            gamma_scale: s.gamma_scale,
        }
    }
}

impl ScheduleSpec {
    /// The schedule, checked (names known, math §1.4 satisfied).
    pub fn schedule(&self) -> Result<Schedule, String> {
        let path =
            Path::from_name(&self.path).ok_or_else(|| format!("unknown path '{}'", self.path))?;
        let gamma = GammaFamily::from_name(&self.gamma)
            .ok_or_else(|| format!("unknown γ family '{}'", self.gamma))?;
        let s = Schedule {
            path,
            gamma,
            alpha_exp: self.alpha_exp,
            beta_exp: self.beta_exp,
            gamma_scale: self.gamma_scale,
        };
        match s.validate().first() {
            Some(issue) => Err(format!("invalid schedule: {issue}")),
            None => Ok(s),
        }
    }
}

/// A target by name, with the points of a point set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetSpec {
    /// Target name.
    pub name: String,
    /// The points of a `points` target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Vec<P2>>,
}

impl From<&Target> for TargetSpec {
    fn from(t: &Target) -> Self {
        match t {
            Target::Points(p) => Self {
                name: "points".into(),
                points: Some(p.clone()),
            },
            other => Self {
                name: other.name().into(),
                points: None,
            },
        }
    }
}

impl TargetSpec {
    /// The target.
    pub fn target(&self) -> Result<Target, String> {
        match (&self.name[..], &self.points) {
            ("points", Some(p)) if !p.is_empty() => Ok(Target::Points(p.clone())),
            ("points", _) => Err("a points target needs at least one point".into()),
            (name, _) => Target::from_name(name).ok_or_else(|| format!("unknown target '{name}'")),
        }
    }
}

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
