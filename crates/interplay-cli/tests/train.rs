//! `interplay train`, `sample --model` and `field --model` end to end, on tiny networks.

mod common;
use common::{interplay, stderr, tmp};

const TINY: [&str; 8] = [
    "--width", "16", "--depth", "1", "--batch", "64", "--steps", "30",
];

#[test]
fn train_then_sample_and_field_with_the_model() {
    let ck = tmp("m.ckpt");
    let ck_s = ck.to_str().expect("utf-8");
    let mut args = vec!["train", "--objective", "velocity-score", "--out", ck_s];
    args.extend_from_slice(&TINY);
    let o = interplay(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("trained 30 steps") && out.contains("loss_b") && out.contains("loss_s"),
        "{out}"
    );
    // Piped, the progress comes as plain lines.
    assert!(stderr(&o).contains("step 30/30"), "{}", stderr(&o));
    let bytes = std::fs::read(&ck).expect("checkpoint written");
    assert!(bytes.starts_with(b"IPLYCKPT"));

    let samples = tmp("ms.csv");
    let o = interplay(&[
        "sample",
        "--model",
        ck_s,
        "--n",
        "300",
        "--steps",
        "20",
        "--out",
        samples.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&samples)
            .expect("samples")
            .lines()
            .count(),
        301
    );
    let o = interplay(&[
        "sample",
        "--model",
        ck_s,
        "--n",
        "300",
        "--steps",
        "20",
        "--solver",
        "em",
        "--eps",
        "0.5",
        "--out",
        samples.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    let pts = tmp("pts.csv");
    std::fs::write(&pts, "x,y\n0.3,-0.7\n1,2\n").expect("write");
    for kind in ["velocity", "score", "posterior-mean", "density"] {
        let f = tmp(&format!("f-{kind}.csv"));
        let o = interplay(&[
            "field",
            "--model",
            ck_s,
            "--kind",
            kind,
            "--t",
            "0.5",
            "--points",
            pts.to_str().expect("utf-8"),
            "--out",
            f.to_str().expect("utf-8"),
        ]);
        assert!(o.status.success(), "{kind}: {}", stderr(&o));
        assert_eq!(
            std::fs::read_to_string(&f).expect("field").lines().count(),
            3
        );
    }

    // Resume with the same architecture continues the step count; another width is refused.
    let ck2 = tmp("m2.ckpt");
    let mut args = vec![
        "train",
        "--objective",
        "velocity-score",
        "--resume",
        ck_s,
        "--out",
        ck2.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(&TINY);
    let o = interplay(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = interplay(&[
        "train",
        "--objective",
        "velocity-score",
        "--resume",
        ck_s,
        "--width",
        "32",
        "--depth",
        "1",
        "--steps",
        "5",
        "--out",
        ck2.to_str().expect("utf-8"),
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("--resume") && stderr(&o).contains("16"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_models_and_flags_are_refused_with_a_reason() {
    let out = tmp("never.csv");
    let o_s = out.to_str().expect("utf-8");
    let bad = tmp("bad.ckpt");
    std::fs::write(&bad, b"IPLYCKPT\x01\x00\x00\x00\xff\xff").expect("write");
    let o = interplay(&[
        "sample",
        "--model",
        bad.to_str().expect("utf-8"),
        "--n",
        "10",
        "--out",
        o_s,
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("--model") && stderr(&o).contains("truncated"),
        "{}",
        stderr(&o)
    );
    std::fs::write(&bad, b"not a checkpoint at all").expect("write");
    let o = interplay(&[
        "sample",
        "--model",
        bad.to_str().expect("utf-8"),
        "--n",
        "10",
        "--out",
        o_s,
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("not an Interplay checkpoint"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    let ck = tmp("never.ckpt");
    let o = interplay(&[
        "train",
        "--objective",
        "magic",
        "--out",
        ck.to_str().expect("utf-8"),
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("--objective"),
        "{}",
        stderr(&o)
    );
    let o = interplay(&[
        "train",
        "--width",
        "0",
        "--out",
        ck.to_str().expect("utf-8"),
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("width"),
        "{}",
        stderr(&o)
    );
    let o = interplay(&[
        "sample",
        "--exact",
        "--model",
        bad.to_str().expect("utf-8"),
        "--out",
        o_s,
    ]);
    assert!(
        !o.status.success(),
        "--exact and --model together must be refused"
    );
    assert!(!ck.exists() && !out.exists());
}

#[test]
fn a_run_configuration_file_reproduces_a_run() {
    let cfg = tmp("run.json");
    std::fs::write(
        &cfg,
        r#"{"train": {"objective": "schedule-free", "net": {"width": 16, "depth": 1, "activation": "tanh", "fourier": 1, "spatial": 2},
            "batch": 64, "lr": 0.003, "decay": {"kind": "constant"}, "t_min": 0.001, "seed": 7},
           "schedule": {"path": "trig", "gamma": "brownian", "alpha_exp": 1.0, "beta_exp": 1.0, "gamma_scale": 0.5},
           "target": {"name": "moons"}, "steps": 12}"#,
    )
    .expect("write");
    let (a, b) = (tmp("a.ckpt"), tmp("b.ckpt"));
    for ck in [&a, &b] {
        let o = interplay(&[
            "train",
            "--config",
            cfg.to_str().expect("utf-8"),
            "--out",
            ck.to_str().expect("utf-8"),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("trained 12 steps"));
    }
    assert_eq!(
        std::fs::read(&a).expect("a"),
        std::fs::read(&b).expect("b"),
        "same config and seed, same bytes"
    );
    std::fs::write(&cfg, r#"{"train": {}}"#).expect("write");
    let o = interplay(&[
        "train",
        "--config",
        cfg.to_str().expect("utf-8"),
        "--out",
        a.to_str().expect("utf-8"),
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("--config"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_shipped_checkpoint_still_draws_the_checkerboard() {
    // Pins the network's input layout (feature order) that assets/checkerboard.ckpt was made
    // with: a change to it would load fine and sample garbage.
    let ck = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/checkerboard.ckpt"
    );
    let samples = tmp("shipped.csv");
    let s = samples.to_str().expect("utf-8");
    let o = interplay(&[
        "sample", "--model", ck, "--n", "2000", "--steps", "40", "--out", s,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = interplay(&["eval", s]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("eval prints JSON");
    let inside = json["in_support"].as_f64().unwrap_or(0.0);
    assert!(inside > 0.95, "in-support {inside}");
    // Dopri5 runs on the exact fields only: asked for a model, it is refused by name (it used
    // to run RK4 instead without a word).
    let o = interplay(&[
        "sample", "--model", ck, "--n", "10", "--solver", "dopri5", "--out", s,
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("dopri5") && stderr(&o).contains("rk4"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn error_reports_the_relative_velocity_and_score_error_of_a_model() {
    let ck = tmp("err.ckpt");
    let ck_s = ck.to_str().expect("utf-8");
    let mut args = vec!["train", "--objective", "velocity-score", "--out", ck_s];
    args.extend_from_slice(&TINY);
    assert!(interplay(&args).status.success());
    let o = interplay(&["error", "--model", ck_s, "--n", "300"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(j["t"].as_array().expect("t").len(), 5);
    for k in ["b_relative_l2", "s_relative_l2"] {
        let v = j[k].as_array().expect(k);
        // A 30-step network is far from the exact field, but finite and positive.
        assert!(
            v.len() == 5
                && v.iter()
                    .all(|e| e.as_f64().is_some_and(|e| e > 0.0 && e.is_finite())),
            "{j}"
        );
    }
    // The SDE's KL bound: positive integrals and their minimiser √(A/C).
    let bound = &j["eps_bound"];
    let (a, c) = (
        bound["a"].as_f64().expect("a"),
        bound["c"].as_f64().expect("c"),
    );
    assert!(a > 0.0 && c > 0.0, "{j}");
    let best = bound["best_eps"].as_f64().expect("best_eps");
    assert!((best - (a / c).sqrt()).abs() < 1e-9 * best, "{j}");
    let o = interplay(&["error", "--model", ck_s, "--times", "0.5,1"]);
    assert!(
        !o.status.success() && stderr(&o).contains("--times"),
        "{}",
        stderr(&o)
    );
    let o = interplay(&["error", "--model", "/nonexistent.ckpt"]);
    assert!(
        !o.status.success() && stderr(&o).contains("--model"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_time_to_quality_benchmark_trains_samples_and_scores() {
    // Not a timed test: a smoke run of `interplay bench --time-to-quality` on tiny budgets.
    let o = interplay(&[
        "bench",
        "--time-to-quality",
        "--budgets",
        "0.2,0.4",
        "--objectives",
        "velocity-score,schedule-free",
        "--samples",
        "200",
        "--sample-steps",
        "5",
        "--set",
        "net.width=16",
        "--set",
        "batch=64",
        "--train-threads",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("| velocity-score") || l.starts_with("| schedule-free"))
        .collect();
    assert_eq!(rows.len(), 4, "{out}");
    for r in rows {
        let cells: Vec<&str> = r.split('|').map(str::trim).collect();
        let steps: u64 = cells[3].parse().expect("steps");
        let in_squares: f64 = cells[5].parse().expect("in squares");
        assert!(steps > 0 && (0.0..=1.0).contains(&in_squares), "{r}");
    }
    let o = interplay(&["bench", "--time-to-quality", "--set", "nope=1"]);
    assert!(
        !o.status.success() && stderr(&o).contains("no setting 'nope'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_bad_t_power_is_refused_by_name() {
    let ck = tmp("tp.ckpt");
    let o = interplay(&[
        "train",
        "--t-power",
        "9",
        "--out",
        ck.to_str().expect("utf-8"),
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("--t-power") && !ck.exists(),
        "{}",
        stderr(&o)
    );
}

#[test]
fn few_step_sampling_and_straightness_of_a_model() {
    let ck = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/checkerboard.ckpt"
    );
    // K equal Euler steps from 0 to 1, no final jump: more steps, a sharper board.
    let samples = tmp("few.csv");
    let s = samples.to_str().expect("utf-8");
    let o = interplay(&[
        "sample",
        "--model",
        ck,
        "--n",
        "2000",
        "--euler-steps",
        "8",
        "--out",
        s,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("stability rule stopped"),
        "{}",
        stderr(&o)
    );
    let o = interplay(&["eval", s]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("eval prints JSON");
    assert!(json["in_support"].as_f64().unwrap_or(0.0) > 0.7, "{json}");
    for (flags, says) in [
        (
            vec!["--euler-steps", "0"],
            "--euler-steps must be at least 1",
        ),
        (
            vec!["--euler-steps", "2", "--eps", "0.5"],
            "--euler-steps integrates the ODE",
        ),
        (
            vec!["--euler-steps", "2", "--steps", "10"],
            "cannot be used with",
        ),
    ] {
        let bad = tmp("few-bad.csv");
        let mut args = vec!["sample", "--model", ck, "--n", "10", "--out"];
        args.push(bad.to_str().expect("utf-8"));
        args.extend_from_slice(&flags);
        let o = interplay(&args);
        assert!(
            !o.status.success() && stderr(&o).contains(says),
            "{flags:?}: {}",
            stderr(&o)
        );
        assert!(!bad.exists());
    }
    let o = interplay(&["straightness", "--model", ck, "--n", "2000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let tv: Vec<f64> = json["few_step"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["tv"].as_f64().unwrap_or(f64::NAN))
        .collect();
    assert_eq!(tv.len(), 4, "{json}");
    assert!(tv.windows(2).all(|w| w[1] < w[0]), "{tv:?}");
    let gap = json["straightness_gap"].as_f64().unwrap_or(f64::NAN);
    assert!(gap > 0.0 && json["t_end"] == 1.0, "{json}");
    assert_eq!(json["coupling"], "independent");
    // A minibatch-OT run says so.
    let ot = tmp("ot.ckpt");
    let ot_s = ot.to_str().expect("utf-8");
    let mut args = vec![
        "train",
        "--objective",
        "denoiser",
        "--coupling",
        "ot",
        "--out",
        ot_s,
    ];
    args.extend_from_slice(&TINY);
    let o = interplay(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = interplay(&[
        "straightness",
        "--model",
        ot_s,
        "--n",
        "500",
        "--euler-steps",
        "1,3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(json["coupling"], "ot");
    assert_eq!(json["few_step"][1]["steps"], 3);
}
