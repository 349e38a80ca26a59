//! The viewer's parameters: one struct, validated as a whole, changed all-or-nothing.
//!
//! Changes arrive as a JSON object (from the JS API, widget attributes or the URL). Every key is
//! checked; a bad one yields a message naming it and leaves the last good state untouched.

use interplay_core::schedule::{EPS_RANGE, EXP_RANGE, GAMMA_SCALE_RANGE};
use interplay_core::{GammaFamily, Path, Schedule, Target};
use serde::Serialize;
use serde_json::{Map, Value};

/// Everything that decides the picture.
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
    /// SDE noise ε.
    pub eps: f64,
    /// Target name.
    pub target: String,
    /// Seed of every random draw.
    pub seed: u64,
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
            seed: 0,
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

fn name<T>(
    key: &str,
    v: &Value,
    parse: impl Fn(&str) -> Option<T>,
    allowed: &[&str],
) -> Result<String, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("{key} must be a name, got {v}"))?;
    parse(s)
        .map(|_| s.to_owned())
        .ok_or_else(|| format!("{key} '{s}' is unknown; use one of {}", allowed.join(", ")))
}

impl Params {
    /// The keys [`Params::apply`] accepts.
    pub const KEYS: [&'static str; 9] = [
        "t",
        "path",
        "gamma",
        "alphaExp",
        "betaExp",
        "gammaScale",
        "eps",
        "target",
        "seed",
    ];

    /// These parameters with `changes` applied, or a message naming the first bad key. The
    /// result is a valid interpolant (the schedule check of math §1.4 passes).
    pub fn apply(&self, changes: &Map<String, Value>) -> Result<Params, String> {
        let mut p = self.clone();
        let paths: Vec<&str> = Path::ALL.iter().map(|p| p.name()).collect();
        let gammas: Vec<&str> = GammaFamily::ALL.iter().map(|g| g.name()).collect();
        for (key, v) in changes {
            match key.as_str() {
                "t" => p.t = number(key, v, (0.0, 1.0))?,
                "path" => p.path = name(key, v, Path::from_name, &paths)?,
                "gamma" => p.gamma = name(key, v, GammaFamily::from_name, &gammas)?,
                "alphaExp" => p.alpha_exp = number(key, v, EXP_RANGE)?,
                "betaExp" => p.beta_exp = number(key, v, EXP_RANGE)?,
                "gammaScale" => p.gamma_scale = number(key, v, GAMMA_SCALE_RANGE)?,
                "eps" => p.eps = number(key, v, EPS_RANGE)?,
                "target" => p.target = name(key, v, Target::from_name, &Target::NAMES)?,
                "seed" => {
                    let x = number(key, v, (0.0, 4_294_967_295.0))?;
                    if x.fract() != 0.0 {
                        return Err(format!("seed must be a whole number, got {x}"));
                    }
                    p.seed = x as u64;
                }
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

    /// The target.
    pub fn target(&self) -> Target {
        Target::from_name(&self.target).unwrap_or(Target::Checkerboard)
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
            .apply(&obj(
                serde_json::json!({"t": 0.25, "path": "trig", "gammaScale": "0.5"}),
            ))
            .unwrap_or_default();
        assert_eq!((q.t, q.path.as_str(), q.gamma_scale), (0.25, "trig", 0.5));
        for (bad, needle) in [
            (serde_json::json!({"t": 1.5}), "t = 1.5"),
            (serde_json::json!({"t": "abc"}), "t must be a number"),
            (serde_json::json!({"eps": -1}), "eps = -1"),
            (
                serde_json::json!({"path": "spline"}),
                "path 'spline' is unknown",
            ),
            (serde_json::json!({"target": "donut"}), "target 'donut'"),
            (serde_json::json!({"zoom": 2}), "unknown parameter 'zoom'"),
            (serde_json::json!({"seed": 1.5}), "whole number"),
            (
                serde_json::json!({"path": "trig", "gamma": "sin2", "gammaScale": 1.5}),
                "γ(t) < 1",
            ),
        ] {
            let e = p.apply(&obj(bad.clone())).err().unwrap_or_default();
            assert!(e.contains(needle), "{bad}: {e}");
        }
        // NaN cannot come through JSON, but a string "NaN" can.
        assert!(p.apply(&obj(serde_json::json!({"t": "NaN"}))).is_err());
    }
}
