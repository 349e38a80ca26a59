//! The widget's controls: for every parameter a person changes by hand, its label, its help and
//! either its range or its menu (names with their labels). `web/controls.js` builds its sliders,
//! number fields and menus from this list (the viewer's `controls()`), so a name, a label or a
//! range lives in Rust only, next to the parser that accepts it.

use interplay_core::coupling::Coupling;
use interplay_core::schedule::{EPS_RANGE, EXP_RANGE, GAMMA_SCALE_RANGE};
use interplay_core::{GammaFamily, Path};
use serde::Serialize;

use crate::choices::{Arrows, Direction, EnergyName, Eulerian, LineName, Source, TargetName};
use crate::params::{LR_RANGE, SEED_RANGE, T_RANGE, WALKER_EPS_RANGE};

/// How a control takes its value.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Input {
    /// A slider over [min, max].
    Range {
        /// Lowest value.
        min: f64,
        /// Highest value.
        max: f64,
        /// Step.
        step: f64,
    },
    /// A number field over [min, max].
    Number {
        /// Lowest value.
        min: f64,
        /// Highest value.
        max: f64,
        /// Step of the arrows.
        step: f64,
    },
    /// A menu of (value, label) pairs; `numeric` when the values are numbers.
    Menu {
        /// The entries, in menu order.
        options: Vec<(String, String)>,
        /// Whether the parameter is a number.
        numeric: bool,
    },
    /// A check box.
    Check,
}

/// One control.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Control {
    /// The parameter's key (as in the URL and the API).
    pub key: &'static str,
    /// The visible label (or the accessible name where the control has no visible one).
    pub label: &'static str,
    /// A longer explanation (the row's tooltip); may be empty.
    pub help: &'static str,
    /// How it takes its value.
    #[serde(flatten)]
    pub input: Input,
}

/// What the path menu calls a path.
pub fn path_label(p: Path) -> &'static str {
    match p {
        Path::Linear => "linear",
        Path::Trig => "trigonometric",
        Path::EncDec => "encoding–decoding",
        Path::OneSidedLinear => "one-sided linear",
        Path::OneSidedTrig => "one-sided trig (VP)",
        Path::Vp => "VP / score-based diffusion",
        Path::Mirror => "mirror (data to data)",
    }
}

/// What the pairs menu calls a coupling.
pub fn coupling_label(c: Coupling) -> &'static str {
    match c {
        Coupling::Independent => "independent",
        Coupling::Ot => "minibatch OT",
    }
}

/// What the γ menu calls a γ family.
pub fn gamma_label(g: GammaFamily) -> &'static str {
    match g {
        GammaFamily::Brownian => "√(t(1−t))",
        GammaFamily::SinSquared => "sin²(πt)",
        GammaFamily::BSquared => "t(1−t)",
        GammaFamily::Sigmoid => "sigmoid",
        GammaFamily::Zero => "none (γ = 0)",
    }
}

fn menu<T: Copy>(
    all: &[T],
    name: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Input {
    Input::Menu {
        options: all
            .iter()
            .map(|&v| (name(v).to_owned(), label(v).to_owned()))
            .collect(),
        numeric: false,
    }
}

/// A menu of whole numbers, labelled with thin spaces between thousands (1 000) if `grouped`.
fn counts(values: &[usize], grouped: bool) -> Input {
    let label = |n: usize| {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if grouped && i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push('\u{2009}');
            }
            out.push(c);
        }
        out
    };
    Input::Menu {
        options: values.iter().map(|&n| (n.to_string(), label(n))).collect(),
        numeric: true,
    }
}

fn range((min, max): (f64, f64), step: f64) -> Input {
    Input::Range { min, max, step }
}

/// The particle counts the menu offers (any in [`crate::params::PARTICLES_RANGE`] is accepted by the API).
pub const PARTICLE_CHOICES: [usize; 3] = [1000, 5000, 20_000];
/// The batches the menu offers.
pub const BATCH_CHOICES: [usize; 5] = [64, 256, 512, 1024, 4096];
/// The widths the menu offers.
pub const WIDTH_CHOICES: [usize; 5] = [16, 32, 64, 128, 256];

/// Every control, in no particular order (the template places them).
pub fn controls() -> Vec<Control> {
    let c = |key, label, help, input| Control {
        key,
        label,
        help,
        input,
    };
    vec![
        c("t", "time t", "", range(T_RANGE, 0.001)),
        c(
            "path",
            "preset path",
            "α(t) and β(t) before the exponents",
            menu(&Path::ALL, Path::name, path_label),
        ),
        c(
            "gamma",
            "γ family",
            "the latent noise γ(t) before its scale",
            menu(&GammaFamily::ALL, GammaFamily::name, gamma_label),
        ),
        c(
            "alphaExp",
            "α exponent a",
            "α(t) = α_p(t)^a",
            range(EXP_RANGE, 0.05),
        ),
        c(
            "betaExp",
            "β exponent b",
            "β(t) = β_p(t)^b",
            range(EXP_RANGE, 0.05),
        ),
        c(
            "gammaScale",
            "γ scale g",
            "γ(t) = g·γ_p(t)",
            range(GAMMA_SCALE_RANGE, 0.01),
        ),
        c(
            "eps",
            "noise ε",
            "SDE noise: dX = (b + εs)dt + √(2ε)dW; ε = 0 is the ODE",
            range(EPS_RANGE, 0.05),
        ),
        c(
            "target",
            "target",
            "the density ρ1 the flow carries the Gaussian to",
            menu(TargetName::ALL, TargetName::name, TargetName::label),
        ),
        c(
            "second",
            "second target",
            "the third vertex of the triangle of marginals (N(0, I), the target, this one)",
            menu(
                &[
                    TargetName::Checkerboard,
                    TargetName::Gmm,
                    TargetName::Rings,
                    TargetName::Moons,
                    TargetName::Spirals,
                ],
                TargetName::name,
                TargetName::label,
            ),
        ),
        c(
            "line",
            "target on the line",
            "the density ρ1 of the space–time figure",
            menu(LineName::ALL, LineName::name, LineName::label),
        ),
        c(
            "eulerian",
            "What the Eulerian view shows",
            "",
            menu(Eulerian::ALL, Eulerian::name, Eulerian::label),
        ),
        c(
            "source",
            "field",
            "where the Lagrangian view's velocity and score come from",
            menu(Source::ALL, Source::name, Source::label),
        ),
        c(
            "arrows",
            "arrows",
            "a field drawn as arrows over the particles",
            menu(Arrows::ALL, Arrows::name, Arrows::label),
        ),
        c(
            "direction",
            "direction",
            "which way playing moves t",
            menu(Direction::ALL, Direction::name, Direction::label),
        ),
        c(
            "particles",
            "particles",
            "",
            counts(&PARTICLE_CHOICES, true),
        ),
        c(
            "compare",
            "ODE and SDE side by side (same starting points; sets ε = 0.5 if ε is 0)",
            "",
            Input::Check,
        ),
        c(
            "lr",
            "learning rate",
            "Adam's peak learning rate (after warm-up, before the cosine decay)",
            Input::Number {
                min: LR_RANGE.0,
                max: LR_RANGE.1,
                step: 0.0005,
            },
        ),
        c(
            "batch",
            "batch",
            "triples (x0, x1, z) per training step",
            counts(&BATCH_CHOICES, false),
        ),
        c(
            "coupling",
            "pairs (x0, x1)",
            "how a training batch pairs noise with data: independently, or by minibatch optimal \
             transport (an exact assignment within blocks of 128), for straighter paths",
            menu(&Coupling::ALL, Coupling::name, coupling_label),
        ),
        c(
            "width",
            "width",
            "units per hidden layer",
            counts(&WIDTH_CHOICES, false),
        ),
        c(
            "jumps",
            "jumps",
            "how many jumps the flow map takes from t = 0 to t = 1, each shorter towards t = 1",
            counts(&interplay_core::flow_map::JUMPS.map(|k| k as usize), false),
        ),
        c(
            "energy",
            "energy",
            "the density the walkers sample, known to them only as an energy U = −log ρ up to its normalisation",
            menu(EnergyName::ALL, EnergyName::name, EnergyName::label),
        ),
        c(
            "walkerEps",
            "walkers' noise ε",
            "Langevin noise of the walkers: dX = (b̂ − ε∇U)dt + √(2ε)dW",
            range(WALKER_EPS_RANGE, 0.1),
        ),
        c(
            "seed",
            "seed",
            "of every random draw: particles, samples and training",
            Input::Number {
                min: SEED_RANGE.0,
                max: SEED_RANGE.1,
                step: 1.0,
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{BATCH_RANGE, PARTICLES_RANGE, Params, WIDTH_RANGE};
    use serde_json::{Map, Value};

    /// Every value a control can produce is one the parameters accept.
    #[test]
    fn every_value_a_control_offers_is_accepted() {
        let p = Params::default();
        for c in controls() {
            assert!(
                Params::KEYS.contains(&c.key),
                "{} is not a parameter",
                c.key
            );
            let values: Vec<Value> = match &c.input {
                Input::Range { min, max, .. } | Input::Number { min, max, .. } => {
                    vec![(*min).into(), (*max).into()]
                }
                Input::Menu { options, numeric } => options
                    .iter()
                    .map(|(v, _)| {
                        if *numeric {
                            v.parse::<f64>().map(Value::from).unwrap_or(Value::Null)
                        } else {
                            Value::from(v.as_str())
                        }
                    })
                    .collect(),
                Input::Check => vec![true.into(), false.into()],
            };
            for v in values {
                // An exponent at its end of the range may make the schedule invalid on its own
                // path; on the linear path with the defaults every end is valid.
                let mut m = Map::new();
                m.insert(c.key.to_owned(), v.clone());
                assert!(p.apply(&m).is_ok(), "{} = {v}: {:?}", c.key, p.apply(&m));
            }
        }
        let within =
            |(lo, hi): (f64, f64), v: &[usize]| v.iter().all(|&n| (lo..=hi).contains(&(n as f64)));
        assert!(within(PARTICLES_RANGE, &PARTICLE_CHOICES));
        assert!(within(BATCH_RANGE, &BATCH_CHOICES) && within(WIDTH_RANGE, &WIDTH_CHOICES));
    }

    #[test]
    fn the_controls_serialise_as_the_widget_reads_them() {
        let json = serde_json::to_value(controls()).unwrap_or_default();
        let eps = json
            .as_array()
            .and_then(|a| a.iter().find(|c| c["key"] == "eps"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(eps["kind"], "range");
        assert_eq!(
            (eps["min"].as_f64(), eps["max"].as_f64()),
            (Some(0.0), Some(5.0))
        );
        let path = json
            .as_array()
            .and_then(|a| a.iter().find(|c| c["key"] == "path"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            path["options"][1],
            serde_json::json!(["trig", "trigonometric"])
        );
        assert_eq!(path["numeric"], false);
        let particles = json
            .as_array()
            .and_then(|a| a.iter().find(|c| c["key"] == "particles"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            particles["options"][2],
            serde_json::json!(["20000", "20\u{2009}000"])
        );
    }
}
