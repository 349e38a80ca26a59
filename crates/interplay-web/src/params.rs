//! The widget's parameters: one struct, validated as a whole, changed all-or-nothing.
//!
//! Changes arrive as a JSON object (from the JS API, widget attributes or the URL). Every key is
//! checked; a bad one yields a message naming it and leaves the last good state untouched.

use interplay_core::P2;
use interplay_core::coupling::Coupling;
use interplay_core::multimarginal::Alpha;

use crate::mix::{alpha, encode_alpha, encode_mix_path, mix_path, quantise};
use interplay_core::line::{DEFAULT_DRAWN, LineTarget};
use interplay_core::schedule::{EPS_RANGE, EXP_RANGE, GAMMA_SCALE_RANGE};
use interplay_core::targets::{
    DRAWN_MAX_POINTS, decode_points, default_drawing, drawn_points, encode_points,
};
use interplay_core::{GammaFamily, ObjectiveKind, Path, Schedule, Target};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::choices::choice;
pub use crate::choices::{
    ARROWS, Arrows, DIRECTIONS, Direction, ENERGIES, EULERIAN, EnergyName, Eulerian, LINES,
    LineName, SOURCES, Source, TARGETS, TargetName,
};

/// Everything that decides the picture and the training run. Serialised flat, with the URL's
/// camelCase keys (the schedule as path, gamma, alphaExp, betaExp, gammaScale).
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// The time shown, in [0, 1].
    pub t: f64,
    /// The schedule (a valid interpolant after [`Params::apply`]).
    pub schedule: Schedule,
    /// SDE noise ε (0: the ODE).
    pub eps: f64,
    /// The target.
    pub target: TargetName,
    /// The drawing of the `drawn` target as a code (`interplay_core::targets::encode_points`);
    /// empty: the default drawing.
    pub drawn: String,
    /// The target of the space–time figure on the line.
    pub line: LineName,
    /// The histogram of the `drawn` line target as a code (`LineTarget::from_code`); empty: the
    /// default drawing.
    pub line_drawn: String,
    /// Seed of every random draw (particles, samples, training).
    pub seed: u64,
    /// Field source: exact, learned (b and s) or schedule-free (D).
    pub source: Source,
    /// What the Eulerian view shows.
    pub eulerian: Eulerian,
    /// ODE and SDE side by side.
    pub compare: bool,
    /// Arrows of b or s over the particles.
    pub arrows: Arrows,
    /// Play direction.
    pub direction: Direction,
    /// Number of particles.
    pub particles: usize,
    /// Training: Adam learning rate.
    pub lr: f64,
    /// Training: triples per step.
    pub batch: usize,
    /// Training: units per hidden layer.
    pub width: usize,
    /// Training: hidden layers.
    pub depth: usize,
    /// How training batches (and the interpolant samples) pair x0 with x1.
    pub coupling: Coupling,
    /// The second target of the triangle of three marginals (N(0, I), the target, this one).
    pub second: TargetName,
    /// The point (α0, α1, α2) of the triangle shown, to three decimals.
    pub mix: Alpha,
    /// A path on the triangle (its knots; empty: none).
    pub mix_path: Vec<Alpha>,
    /// The flow-map figure's jumps from t = 0 to t = 1 (one of `interplay_core::flow_map::JUMPS`).
    pub jumps: u32,
    /// The "no data" figure's energy.
    pub energy: EnergyName,
    /// The "no data" figure's Langevin noise ε of the walkers.
    pub walker_eps: f64,
}

impl Serialize for Params {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// The flat form, in the order of [`Params::KEYS`].
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Flat<'a> {
            t: f64,
            path: Path,
            gamma: GammaFamily,
            alpha_exp: f64,
            beta_exp: f64,
            gamma_scale: f64,
            eps: f64,
            target: TargetName,
            drawn: &'a str,
            line: LineName,
            line_drawn: &'a str,
            seed: u64,
            source: Source,
            eulerian: Eulerian,
            compare: bool,
            arrows: Arrows,
            direction: Direction,
            particles: usize,
            lr: f64,
            batch: usize,
            width: usize,
            depth: usize,
            coupling: &'static str,
            second: TargetName,
            mix: String,
            mix_path: String,
            jumps: u32,
            energy: EnergyName,
            walker_eps: f64,
        }
        let sc = &self.schedule;
        Flat {
            t: self.t,
            path: sc.path,
            gamma: sc.gamma,
            alpha_exp: sc.alpha_exp,
            beta_exp: sc.beta_exp,
            gamma_scale: sc.gamma_scale,
            eps: self.eps,
            target: self.target,
            drawn: &self.drawn,
            line: self.line,
            line_drawn: &self.line_drawn,
            seed: self.seed,
            source: self.source,
            eulerian: self.eulerian,
            compare: self.compare,
            arrows: self.arrows,
            direction: self.direction,
            particles: self.particles,
            lr: self.lr,
            batch: self.batch,
            width: self.width,
            depth: self.depth,
            coupling: self.coupling.name(),
            second: self.second,
            mix: encode_alpha(self.mix),
            mix_path: encode_mix_path(&self.mix_path),
            jumps: self.jumps,
            energy: self.energy,
            walker_eps: self.walker_eps,
        }
        .serialize(s)
    }
}

impl Default for Params {
    fn default() -> Self {
        Self {
            t: 0.5,
            schedule: Schedule::preset(Path::Linear),
            eps: 0.0,
            target: TargetName::Checkerboard,
            drawn: String::new(),
            line: LineName::Gmm,
            line_drawn: String::new(),
            seed: 0,
            source: Source::Exact,
            eulerian: Eulerian::Exact,
            compare: false,
            arrows: Arrows::None,
            direction: Direction::Forward,
            particles: 5000,
            lr: interplay_core::live::LR,
            batch: interplay_core::live::BATCH,
            width: 128,
            depth: 3,
            coupling: Coupling::Independent,
            second: TargetName::Rings,
            mix: quantise([1.0 / 3.0; 3]),
            mix_path: Vec::new(),
            jumps: 1,
            energy: EnergyName::Gmm,
            walker_eps: 1.0,
        }
    }
}

/// The range of t.
pub const T_RANGE: (f64, f64) = (0.0, 1.0);
/// The range of the seed (a u32, so that the JavaScript holds it exactly).
pub const SEED_RANGE: (f64, f64) = (0.0, 4_294_967_295.0);
/// The range of the particle count.
pub const PARTICLES_RANGE: (f64, f64) = (10.0, 50_000.0);
/// The range of Adam's learning rate.
pub const LR_RANGE: (f64, f64) = (1e-5, 0.1);
/// The range of the batch (triples per step).
pub const BATCH_RANGE: (f64, f64) = (16.0, 8192.0);
/// The range of the width (units per hidden layer).
pub const WIDTH_RANGE: (f64, f64) = (8.0, 512.0);
/// The range of the walkers' Langevin noise ε in the "no data" figure.
pub const WALKER_EPS_RANGE: (f64, f64) = (0.1, 4.0);
/// The range of the depth (hidden layers).
pub const DEPTH_RANGE: (f64, f64) = (1.0, 8.0);

fn number(key: &str, v: &Value, (lo, hi): (f64, f64)) -> Result<f64, String> {
    let x = v
        .as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse::<f64>().ok()))
        .ok_or_else(|| format!("{key} must be a number, got {v}"))?;
    if !x.is_finite() || !(lo..=hi).contains(&x) {
        let x = interplay_core::schedule::sig3(x);
        return Err(format!("{key} = {x} is outside [{lo}, {hi}]"));
    }
    Ok(x)
}

fn whole(key: &str, v: &Value, range: (f64, f64)) -> Result<usize, String> {
    let x = number(key, v, range)?;
    if x.fract() != 0.0 {
        return Err(format!("{key} must be a whole number, got {x}"));
    }
    Ok(x as usize)
}

fn flag(key: &str, v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" || s == "1" => Ok(true),
        Value::String(s) if s == "false" || s == "0" => Ok(false),
        Value::Number(n) if n.as_f64() == Some(1.0) => Ok(true),
        Value::Number(n) if n.as_f64() == Some(0.0) => Ok(false),
        other => Err(format!("{key} must be true or false, got {other}")),
    }
}

/// Named starting points for figures: a schedule preset path with its usual γ, or a scene.
pub const PRESETS: [&str; 11] = [
    "linear",
    "trig",
    "enc-dec",
    "one-sided-linear",
    "one-sided-trig",
    "vp",
    "mirror",
    "flow-matching",
    "diffusion",
    "ode-vs-sde",
    "schedule-free",
];

/// The changes a preset stands for (applied before the other keys of the same call).
fn preset(name: &str) -> Result<Map<String, Value>, String> {
    let schedule = |path: Path, gamma: GammaFamily| {
        serde_json::json!({"path": path.name(), "gamma": gamma.name(),
            "alphaExp": 1.0, "betaExp": 1.0, "gammaScale": 1.0})
    };
    let v = match name {
        // Flow matching / rectified flow: a straight line from noise to data, no latent noise.
        "flow-matching" => schedule(Path::OneSidedLinear, GammaFamily::Zero),
        // Score-based diffusion (variance preserving).
        "diffusion" => schedule(Path::Vp, Path::Vp.default_gamma()),
        "ode-vs-sde" => serde_json::json!({"path": "linear", "gamma": "brownian", "alphaExp": 1.0,
            "betaExp": 1.0, "gammaScale": 1.0, "eps": 0.5, "compare": true}),
        "schedule-free" => serde_json::json!({"source": "schedule-free"}),
        other => match Path::from_name(other) {
            Some(path) => schedule(path, path.default_gamma()),
            None => {
                return Err(format!(
                    "preset '{other}' is unknown; use one of {}",
                    PRESETS.join(", ")
                ));
            }
        },
    };
    Ok(v.as_object().cloned().unwrap_or_default())
}

/// The code of a drawing made of the points of `prefix` (a drawing code, possibly empty) and
/// then `strokes`, and whether it had to stop at the most points a drawing may have.
pub fn drawing_code(prefix: &str, strokes: &[Vec<P2>]) -> Result<(String, bool), String> {
    let mut pts = if prefix.is_empty() {
        Vec::new()
    } else {
        decode_points(prefix)?
    };
    let (more, cut) = drawn_points(strokes);
    if more.is_empty() {
        return Err("a drawing needs at least one point inside the view".into());
    }
    let room = DRAWN_MAX_POINTS.saturating_sub(pts.len());
    let cut = cut || more.len() > room;
    pts.extend(more.into_iter().take(room));
    Ok((encode_points(&pts), cut))
}

impl Params {
    /// The keys [`Params::apply`] accepts (`preset` is applied first and not stored).
    pub const KEYS: [&'static str; 30] = [
        "preset",
        "t",
        "path",
        "gamma",
        "alphaExp",
        "betaExp",
        "gammaScale",
        "eps",
        "target",
        "drawn",
        "line",
        "lineDrawn",
        "seed",
        "source",
        "eulerian",
        "compare",
        "arrows",
        "direction",
        "particles",
        "lr",
        "batch",
        "width",
        "depth",
        "coupling",
        "second",
        "mix",
        "mixPath",
        "jumps",
        "energy",
        "walkerEps",
    ];

    /// These parameters with `changes` applied, or a message naming the first bad key. The
    /// result is a valid interpolant (the schedule check of docs/math.md §1.4 passes).
    pub fn apply(&self, changes: &Map<String, Value>) -> Result<Params, String> {
        let mut p = self.clone();
        if let Some(name) = changes.get("preset") {
            let name = name
                .as_str()
                .ok_or_else(|| format!("preset must be a name, got {name}"))?;
            p = p.apply(&preset(name)?)?;
        }
        let paths: Vec<&str> = Path::ALL.iter().map(|p| p.name()).collect();
        let gammas: Vec<&str> = GammaFamily::ALL.iter().map(|g| g.name()).collect();
        // Only the names listed get past choice().
        let path = |s: String| Path::from_name(&s).unwrap_or(Path::Linear);
        let gamma = |s: String| GammaFamily::from_name(&s).unwrap_or(GammaFamily::Brownian);
        for (key, v) in changes {
            match key.as_str() {
                "preset" => {}
                "t" => p.t = number(key, v, T_RANGE)?,
                "path" => p.schedule.path = path(choice(key, v, &paths)?),
                "gamma" => p.schedule.gamma = gamma(choice(key, v, &gammas)?),
                "alphaExp" => p.schedule.alpha_exp = number(key, v, EXP_RANGE)?,
                "betaExp" => p.schedule.beta_exp = number(key, v, EXP_RANGE)?,
                "gammaScale" => p.schedule.gamma_scale = number(key, v, GAMMA_SCALE_RANGE)?,
                "eps" => p.eps = number(key, v, EPS_RANGE)?,
                "target" => p.target = TargetName::parse(key, v)?,
                "drawn" => {
                    let code = v
                        .as_str()
                        .ok_or_else(|| format!("drawn must be a drawing code, got {v}"))?;
                    if !code.is_empty() {
                        decode_points(code).map_err(|e| format!("drawn: {e}"))?;
                    }
                    p.drawn = code.to_owned();
                }
                "line" => p.line = LineName::parse(key, v)?,
                "lineDrawn" => {
                    let code = v
                        .as_str()
                        .ok_or_else(|| format!("lineDrawn must be a drawing code, got {v}"))?;
                    if !code.is_empty() {
                        LineTarget::from_code(code).map_err(|e| format!("lineDrawn: {e}"))?;
                    }
                    p.line_drawn = code.to_owned();
                }
                "seed" => p.seed = whole(key, v, SEED_RANGE)? as u64,
                "source" => p.source = Source::parse(key, v)?,
                "eulerian" => p.eulerian = Eulerian::parse(key, v)?,
                "compare" => p.compare = flag(key, v)?,
                "arrows" => p.arrows = Arrows::parse(key, v)?,
                "direction" => p.direction = Direction::parse(key, v)?,
                "particles" => p.particles = whole(key, v, PARTICLES_RANGE)?,
                "lr" => p.lr = number(key, v, LR_RANGE)?,
                "batch" => p.batch = whole(key, v, BATCH_RANGE)?,
                "width" => p.width = whole(key, v, WIDTH_RANGE)?,
                "depth" => p.depth = whole(key, v, DEPTH_RANGE)?,
                "coupling" => {
                    let names = Coupling::ALL.map(Coupling::name);
                    let name = choice(key, v, &names)?;
                    p.coupling = Coupling::from_name(&name).unwrap_or_default();
                }
                "second" => {
                    p.second = TargetName::parse(key, v)?;
                    if p.second == TargetName::Drawn {
                        return Err("second: a drawing can be the first target only; use \
                                    checkerboard, gmm, rings, moons or spirals"
                            .into());
                    }
                }
                "mix" => p.mix = alpha(key, v)?,
                "mixPath" => p.mix_path = mix_path(key, v)?,
                "jumps" => {
                    let k = whole(key, v, (1.0, 8.0)).ok().map(|k| k as u32);
                    p.jumps = k
                        .filter(|k| interplay_core::flow_map::JUMPS.contains(k))
                        .ok_or_else(|| {
                            format!(
                                "jumps = {v}: the flow map jumps 1, 2, 4 or 8 times from t = 0 to \
                                 t = 1"
                            )
                        })?;
                }
                "energy" => p.energy = EnergyName::parse(key, v)?,
                "walkerEps" => p.walker_eps = number(key, v, WALKER_EPS_RANGE)?,
                other => {
                    return Err(format!(
                        "unknown parameter '{other}'; known: {}",
                        Self::KEYS.join(", ")
                    ));
                }
            }
        }
        if let Some(issue) = p.schedule().validate().first() {
            return Err(format!("this schedule is not a valid interpolant: {issue}"));
        }
        if p.training_coupling() == Coupling::Ot && !p.schedule().has_gamma() {
            return Err(
                "minibatch OT trains b with the score from E[z | x_t], which needs \
                        latent noise: choose a γ family other than zero, or independent pairs"
                    .into(),
            );
        }
        Ok(p)
    }

    /// The schedule (valid after [`Params::apply`]).
    pub fn schedule(&self) -> Schedule {
        self.schedule
    }

    /// The target (a drawing from its code, or the default drawing).
    pub fn target(&self) -> Target {
        if self.target == TargetName::Drawn {
            return Target::Drawn(decode_points(&self.drawn).unwrap_or_else(|_| default_drawing()));
        }
        Target::from_name(self.target.name()).unwrap_or(Target::Checkerboard)
    }

    /// The second target of the triangle of three marginals.
    pub fn second_target(&self) -> Target {
        Target::from_name(self.second.name()).unwrap_or(Target::Rings)
    }

    /// The target of the space–time figure (a drawing from its code, or the default drawing).
    pub fn line_target(&self) -> LineTarget {
        let drawn = || {
            let code = if self.line_drawn.is_empty() {
                DEFAULT_DRAWN
            } else {
                &self.line_drawn
            };
            LineTarget::from_code(code).or_else(|_| LineTarget::from_code(DEFAULT_DRAWN))
        };
        let named = match self.line {
            LineName::Drawn => drawn(),
            other => LineTarget::from_name(other.name()).ok_or_else(String::new),
        };
        // Every name of LineName is one of core's (a names test checks it) and the default
        // drawing is valid (a core test checks it), so the fallback is never used.
        named.unwrap_or_default()
    }

    /// What the space–time figure depends on besides ε and the seed.
    pub fn line_key(&self) -> String {
        format!(
            "{:?}|{}|{}",
            self.schedule(),
            self.line.name(),
            self.line_drawn
        )
    }

    /// The training objective of the learned sources: b and s by their own losses, or, with
    /// minibatch OT, by the denoiser's (its targets do not assume independent pairs).
    pub fn objective(&self) -> ObjectiveKind {
        match (self.source, self.training_coupling()) {
            (Source::ScheduleFree, _) => ObjectiveKind::ScheduleFree,
            (_, Coupling::Ot) => ObjectiveKind::Denoiser,
            (_, Coupling::Independent) => ObjectiveKind::VelocityScore,
        }
    }

    /// The coupling training uses: the chosen one for learned b and s; the schedule-free D
    /// learns E[x1 | x1 + λξ], which has no x0 to pair.
    pub fn training_coupling(&self) -> Coupling {
        if self.source == Source::ScheduleFree {
            Coupling::Independent
        } else {
            self.coupling
        }
    }

    /// What the "interpolant samples" heat map at time `t` depends on: the draws
    /// ([`Params::draws_key`]), the schedule and t.
    pub fn samples_key(&self, t: f64) -> String {
        format!("{}|{:?}|{t}", self.draws_key(), self.schedule())
    }

    /// What the draws (x0, x1, z) behind the interpolant samples depend on: the target (with the
    /// drawing, for a drawn one), the seed and the coupling.
    pub fn draws_key(&self) -> String {
        let drawing = if self.target == TargetName::Drawn {
            self.drawn.as_str()
        } else {
            ""
        };
        format!(
            "{}|{drawing}|{}|{}",
            self.target.name(),
            self.seed,
            self.coupling.name()
        )
    }

    /// Whether the particles must start afresh after going from `self` to `next`.
    pub fn particles_reset(&self, next: &Params) -> bool {
        self.schedule() != next.schedule()
            || self.target != next.target
            || self.drawn != next.drawn
            || self.seed != next.seed
            || self.particles != next.particles
            || self.direction != next.direction
            || self.eps != next.eps
    }
}

#[cfg(test)]
#[path = "params_tests.rs"]
mod tests;
