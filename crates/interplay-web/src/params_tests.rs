//! Tests of the parameters: good changes apply, bad ones name their key.

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
        (
            q.t,
            q.schedule.path.name(),
            q.schedule.gamma_scale,
            q.compare,
            q.particles
        ),
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
        // Numbers in messages: three significant figures.
        (
            serde_json::json!({"alphaExp": 7.123456}),
            "alphaExp = 7.12 is outside",
        ),
        (
            serde_json::json!({"path": "trig", "gamma": "sin2", "gammaScale": 1.5}),
            "γ(t) < 1",
        ),
    ] {
        let e = p.apply(&obj(bad.clone())).err().unwrap_or_default();
        assert!(e.contains(needle), "{bad}: {e}");
    }
    // Valid schedules are not refused for rounding: α = cos(πt/2)^a with a < 0.75 ends at 0.
    for path in ["trig", "one-sided-trig", "vp"] {
        for a in [0.25, 0.5, 0.7] {
            let q = p.apply(&obj(serde_json::json!({"preset": path, "alphaExp": a})));
            assert!(q.is_ok(), "{path} a = {a}: {q:?}");
        }
    }
    // Presets: every one applies; the other keys of the same call win over the preset.
    for name in PRESETS {
        let q = p.apply(&obj(serde_json::json!({"preset": name, "t": 0.2})));
        assert!(q.as_ref().is_ok_and(|q| q.t == 0.2), "{name}: {q:?}");
    }
    let q = p
        .apply(&obj(serde_json::json!({"alphaExp": 2.0, "preset": "trig"})))
        .unwrap_or_default();
    assert_eq!((q.schedule.path, q.schedule.alpha_exp), (Path::Trig, 2.0));
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

#[test]
fn the_coupling_picks_the_objective_and_keys_the_samples() {
    let p = Params::default();
    let learned = p
        .apply(&obj(
            serde_json::json!({"source": "learned", "coupling": "ot"}),
        ))
        .expect("applies");
    assert_eq!(learned.coupling, Coupling::Ot);
    // Minibatch OT trains b and s by the denoiser's losses, and says so to the engine.
    assert_eq!(learned.objective(), ObjectiveKind::Denoiser);
    assert_eq!(learned.run_config().coupling, Coupling::Ot);
    assert_eq!(
        serde_json::to_value(&learned).expect("json")["coupling"],
        "ot"
    );
    // The schedule-free D has no x0 to pair: it trains as before.
    let sf = learned
        .apply(&obj(serde_json::json!({"source": "schedule-free"})))
        .expect("applies");
    assert_eq!(
        (sf.objective(), sf.training_coupling()),
        (ObjectiveKind::ScheduleFree, Coupling::Independent)
    );
    assert_eq!(sf.run_config().coupling, Coupling::Independent);
    // The interpolant samples follow the coupling; the exact views do not depend on it.
    assert_ne!(learned.samples_key(0.5), p.samples_key(0.5));
    assert!(
        !p.particles_reset(
            &learned
                .apply(&obj(serde_json::json!({"source": "exact"})))
                .expect("ok")
        )
    );
    // Without latent noise the denoiser's score has nothing to learn from: refused, kept.
    let e = learned
        .apply(&obj(serde_json::json!({"preset": "flow-matching"})))
        .expect_err("refused");
    assert!(
        e.starts_with("minibatch OT trains b with the score from E[z | x_t]"),
        "{e}"
    );
    let e = p
        .apply(&obj(serde_json::json!({"coupling": "sinkhorn"})))
        .expect_err("refused");
    assert!(e.contains("coupling 'sinkhorn'"), "{e}");
    // A run saved with OT reads back as the same settings.
    let back = Params::default()
        .apply(&crate::run::adopt_changes(&learned.run_config()).expect("adopts"))
        .expect("applies");
    assert_eq!(
        (back.source, back.coupling),
        (Source::Learned, Coupling::Ot)
    );
}
