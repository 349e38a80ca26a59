//! The parameters' named choices: enums with the stable names of the URL, the API and the
//! widget's menus, and the labels the menus show.

use serde::Serialize;
use serde_json::Value;

/// An enum of the parameters with its stable names (those of the URL, the API and the widget's
/// controls), serialised by name.
macro_rules! named {
    ($(#[$m:meta])* $name:ident, $names:ident { $($(#[$vm:meta])* $var:ident = $s:literal => $l:literal,)+ }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vm])* $var,)+
        }

        /// The names of every variant, in menu order.
        pub const $names: &[&str] = &[$($s,)+];

        impl $name {
            /// Every variant, in menu order.
            pub const ALL: &[$name] = &[$($name::$var,)+];
            /// The stable name.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$var => $s,)+
                }
            }
            /// What the widget's menu calls it.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$var => $l,)+
                }
            }
            /// The variant named by `v`, or a message naming `key` and the names.
            pub(crate) fn parse(key: &str, v: &Value) -> Result<Self, String> {
                let s = choice(key, v, $names)?;
                Ok(match s.as_str() {
                    $($s => $name::$var,)+
                    _ => unreachable!("choice() accepts the names only"),
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }
    };
}

named!(
    /// Where the Lagrangian view's field and the model views come from.
    Source, SOURCES {
        /// The exact fields.
        Exact = "exact" => "exact (closed form)",
        /// Learned b and s (velocity-score).
        Learned = "learned" => "learned b and s",
        /// The learned schedule-free D.
        ScheduleFree = "schedule-free" => "learned schedule-free D",
    }
);
named!(
    /// What the Eulerian view shows.
    Eulerian, EULERIAN {
        /// The exact density ρ(t, x).
        Exact = "exact" => "exact",
        /// A histogram of interpolant samples.
        Samples = "samples" => "interpolant samples",
        /// A histogram of the model's particles.
        Model = "model" => "model particles",
        /// The model's density by its ODE likelihood.
        ModelDensity = "model-density" => "model density",
    }
);
named!(
    /// The arrows over the Lagrangian view.
    Arrows, ARROWS {
        /// None.
        None = "none" => "none",
        /// The velocity b.
        B = "b" => "velocity b",
        /// The score s.
        S = "s" => "score s",
    }
);
named!(
    /// The direction of play.
    Direction, DIRECTIONS {
        /// ρ0 → ρ1.
        Forward = "forward" => "forward ρ0 → ρ1",
        /// ρ1 → ρ0.
        Backward = "backward" => "backward ρ1 → ρ0",
    }
);
named!(
    /// The target by name: the named ones of `interplay_core::Target` and a drawing.
    TargetName, TARGETS {
        /// The checkerboard.
        Checkerboard = "checkerboard" => "checkerboard",
        /// The Gaussian mixture.
        Gmm = "gmm" => "Gaussian mixture",
        /// Two rings.
        Rings = "rings" => "rings",
        /// Two moons.
        Moons = "moons" => "two moons",
        /// Two spirals.
        Spirals = "spirals" => "spirals",
        /// A drawing (its code in `drawn`).
        Drawn = "drawn" => "drawn by hand",
    }
);

/// `v` as one of the `allowed` names, or a message naming `key` and the names.
pub(crate) fn choice(key: &str, v: &Value, allowed: &[&str]) -> Result<String, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("{key} must be a name, got {v}"))?;
    if allowed.contains(&s) {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "{key} '{s}' is unknown; use one of {}",
            allowed.join(", ")
        ))
    }
}
named!(
    /// The target of the space–time figure on the line: the named ones of
    /// `interplay_core::line::LineTarget` and a drawing.
    LineName, LINES {
        /// The checkerboard's marginal: uniform on [−4, 4].
        Checkerboard = "checkerboard" => "checkerboard's marginal (uniform)",
        /// Three normals.
        Gmm = "gmm" => "Gaussian mixture",
        /// Three uniforms.
        Bars = "bars" => "bars (three uniforms)",
        /// A histogram drawn by hand (its code in `lineDrawn`).
        Drawn = "drawn" => "drawn by hand",
    }
);
named!(
    /// The energy of the "no data" figure: a target's exact density as −log ρ, known to the
    /// walkers only as a function (its normalisation is what they estimate).
    EnergyName, ENERGIES {
        /// The Gaussian mixture: four separated modes of different shapes.
        Gmm = "gmm" => "Gaussian mixture",
        /// Two rings.
        Rings = "rings" => "rings",
        /// The checkerboard blurred (the interpolant's density at t = 0.9): eight flat squares.
        Checkerboard = "checkerboard" => "blurred checkerboard",
        /// The widget's own target (a drawing included).
        Target = "target" => "the widget's target",
    }
);
