//! The learned field on the line: the training run the space–time view asks the engine for (a
//! small network on the line's target, `interplay_core::Target::Line`), and the learned flow
//! lines the engine sends back, drawn over the exact ones while it trains.

use interplay_core::ObjectiveKind;
use interplay_core::coupling::Coupling;
use interplay_core::line::DEFAULT_DRAWN;
use interplay_core::spec::{LiveRun, TargetSpec};

use crate::choices::LineName;
use crate::params::Params;

/// The line's network and batch: small enough to train in seconds on one core.
const LINE_WIDTH: usize = 64;
const LINE_DEPTH: usize = 2;
const LINE_BATCH: usize = 256;

impl Params {
    /// The line's target as a run names it: a name of `LineTarget::NAMES` or a drawing code.
    pub fn line_code(&self) -> String {
        match self.line {
            LineName::Drawn if self.line_drawn.is_empty() => DEFAULT_DRAWN.to_owned(),
            LineName::Drawn => self.line_drawn.clone(),
            other => other.name().to_owned(),
        }
    }

    /// The run that learns b and s on the line under the current schedule, as the engine's
    /// `LiveRun` (the engine gives a line target its own network, `NetConfig::line`).
    pub fn line_run_config(&self) -> LiveRun {
        LiveRun {
            objective: ObjectiveKind::VelocityScore,
            width: LINE_WIDTH,
            depth: LINE_DEPTH,
            batch: LINE_BATCH,
            lr: interplay_core::live::LR,
            seed: self.seed,
            schedule: self.schedule_spec(),
            target: TargetSpec {
                name: "line".into(),
                points: None,
                line: Some(self.line_code()),
            },
            coupling: Coupling::Independent,
        }
    }
}

/// Curves in (t, x).
pub(crate) type Curves = Vec<Vec<(f64, f64)>>;

/// Curves from the engine's flat arrays: `count` rows of `times.len()` positions, each ending at
/// its first NaN.
pub(crate) fn curves(times: &[f32], lines: &[f32], count: usize) -> Curves {
    let n = times.len();
    (0..count)
        .map(|row| {
            lines[row * n..((row + 1) * n).min(lines.len())]
                .iter()
                .zip(times)
                .take_while(|(x, _)| x.is_finite())
                .map(|(x, t)| (f64::from(*t), f64::from(*x)))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_end_at_their_first_nan() {
        let c = curves(&[0.0, 0.5, 1.0], &[1.0, 2.0, 3.0, 4.0, f32::NAN, 6.0], 2);
        assert_eq!(c[0], vec![(0.0, 1.0), (0.5, 2.0), (1.0, 3.0)]);
        assert_eq!(c[1], vec![(0.0, 4.0)]);
    }

    #[test]
    fn the_line_run_names_the_lines_target_and_the_schedule() {
        let mut p = Params {
            line: LineName::Drawn,
            ..Params::default()
        };
        let rc = p.line_run_config();
        assert_eq!(rc.target.name, "line");
        assert_eq!(rc.target.line.as_deref(), Some(DEFAULT_DRAWN));
        assert_eq!(rc.objective, ObjectiveKind::VelocityScore);
        p.line = LineName::Gmm;
        assert_eq!(p.line_run_config().target.line.as_deref(), Some("gmm"));
        // The engine's run reads it: a LiveRun whose target is on the line.
        let spec: interplay_core::Target =
            interplay_core::Target::line(&p.line_code()).expect("a line target");
        assert_eq!(spec.name(), "line");
    }
}
