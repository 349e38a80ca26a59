//! `interplay nets`: annealed walkers with and without a learned transport, end to end on a short
//! run, and its refusals.

mod common;
use common::{interplay, stderr, tmp};

#[test]
fn nets_scores_annealing_and_the_learned_transport_against_the_exact_normalisation() {
    let o = interplay(&[
        "nets",
        "--target",
        "gmm",
        "--eps",
        "1",
        "--walkers",
        "500",
        "--steps",
        "40",
        "--train-steps",
        "60",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let exact = json["exact_log_z"].as_f64().expect("exact log Z");
    assert!((exact + (2.0 * std::f64::consts::PI).ln()).abs() < 1e-12);
    for arm in ["annealing", "learned"] {
        let ess = json[arm]["ess"].as_f64().expect("ESS");
        assert!(ess > 0.0 && ess <= 1.0, "{arm}: {ess}");
        let err = json[arm]["log_z_error"].as_f64().expect("log Z error");
        assert!(err.is_finite(), "{arm}: {err}");
        let tv = json[arm]["tv_16"].as_f64().expect("TV");
        assert!((0.0..=1.0).contains(&tv), "{arm}: {tv}");
    }
    assert_eq!(json["train_steps"], 60);
}

#[test]
fn nets_refuses_what_it_cannot_sample() {
    for (args, says) in [
        (vec!["nets", "--target", "gmm"], "--eps"),
        (vec!["nets", "--eps", "1", "--at", "1"], "--at 1"),
        (
            vec!["nets", "--eps", "1", "--target", "line:gmm"],
            "in the plane",
        ),
        (vec!["nets", "--eps", "1", "--walkers", "0"], "at least 1"),
    ] {
        let o = interplay(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
}

/// The three numbers `sample-energy` prints: ESS, the log Z estimate and its exact value.
fn printed(o: &std::process::Output) -> (f64, f64, f64) {
    let text = String::from_utf8_lossy(&o.stdout);
    let word = |i: usize| -> Vec<String> {
        text.lines()
            .nth(i)
            .unwrap_or_default()
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '(' || c == ')').to_owned())
            .collect()
    };
    let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    let (ess, log_z) = (word(0), word(1));
    assert_eq!(
        (ess[0].as_str(), log_z[0].as_str(), log_z[2].as_str()),
        ("ess", "log_z", "exact"),
        "{text}"
    );
    (num(&ess[1]), num(&log_z[1]), num(&log_z[3]))
}

#[test]
fn a_transport_trains_to_a_checkpoint_that_sample_energy_and_eval_read() {
    let ck = tmp("gmm-nets.ckpt");
    let o = interplay(&[
        "train",
        "--objective",
        "nets",
        "--energy",
        "gmm",
        "--steps",
        "300",
        "--width",
        "64",
        "--depth",
        "2",
        "--spatial",
        "3",
        "--out",
        ck.to_str().unwrap_or_default(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&ck).unwrap_or_default().get(..8),
        Some(&b"IPLYNETS"[..])
    );
    let csv = |name: &str| tmp(name).to_str().unwrap_or_default().to_owned();
    let (with, without) = (csv("learned.csv"), csv("alone.csv"));
    let run = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "sample-energy",
            "--model",
            ck.to_str().unwrap_or_default(),
            "--n",
            "1500",
            "--steps",
            "60",
            "--seed",
            "2",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        let o = interplay(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        printed(&o)
    };
    let (ess_l, log_z_l, exact) = run(&with, &[]);
    let (ess_a, _, _) = run(&without, &["--no-drift"]);
    assert!(
        (exact + (2.0 * std::f64::consts::PI).ln()).abs() < 1e-3,
        "{exact}"
    );
    assert!(
        ess_l > 0.3 && ess_l > 5.0 * ess_a,
        "ESS {ess_l} with the drift, {ess_a} without"
    );
    assert!(
        (log_z_l - exact).abs() < 0.3,
        "log Z {log_z_l} against {exact}"
    );
    let text = std::fs::read_to_string(&with).unwrap_or_default();
    assert!(
        text.starts_with("x,y,log_w\n"),
        "{}",
        &text[..40.min(text.len())]
    );
    assert_eq!(text.lines().count(), 1501);
    // eval weighs the walkers by their log-weights: the weighted ESS is the one printed.
    let o = interplay(&["eval", &with, "--target", "gmm"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let ess = json["weighted"]["ess"].as_f64().unwrap_or(f64::NAN);
    assert!(
        (ess - ess_l).abs() < 1e-3,
        "eval's ESS {ess}, sample-energy's {ess_l}"
    );
    assert!(
        json["weighted"]["tv"].as_f64().unwrap_or(1.0) < 0.3,
        "{json}"
    );
    assert!(
        json["in_support"].as_f64().is_some() && json["n"] == 1500,
        "{json}"
    );
    // Each loader names a checkpoint of the wrong kind.
    let o = interplay(&[
        "sample",
        "--model",
        ck.to_str().unwrap_or_default(),
        "--out",
        &csv("x.csv"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("transport learned by NETS") && stderr(&o).contains("sample-energy"),
        "{}",
        stderr(&o)
    );
    let velocity = tmp("velocity.ckpt");
    let o = interplay(&[
        "train",
        "--objective",
        "velocity-score",
        "--steps",
        "2",
        "--width",
        "16",
        "--depth",
        "1",
        "--batch",
        "64",
        "--out",
        velocity.to_str().unwrap_or_default(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = interplay(&[
        "sample-energy",
        "--model",
        velocity.to_str().unwrap_or_default(),
        "--out",
        &csv("y.csv"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("a velocity or score model"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn train_nets_and_sample_energy_refuse_what_they_cannot_do() {
    let out = tmp("never.ckpt");
    let out = out.to_str().unwrap_or_default();
    for (args, says) in [
        (
            vec!["train", "--objective", "nets", "--out", out],
            "--energy",
        ),
        (
            vec![
                "train",
                "--objective",
                "nets",
                "--energy",
                "volcano",
                "--out",
                out,
            ],
            "volcano",
        ),
        (
            vec![
                "train",
                "--objective",
                "nets",
                "--energy",
                "gmm",
                "--at",
                "1",
                "--out",
                out,
            ],
            "(0, 1)",
        ),
        (
            vec![
                "train",
                "--objective",
                "nets",
                "--energy",
                "line:gmm",
                "--out",
                out,
            ],
            "plane",
        ),
        (
            vec![
                "train",
                "--objective",
                "nets",
                "--energy",
                "gmm",
                "--second",
                "rings",
                "--out",
                out,
            ],
            "--second",
        ),
        (
            vec![
                "sample-energy",
                "--model",
                "/nonexistent.ckpt",
                "--out",
                out,
            ],
            "cannot read",
        ),
        (
            vec!["sample-energy", "--model", out, "--eps", "0", "--out", out],
            "--eps",
        ),
    ] {
        let o = interplay(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    assert!(!std::path::Path::new(out).exists());
}
