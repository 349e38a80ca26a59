//! The widget's parameters: one struct, validated as a whole, changed all-or-nothing.
//!
//! Changes arrive as a JSON object (from the JS API, widget attributes or the URL). Every key is
//! checked; a bad one yields a message naming it and leaves the last good state untouched.

use interplay_core::P2;
use interplay_core::schedule::{EPS_RANGE, EXP_RANGE, GAMMA_SCALE_RANGE};
use interplay_core::targets::{
    DRAWN_MAX_POINTS, decode_points, default_drawing, drawn_points, encode_points,
};
use interplay_core::{GammaFamily, Path, Schedule, Target};
use serde::Serialize;
use serde_json::{Map, Value};

/// Field sources of the Lagrangian view and the model views.
pub const SOURCES: [&str; 3] = ["exact", "learned", "schedule-free"];
/// What the Eulerian view shows.
pub const EULERIAN: [&str; 4] = ["exact", "samples", "model", "model-density"];
/// Arrow fields over the Lagrangian view.
pub const ARROWS: [&str; 3] = ["none", "b", "s"];
/// Play directions.
pub const DIRECTIONS: [&str; 2] = ["forward", "backward"];
/// Targets: the named ones and a drawing.
pub const TARGETS: [&str; 6] = ["checkerboard", "gmm", "rings", "moons", "spirals", "drawn"];

/// Everything that decides the picture and the training run.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The time shown, in [0, 1].
    pub t: f64,
    /// Path family name (`Path::name`).
    pub path: String,
    /// γ family name (`GammaFamily::name`).
    pub gamma: String,
    /// a in α = α_p^a.
    pub alpha_exp: f64,
    /// b in β = β_p^b.
    pub beta_exp: f64,
    /// g in γ = g·γ_p.
    pub gamma_scale: f64,
    /// SDE noise ε (0: the ODE).
    pub eps: f64,
    /// Target name.
    pub target: String,
    /// The drawing of the `drawn` target as a code (`interplay_core::targets::encode_points`);
    /// empty: the default drawing.
    pub drawn: String,
    /// Seed of every random draw (particles, samples, training).
    pub seed: u64,
    /// Field source: exact, learned (b and s) or schedule-free (D).
    pub source: String,
    /// Eulerian view: exact, samples, model or model-density.
    pub eulerian: String,
    /// ODE and SDE side by side.
    pub compare: bool,
    /// Arrows of b or s over the particles ("none" for none).
    pub arrows: String,
    /// Play direction: forward (ρ0 → ρ1) or backward (ρ1 → ρ0).
    pub direction: String,
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
}

impl Default for Params {
    fn default() -> Self {
        Self {
            t: 0.5,
            path: "linear".into(),
            gamma: "brownian".into(),
            alpha_exp: 1.0,
            beta_exp: 1.0,
            gamma_scale: 1.0,
            eps: 0.0,
            target: "checkerboard".into(),
            drawn: String::new(),
            seed: 0,
            source: "exact".into(),
            eulerian: "exact".into(),
            compare: false,
            arrows: "none".into(),
            direction: "forward".into(),
            particles: 5000,
            lr: interplay_core::live::LR,
            batch: interplay_core::live::BATCH,
            width: 128,
            depth: 3,
        }
    }
}

fn number(key: &str, v: &Value, (lo, hi): (f64, f64)) -> Result<f64, String> {
    let x = v
        .as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse::<f64>().ok()))
        .ok_or_else(|| format!("{key} must be a number, got {v}"))?;
    if !x.is_finite() || !(lo..=hi).contains(&x) {
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

fn choice(key: &str, v: &Value, allowed: &[&str]) -> Result<String, String> {
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
    pub const KEYS: [&'static str; 21] = [
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
        for (key, v) in changes {
            match key.as_str() {
                "preset" => {}
                "t" => p.t = number(key, v, (0.0, 1.0))?,
                "path" => p.path = choice(key, v, &paths)?,
                "gamma" => p.gamma = choice(key, v, &gammas)?,
                "alphaExp" => p.alpha_exp = number(key, v, EXP_RANGE)?,
                "betaExp" => p.beta_exp = number(key, v, EXP_RANGE)?,
                "gammaScale" => p.gamma_scale = number(key, v, GAMMA_SCALE_RANGE)?,
                "eps" => p.eps = number(key, v, EPS_RANGE)?,
                "target" => p.target = choice(key, v, &TARGETS)?,
                "drawn" => {
                    let code = v
                        .as_str()
                        .ok_or_else(|| format!("drawn must be a drawing code, got {v}"))?;
                    if !code.is_empty() {
                        decode_points(code).map_err(|e| format!("drawn: {e}"))?;
                    }
                    p.drawn = code.to_owned();
                }
                "seed" => p.seed = whole(key, v, (0.0, 4_294_967_295.0))? as u64,
                "source" => p.source = choice(key, v, &SOURCES)?,
                "eulerian" => p.eulerian = choice(key, v, &EULERIAN)?,
                "compare" => p.compare = flag(key, v)?,
                "arrows" => p.arrows = choice(key, v, &ARROWS)?,
                "direction" => p.direction = choice(key, v, &DIRECTIONS)?,
                "particles" => p.particles = whole(key, v, (10.0, 50_000.0))?,
                "lr" => p.lr = number(key, v, (1e-5, 0.1))?,
                "batch" => p.batch = whole(key, v, (16.0, 8192.0))?,
                "width" => p.width = whole(key, v, (8.0, 512.0))?,
                "depth" => p.depth = whole(key, v, (1.0, 8.0))?,
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
        Ok(p)
    }

    /// The schedule (valid after [`Params::apply`]).
    pub fn schedule(&self) -> Schedule {
        let path = Path::from_name(&self.path).unwrap_or(Path::Linear);
        Schedule {
            path,
            gamma: GammaFamily::from_name(&self.gamma).unwrap_or(path.default_gamma()),
            alpha_exp: self.alpha_exp,
            beta_exp: self.beta_exp,
            gamma_scale: self.gamma_scale,
        }
    }

    /// The target (a drawing from its code, or the default drawing).
    pub fn target(&self) -> Target {
        if self.target == "drawn" {
            return Target::Drawn(decode_points(&self.drawn).unwrap_or_else(|_| default_drawing()));
        }
        Target::from_name(&self.target).unwrap_or(Target::Checkerboard)
    }

    /// The training objective of the learned sources.
    pub fn objective(&self) -> &'static str {
        if self.source == "schedule-free" {
            "schedule-free"
        } else {
            "velocity-score"
        }
    }

    /// What the "interpolant samples" heat map at time `t` depends on: the schedule, the target
    /// (with the drawing, for a drawn one), the seed and t.
    pub fn samples_key(&self, t: f64) -> String {
        let drawing = if self.target == "drawn" {
            self.drawn.as_str()
        } else {
            ""
        };
        format!(
            "{:?}|{}|{drawing}|{}|{t}",
            self.schedule(),
            self.target,
            self.seed
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
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn good_changes_apply_and_bad_ones_name_the_key() {
        let p = Params::default();
        let q = p
            .apply(&obj(serde_json::json!({"t": 0.25, "path": "trig", "gammaScale": "0.5", "compare": "true", "particles": 2000})))
            .unwrap_or_default();
        assert_eq!(
            (q.t, q.path.as_str(), q.gamma_scale, q.compare, q.particles),
            (0.25, "trig", 0.5, true, 2000)
        );
        for (bad, needle) in [
            (serde_json::json!({"t": 1.5}), "t = 1.5"),
            (serde_json::json!({"t": "abc"}), "t must be a number"),
            (serde_json::json!({"eps": -1}), "eps = -1"),
            (
                serde_json::json!({"path": "spline"}),
                "path 'spline' is unknown",
            ),
            (serde_json::json!({"target": "donut"}), "target 'donut'"),
            (
                serde_json::json!({"drawn": "AAA"}),
                "drawn: the drawing code has 3",
            ),
            (
                serde_json::json!({"drawn": 5}),
                "drawn must be a drawing code",
            ),
            (serde_json::json!({"zoom": 2}), "unknown parameter 'zoom'"),
            (serde_json::json!({"seed": 1.5}), "whole number"),
            (serde_json::json!({"source": "oracle"}), "source 'oracle'"),
            (serde_json::json!({"compare": "maybe"}), "true or false"),
            (serde_json::json!({"particles": 1e9}), "particles"),
            (
                serde_json::json!({"path": "trig", "gamma": "sin2", "gammaScale": 1.5}),
                "γ(t) < 1",
            ),
        ] {
            let e = p.apply(&obj(bad.clone())).err().unwrap_or_default();
            assert!(e.contains(needle), "{bad}: {e}");
        }
        // Presets: every one applies; the other keys of the same call win over the preset.
        for name in PRESETS {
            let q = p.apply(&obj(serde_json::json!({"preset": name, "t": 0.2})));
            assert!(q.as_ref().is_ok_and(|q| q.t == 0.2), "{name}: {q:?}");
        }
        let q = p
            .apply(&obj(serde_json::json!({"alphaExp": 2.0, "preset": "trig"})))
            .unwrap_or_default();
        assert_eq!((q.path.as_str(), q.alpha_exp), ("trig", 2.0));
        let e = p.apply(&obj(serde_json::json!({"preset": "spline"})));
        assert!(e.is_err_and(|e| e.contains("preset 'spline' is unknown")));
        // A drawing: its code, or the default heart before one is drawn.
        let heart = default_drawing();
        let q = p
            .apply(&obj(serde_json::json!({"target": "drawn"})))
            .unwrap_or_default();
        assert_eq!(q.target(), Target::Drawn(heart.clone()));
        let code = encode_points(&heart[..5]);
        let r = q
            .apply(&obj(serde_json::json!({"drawn": code})))
            .unwrap_or_default();
        assert!(matches!(r.target(), Target::Drawn(d) if d.len() == 5));
        assert!(q.particles_reset(&r));
        // The samples heat map of a new drawing is not the cached one of the last.
        assert_ne!(q.samples_key(0.5), r.samples_key(0.5));
        assert_eq!(r.samples_key(0.5), r.clone().samples_key(0.5));
        // Strokes add to a drawing until it is full.
        let (one, cut) = drawing_code("", &[vec![[0.0, 0.0], [3.0, 0.0]]]).unwrap_or_default();
        assert!(!cut && (10..=11).contains(&decode_points(&one).map_or(0, |d| d.len())));
        let (two, _) = drawing_code(&one, &[vec![[1.0, 1.0]]]).unwrap_or_default();
        assert_eq!(two.len(), one.len() + 4);
        let long = vec![vec![[-4.0, 0.0], [4.0, 0.0], [4.0, 4.0], [-4.0, 4.0]]; 4];
        let (full, cut) = drawing_code(&two, &long).unwrap_or_default();
        assert!(cut && full.len() == 4 * DRAWN_MAX_POINTS);
        assert!(drawing_code("", &[]).is_err() && drawing_code("A", &long).is_err());
        // NaN cannot come through JSON, but a string "NaN" can.
        assert!(p.apply(&obj(serde_json::json!({"t": "NaN"}))).is_err());
        assert!(
            p.particles_reset(&q)
                && !p.particles_reset(&Params {
                    t: 0.9,
                    ..p.clone()
                })
        );
    }
}
