//! The training objectives by name: what a run trains, as the CLI, the page, run configurations
//! and checkpoints spell it. The objectives themselves (their constants, networks and losses)
//! live in `interplay-nn`; this is the one list of them, shared by every layer.

use core::fmt;

/// What a training run learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectiveKind {
    /// The velocity b and the score s, each by its own regression.
    VelocityScore,
    /// The velocity v of the deterministic interpolant and the score s.
    VScore,
    /// The velocity b and the denoiser η = E[z | x_t].
    Denoiser,
    /// One network D(x, λ) that serves every schedule.
    ScheduleFree,
    /// The velocities of the multi-marginal interpolant between three targets.
    Multimarginal,
    /// The flow map X_{s,t} of the probability-flow ODE: one jump from any s to any t.
    FlowMap,
}

impl ObjectiveKind {
    /// Every objective, in the order the CLI lists them.
    pub const ALL: [Self; 6] = [
        Self::VelocityScore,
        Self::VScore,
        Self::Denoiser,
        Self::ScheduleFree,
        Self::Multimarginal,
        Self::FlowMap,
    ];

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Self::VelocityScore => "velocity-score",
            Self::VScore => "v-score",
            Self::Denoiser => "denoiser",
            Self::ScheduleFree => "schedule-free",
            Self::Multimarginal => "multimarginal",
            Self::FlowMap => "flow-map",
        }
    }

    /// The objective called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The objective called `name`, or a message that lists the known ones.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|k| k.name()).collect();
            format!(
                "objective '{name}' is unknown; use one of {}",
                names.join(", ")
            )
        })
    }
}

impl fmt::Display for ObjectiveKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_objective_goes_by_its_name() {
        for k in ObjectiveKind::ALL {
            assert_eq!(ObjectiveKind::parse(k.name()), Ok(k));
        }
        let e = ObjectiveKind::parse("flow").expect_err("unknown");
        assert!(
            e.contains(
                "use one of velocity-score, v-score, denoiser, schedule-free, multimarginal, flow-map"
            ),
            "{e}"
        );
    }
}
