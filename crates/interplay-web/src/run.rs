//! The page's settings as the engine reads them, and back: the training run the parameters call
//! for (passed to the engine as is), the schedule of the model views, which Lagrangian panels are
//! shown, and the parameter changes that show a run the engine loaded from a checkpoint. The
//! JavaScript builds none of these itself.

use interplay_core::targets::encode_points;
use interplay_core::{ObjectiveKind, Target};
use serde_json::{Map, Value, json};

use crate::params::{Params, Source};

/// The network of the shipped checkpoint (`assets/checkerboard.ckpt`): units per hidden layer …
const SHIPPED_WIDTH: usize = 128;
/// … and hidden layers.
const SHIPPED_DEPTH: usize = 3;

impl Params {
    /// The schedule by its stable names, as the engine reads it (`ScheduleSpec` of
    /// `interplay-nn`).
    pub fn schedule_spec(&self) -> Value {
        json!({
            "path": self.schedule.path.name(),
            "gamma": self.schedule.gamma.name(),
            "alpha_exp": self.schedule.alpha_exp,
            "beta_exp": self.schedule.beta_exp,
            "gamma_scale": self.schedule.gamma_scale,
        })
    }

    /// The target as a run names it: `{name}`, with `points` for a drawing (`TargetSpec`).
    pub fn target_spec(&self) -> Value {
        match self.target() {
            Target::Drawn(points) => json!({"name": "drawn", "points": points}),
            other => json!({"name": other.name()}),
        }
    }

    /// The training run these settings call for, as the engine's `LiveRun`: what a reader can
    /// change (objective, network, batch, rate, seed, schedule, target); the engine adds its live
    /// defaults.
    pub fn run_config(&self) -> Value {
        json!({
            "objective": self.objective(),
            "width": self.width,
            "depth": self.depth,
            "batch": self.batch,
            "lr": self.lr,
            "seed": self.seed,
            "schedule": self.schedule_spec(),
            "target": self.target_spec(),
            "coupling": self.training_coupling().name(),
        })
    }

    /// What the engine's run depends on: the run these settings call for, without the schedule
    /// for the schedule-free model (which serves every schedule).
    pub fn run_key(&self) -> Value {
        let mut key = self.run_config();
        if self.source == Source::ScheduleFree {
            key["schedule"] = Value::Null;
        }
        key
    }

    /// Whether the shipped checkpoint (a schedule-free D of the page's network on the
    /// checkerboard) is a model of these settings.
    pub fn shipped_model_fits(&self) -> bool {
        self.source == Source::ScheduleFree
            && self.target == crate::params::TargetName::Checkerboard
            && self.width == SHIPPED_WIDTH
            && self.depth == SHIPPED_DEPTH
    }

    /// Which Lagrangian panels are on screen: [ODE, SDE]. With ε > 0 the SDE's; the ODE's too
    /// when comparing exact fields side by side (the engine integrates a learned field once, with
    /// the current ε: one panel).
    pub fn shown(&self) -> [bool; 2] {
        let sde = self.eps > 0.0;
        let compare = self.compare && self.source == Source::Exact;
        [compare || !sde, sde]
    }
}

/// The parameter changes that show the run `rc` (an engine `RunConfig` as JSON: `train`,
/// `schedule`, `target`): its source, network, batch, rate and seed, its target (a drawing by
/// its points; a point set has no parameter and is left as it is) and, for b and s, its schedule
/// (the schedule-free model serves every schedule).
pub fn adopt_changes(rc: &Value) -> Result<Map<String, Value>, String> {
    let train = rc.get("train").ok_or("the run has no training settings")?;
    let field = |v: &Value, k: &str| -> Result<Value, String> {
        v.get(k)
            .cloned()
            .ok_or_else(|| format!("the run has no '{k}'"))
    };
    let net = field(train, "net")?;
    let sf =
        train.get("objective").and_then(Value::as_str) == Some(ObjectiveKind::ScheduleFree.name());
    let mut change = Map::new();
    if !sf {
        let coupling = train.get("coupling").and_then(Value::as_str);
        change.insert("coupling".into(), coupling.unwrap_or("independent").into());
    }
    change.insert(
        "source".into(),
        (if sf { "schedule-free" } else { "learned" }).into(),
    );
    change.insert("width".into(), field(&net, "width")?);
    change.insert("depth".into(), field(&net, "depth")?);
    for k in ["batch", "lr", "seed"] {
        change.insert(k.into(), field(train, k)?);
    }
    let target = field(rc, "target")?;
    let name = target.get("name").and_then(Value::as_str).unwrap_or("");
    match (name, target.get("points")) {
        ("drawn", Some(points)) => {
            let points: Vec<[f64; 2]> = serde_json::from_value(points.clone())
                .map_err(|e| format!("the drawing's points: {e}"))?;
            change.insert("target".into(), "drawn".into());
            change.insert("drawn".into(), encode_points(&points).into());
        }
        ("points", _) => {}
        (other, _) => {
            change.insert("target".into(), other.into());
        }
    }
    if !sf {
        let sc = field(rc, "schedule")?;
        for (js, rust) in [
            ("path", "path"),
            ("gamma", "gamma"),
            ("alphaExp", "alpha_exp"),
            ("betaExp", "beta_exp"),
            ("gammaScale", "gamma_scale"),
        ] {
            change.insert(js.into(), field(&sc, rust)?);
        }
    }
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_from_the_settings_reads_back_as_the_same_settings() {
        // A b-and-s run on a drawing with a non-default schedule: the run the page asks the
        // engine for, saved (as the engine saves it) and adopted again, gives the same settings.
        let mut change = Map::new();
        for (k, v) in [
            ("source", json!("learned")),
            ("path", json!("trig")),
            ("alphaExp", json!(1.5)),
            ("width", json!(64)),
            ("depth", json!(2)),
            ("batch", json!(256)),
            ("lr", json!(0.01)),
            ("seed", json!(7)),
            ("target", json!("drawn")),
        ] {
            change.insert(k.into(), v);
        }
        let p = Params::default().apply(&change).expect("valid settings");
        let live = p.run_config();
        assert_eq!(live["objective"], "velocity-score");
        assert_eq!(live["schedule"]["alpha_exp"], 1.5);
        assert!(
            live["target"]["points"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        );
        // A RunConfig as the engine writes it: the live settings under `train`.
        let rc = json!({
            "train": {
                "objective": live["objective"],
                "net": {"width": live["width"], "depth": live["depth"]},
                "batch": live["batch"], "lr": live["lr"], "seed": live["seed"],
            },
            "schedule": live["schedule"],
            "target": live["target"],
            "steps": 10,
        });
        let back = Params::default()
            .apply(&adopt_changes(&rc).expect("adoptable"))
            .expect("valid");
        let mut again = back.run_config();
        // The drawing comes back as its code, whose points are rounded to the code's grid.
        let points = |v: &Value| -> Vec<[f64; 2]> {
            serde_json::from_value(v["target"]["points"].clone()).expect("points")
        };
        let (a, b) = (points(&again), points(&live));
        assert_eq!(a.len(), b.len());
        assert!(
            a.iter()
                .zip(&b)
                .all(|(p, q)| (p[0] - q[0]).abs() < 5e-3 && (p[1] - q[1]).abs() < 5e-3)
        );
        again["target"] = live["target"].clone();
        assert_eq!(again, live);
        assert_eq!(back.schedule(), p.schedule());
        // A run with parts missing is refused with a reason.
        let err = adopt_changes(&json!({"train": {"objective": "schedule-free"}}))
            .expect_err("a run without a network");
        assert!(err.contains("net"), "{err}");
    }

    #[test]
    fn the_run_key_and_the_shipped_model_follow_the_schedule_free_rules() {
        let sf = Params {
            source: Source::ScheduleFree,
            ..Params::default()
        };
        assert!(sf.shipped_model_fits() == (sf.width == 128 && sf.depth == 3));
        let other_schedule = sf
            .apply(&serde_json::from_value(json!({"path": "trig"})).expect("a map"))
            .expect("valid");
        // The schedule-free model serves every schedule: the same run.
        assert_eq!(sf.run_key(), other_schedule.run_key());
        let learned = |p: &Params| Params {
            source: Source::Learned,
            ..p.clone()
        };
        assert_ne!(learned(&sf).run_key(), learned(&other_schedule).run_key());
        assert!(!learned(&sf).shipped_model_fits());
        let wider = Params {
            width: 64,
            ..sf.clone()
        };
        assert!(!wider.shipped_model_fits());
    }

    #[test]
    fn the_sde_panel_shows_with_noise_and_the_ode_panel_without_or_to_compare() {
        let mut p = Params {
            eps: 0.0,
            ..Params::default()
        };
        assert_eq!(p.shown(), [true, false]);
        p.eps = 0.5;
        assert_eq!(p.shown(), [false, true]);
        p.compare = true;
        assert_eq!(p.shown(), [true, true]);
        p.source = Source::Learned;
        assert_eq!(p.shown(), [false, true]);
    }
}
