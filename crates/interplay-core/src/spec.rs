//! Serialisable descriptions of a schedule, a target and a training run: what checkpoints
//! store, what `interplay train --config` reads, and what the page's viewer builds and the
//! engine reads. Core owns them so that the viewer (which never links the training crate) and
//! the engine share one type.

use serde::{Deserialize, Serialize};

use crate::coupling::Coupling;
use crate::targets::DRAWN_MAX_POINTS;
use crate::{GammaFamily, ObjectiveKind, P2, Path, Schedule, Target};

/// A schedule as stored and sent: the families by their stable names (core's serde, which
/// refuses an unknown name with the list of known ones) and the slider values, checked as an
/// interpolant by [`ScheduleSpec::schedule`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleSpec {
    /// Path family.
    pub path: Path,
    /// γ family.
    pub gamma: GammaFamily,
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
            path: s.path,
            gamma: s.gamma,
            alpha_exp: s.alpha_exp,
            beta_exp: s.beta_exp,
            gamma_scale: s.gamma_scale,
        }
    }
}

impl ScheduleSpec {
    /// The schedule, checked (docs/math.md §1.4 satisfied).
    pub fn schedule(&self) -> Result<Schedule, String> {
        let s = Schedule {
            path: self.path,
            gamma: self.gamma,
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

/// A target by name, with the points of a point set or a drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetSpec {
    /// Target name.
    pub name: String,
    /// The points of a `points` target, or the tube centres of a `drawn` one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Vec<P2>>,
    /// The code of a `line` target (a name or a drawing, `LineTarget::parse`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

impl From<&Target> for TargetSpec {
    fn from(t: &Target) -> Self {
        match t {
            Target::Points(p) | Target::Drawn(p) => Self {
                name: t.name().into(),
                points: Some(p.clone()),
                line: None,
            },
            Target::Line(code) => Self {
                name: t.name().into(),
                points: None,
                line: Some(code.clone()),
            },
            other => Self {
                name: other.name().into(),
                points: None,
                line: None,
            },
        }
    }
}

impl TargetSpec {
    /// The target.
    pub fn target(&self) -> Result<Target, String> {
        let finite = |p: &Vec<P2>| p.iter().flatten().all(|v| v.is_finite());
        match (&self.name[..], &self.points) {
            ("points" | "drawn", Some(p)) if !finite(p) => Err(format!(
                "the {} target has a point that is not finite",
                self.name
            )),
            ("points", Some(p)) if !p.is_empty() => Ok(Target::Points(p.clone())),
            ("drawn", Some(p)) if !p.is_empty() && p.len() <= DRAWN_MAX_POINTS => {
                Ok(Target::Drawn(p.clone()))
            }
            ("drawn", Some(p)) if !p.is_empty() => Err(format!(
                "a drawn target has at most {DRAWN_MAX_POINTS} points, not {}",
                p.len()
            )),
            ("points" | "drawn", _) => {
                Err(format!("a {} target needs at least one point", self.name))
            }
            ("line", _) => match &self.line {
                Some(code) => Target::line(code),
                None => Err("a line target needs its code (a name or a drawing)".into()),
            },
            (name, _) => Target::from_name(name).ok_or_else(|| format!("unknown target '{name}'")),
        }
    }
}

/// What the page sends to start a run: the settings a reader can change. Everything else
/// comes from the training crate's live defaults, so the page trains with the settings the
/// time-to-quality benchmark chose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveRun {
    /// The objective.
    pub objective: ObjectiveKind,
    /// Units per hidden layer.
    pub width: usize,
    /// Hidden layers.
    pub depth: usize,
    /// Triples per step.
    pub batch: usize,
    /// Adam's learning rate (before warm-up and decay).
    pub lr: f64,
    /// Seed.
    pub seed: u64,
    /// The schedule.
    pub schedule: ScheduleSpec,
    /// The target.
    pub target: TargetSpec,
    /// How a batch pairs x0 with x1 (independent unless the page asks for minibatch OT).
    #[serde(default)]
    pub coupling: Coupling,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_round_trip_through_their_spec_and_bad_ones_say_why() {
        let heart = crate::targets::default_drawing();
        for t in [
            Target::Checkerboard,
            Target::Rings,
            Target::Points(vec![[1.0, 2.0]]),
            Target::Drawn(heart.clone()),
            Target::Line("bars".into()),
            Target::Line(crate::line::DEFAULT_DRAWN.into()),
        ] {
            let spec = TargetSpec::from(&t);
            let json = serde_json::to_string(&spec).unwrap_or_default();
            let back: TargetSpec = serde_json::from_str(&json).unwrap_or(TargetSpec {
                name: String::new(),
                points: None,
                line: None,
            });
            // serde_json may round the last bit of a float.
            let close = |a: &[P2], b: &[P2]| {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(p, q)| (p[0] - q[0]).abs() + (p[1] - q[1]).abs() < 1e-12)
            };
            match (back.target(), &t) {
                (Ok(Target::Drawn(a)), Target::Drawn(b))
                | (Ok(Target::Points(a)), Target::Points(b)) => {
                    assert!(close(&a, b), "{json}")
                }
                (back, t) => assert_eq!(back.as_ref(), Ok(t), "{json}"),
            }
        }
        let spec = |name: &str, points: Option<Vec<P2>>| TargetSpec {
            name: name.into(),
            points,
            line: None,
        };
        for (bad, says) in [
            (spec("drawn", None), "needs at least one point"),
            (spec("drawn", Some(vec![])), "needs at least one point"),
            (spec("drawn", Some(vec![[0.0, f64::NAN]])), "not finite"),
            (spec("drawn", Some(vec![[0.0, 0.0]; 161])), "at most 160"),
            (spec("donut", None), "unknown target 'donut'"),
            (spec("line", None), "needs its code"),
            (
                TargetSpec {
                    line: Some("12".into()),
                    ..spec("line", None)
                },
                "a drawing of 40 digits",
            ),
        ] {
            let e = bad.target().expect_err(says);
            assert!(e.contains(says), "{e}");
        }
    }

    #[test]
    fn a_schedule_goes_by_names_and_a_bad_one_says_what_is_known() {
        let spec = |path: &str, gamma_scale: f64| {
            format!(
                r#"{{"path":"{path}","gamma":"sin2","alpha_exp":1,"beta_exp":1,"gamma_scale":{gamma_scale}}}"#
            )
        };
        let good: ScheduleSpec = serde_json::from_str(&spec("trig", 0.5)).expect("parses");
        assert_eq!(good.schedule().map(|s| s.path), Ok(Path::Trig));
        assert_eq!(ScheduleSpec::from(&good.schedule().expect("valid")), good);
        let e =
            serde_json::from_str::<ScheduleSpec>(&spec("spline", 1.0)).map_err(|e| e.to_string());
        assert!(
            e.as_ref()
                .is_err_and(|e| e.contains("path 'spline' is unknown; use one of linear")),
            "{e:?}"
        );
        // Known names, but not an interpolant: the check says why.
        let bad: ScheduleSpec = serde_json::from_str(&spec("trig", 1.5)).expect("parses");
        assert!(
            bad.schedule()
                .is_err_and(|e| e.starts_with("invalid schedule"))
        );
    }
}
