//! The page's settings as the engine reads them, and back: the training run the parameters call
//! for (passed to the engine as is), the schedule of the model views, which Lagrangian panels are
//! shown, and the parameter changes that show a run the engine loaded from a checkpoint. The
//! JavaScript builds none of these itself.

use interplay_core::annealing::Energy;
use interplay_core::coupling::Coupling;
use interplay_core::spec::{LiveRun, ScheduleSpec, TargetSpec};
use interplay_core::targets::encode_points;
use interplay_core::{GammaFamily, ObjectiveKind, Path, Target};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::params::{EnergyName, Params, Source, TargetName};

/// The "no data" figure's energy as the engine's `netsStart` reads it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnergyRun {
    /// The target whose exact density is the energy.
    pub target: TargetSpec,
    /// The time of that density.
    pub at: f64,
    /// The seed of the transport and of its training walkers.
    pub seed: u32,
}

/// The network of the shipped checkpoint (`assets/checkerboard.ckpt`): units per hidden layer …
const SHIPPED_WIDTH: usize = 128;
/// … and hidden layers.
const SHIPPED_DEPTH: usize = 3;

impl Params {
    /// The schedule by its stable names, as the engine reads it.
    pub fn schedule_spec(&self) -> ScheduleSpec {
        ScheduleSpec::from(&self.schedule)
    }

    /// The target as a run names it: by name, with the points of a drawing.
    pub fn target_spec(&self) -> TargetSpec {
        TargetSpec::from(&self.target())
    }

    /// The training run these settings call for: what a reader can change (objective, network,
    /// batch, rate, seed, schedule, target, pairing); the engine adds its live defaults.
    pub fn run_config(&self) -> LiveRun {
        LiveRun {
            objective: self.objective(),
            width: self.width,
            depth: self.depth,
            batch: self.batch,
            lr: self.lr,
            seed: self.seed,
            schedule: self.schedule_spec(),
            target: self.target_spec(),
            coupling: self.training_coupling(),
        }
    }

    /// The "no data" figure's run as the engine reads it (`netsStart`): the energy −log ρ(at, x)
    /// of a target at a time `at` of the linear path (the checkerboard blurred to t = 0.9, where
    /// its squares are flat and nearly disconnected; every other target nearly sharp, 0.99).
    pub fn energy_run(&self) -> EnergyRun {
        let target = match self.energy {
            EnergyName::Gmm => Target::Gmm,
            EnergyName::Rings => Target::Rings,
            EnergyName::Checkerboard => Target::Checkerboard,
            EnergyName::Target => self.target(),
        };
        EnergyRun {
            target: TargetSpec::from(&target),
            at: interplay_core::annealing::energy_time(&target),
            seed: self.seed as u32,
        }
    }

    /// The "no data" figure's energy as its density e^{−U} on an `n × n` grid of
    /// [−`half`, `half`]², row-major, top row first: the picture its walkers are drawn over.
    pub fn energy_density(&self, n: usize, half: f64) -> Result<Vec<f32>, String> {
        let e = self.energy_run();
        let energy = Energy::of(&e.target.target()?, e.at)?;
        let cell = 2.0 * half / n as f64;
        let mut out = Vec::with_capacity(n * n);
        for row in 0..n {
            let y = half - (row as f64 + 0.5) * cell;
            for col in 0..n {
                let x = -half + (col as f64 + 0.5) * cell;
                out.push((-energy.value([x, y])).exp() as f32);
            }
        }
        Ok(out)
    }

    /// What the engine's run depends on: the run these settings call for, without the schedule
    /// for the schedule-free model (which serves every schedule).
    pub fn run_key(&self) -> Value {
        let mut key = serde_json::to_value(self.run_config()).unwrap_or_default();
        if self.source == Source::ScheduleFree {
            key["schedule"] = Value::Null;
        }
        key
    }

    /// Whether the shipped checkpoint (a schedule-free D of the page's network on the
    /// checkerboard) is a model of these settings.
    pub fn shipped_model_fits(&self) -> bool {
        self.source == Source::ScheduleFree
            && self.target == TargetName::Checkerboard
            && self.width == SHIPPED_WIDTH
            && self.depth == SHIPPED_DEPTH
    }

    /// What the settings show besides the views' pictures: the Lagrangian panels on screen and
    /// the notes and controls that apply, for the page to show or hide as they are.
    pub fn panels(&self) -> Panels {
        let [ode, sde] = self.shown();
        let s = &self.schedule;
        Panels {
            ode,
            sde,
            coupling: self.source != Source::ScheduleFree,
            coupling_note: self.training_coupling() == Coupling::Ot,
            path_note: s.path == Path::OneSidedLinear
                && s.gamma != GammaFamily::Zero
                && s.gamma_scale > 0.0,
        }
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

/// What [`Params::panels`] says the page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Panels {
    /// The ODE's particle panel.
    pub ode: bool,
    /// The SDE's particle panel.
    pub sde: bool,
    /// Whether the pairing of x0 and x1 applies: it trains b and s only (the schedule-free D
    /// learns E[x1 | x1 + λξ] and has no x0 to pair).
    pub coupling: bool,
    /// The note on minibatch OT, where it trains.
    pub coupling_note: bool,
    /// The note that a one-sided linear path with latent noise is a two-sided one.
    pub path_note: bool,
}

/// The parameter changes that show a run of the settings `run` (a loaded checkpoint's, from
/// the engine): its source, network, batch, rate and seed, its target (a drawing by its points;
/// a point set has no parameter and is left as it is) and, for b and s, its pairing and schedule
/// (the schedule-free model serves every schedule).
pub fn adopt_changes(run: &LiveRun) -> Result<Map<String, Value>, String> {
    let sf = run.objective == ObjectiveKind::ScheduleFree;
    let mut change = Map::new();
    let mut put = |k: &str, v: Value| {
        change.insert(k.into(), v);
    };
    put(
        "source",
        json!(if sf { "schedule-free" } else { "learned" }),
    );
    put("width", json!(run.width));
    put("depth", json!(run.depth));
    put("batch", json!(run.batch));
    put("lr", json!(run.lr));
    put("seed", json!(run.seed));
    match run.target.target()? {
        Target::Drawn(points) => {
            put("target", json!("drawn"));
            put("drawn", json!(encode_points(&points)));
        }
        Target::Points(_) => {}
        other => put("target", json!(other.name())),
    }
    if !sf {
        put("coupling", json!(run.coupling.name()));
        let s = &run.schedule;
        put("path", json!(s.path.name()));
        put("gamma", json!(s.gamma.name()));
        put("alphaExp", json!(s.alpha_exp));
        put("betaExp", json!(s.beta_exp));
        put("gammaScale", json!(s.gamma_scale));
    }
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_from_the_settings_reads_back_as_the_same_settings() {
        // A b-and-s run on a drawing with a non-default schedule and minibatch OT: the run the
        // page asks the engine for, adopted again, gives the same settings.
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
            ("coupling", json!("ot")),
        ] {
            change.insert(k.into(), v);
        }
        let p = Params::default().apply(&change).expect("valid settings");
        let live = p.run_config();
        assert_eq!(live.objective, ObjectiveKind::Denoiser);
        assert_eq!(live.schedule.alpha_exp, 1.5);
        assert!(live.target.points.as_ref().is_some_and(|a| !a.is_empty()));
        let back = Params::default()
            .apply(&adopt_changes(&live).expect("adoptable"))
            .expect("valid");
        let mut again = back.run_config();
        // The drawing comes back as its code, whose points are rounded to the code's grid.
        let (a, b) = (
            again.target.points.clone().unwrap_or_default(),
            live.target.points.clone().unwrap_or_default(),
        );
        assert_eq!(a.len(), b.len());
        assert!(
            a.iter()
                .zip(&b)
                .all(|(p, q)| (p[0] - q[0]).abs() < 5e-3 && (p[1] - q[1]).abs() < 5e-3)
        );
        again.target = live.target.clone();
        assert_eq!(again, live);
        assert_eq!(back.schedule(), p.schedule());
        // A run whose target cannot be shown is refused with a reason.
        let bad = LiveRun {
            target: TargetSpec {
                name: "donut".into(),
                points: None,
                line: None,
            },
            ..live
        };
        let err = adopt_changes(&bad).expect_err("an unknown target");
        assert!(err.contains("donut"), "{err}");
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
        assert_eq!(p.panels().ode, p.shown()[0]);
    }

    #[test]
    fn the_pairing_applies_to_b_and_s_and_the_notes_follow_the_settings() {
        let set = |pairs: Value| {
            Params::default()
                .apply(&serde_json::from_value(pairs).expect("a map"))
                .expect("valid")
        };
        let ot = set(json!({"source": "learned", "coupling": "ot"}));
        assert!(ot.panels().coupling && ot.panels().coupling_note);
        let sf = set(json!({"source": "schedule-free", "coupling": "ot"}));
        assert!(!sf.panels().coupling && !sf.panels().coupling_note);
        let noisy =
            set(json!({"path": "one-sided-linear", "gamma": "brownian", "gammaScale": 0.5}));
        assert!(noisy.panels().path_note);
        let plain = set(json!({"path": "one-sided-linear", "gamma": "zero"}));
        assert!(!plain.panels().path_note);
    }
}
