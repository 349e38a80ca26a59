//! `interplay train --objective flow-map`, `interplay sample --model FM.ckpt --steps K` and
//! `interplay error --model FM.ckpt`, end to end on a tiny network, and their refusals: a map is
//! refused by name where a velocity model is expected, and the other way round.

mod common;
use common::{interplay, stderr, tmp};

const TINY: [&str; 12] = [
    "--width",
    "16",
    "--depth",
    "1",
    "--batch",
    "64",
    "--steps",
    "20",
    "--fourier",
    "1",
    "--spatial",
    "2",
];

fn refused(args: &[&str], says: &str) {
    let o = interplay(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
}

fn train(name: &str, extra: &[&str]) -> String {
    let ck = tmp(name);
    let ck_s = ck.to_str().expect("utf-8").to_owned();
    let mut args = vec![
        "train",
        "--objective",
        "flow-map",
        "--target",
        "gmm",
        "--out",
        &ck_s,
    ];
    args.extend_from_slice(&TINY);
    args.extend_from_slice(extra);
    let o = interplay(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("trained 20 steps") && out.contains("loss_diagonal"),
        "{out}"
    );
    let bytes = std::fs::read(&ck).expect("checkpoint written");
    assert!(bytes.starts_with(b"IPLYFMAP"));
    ck_s
}

#[test]
fn train_a_flow_map_sample_it_in_k_jumps_and_hold_it_against_the_exact_map() {
    let ck = train("fm.ckpt", &[]);
    for (k, flag) in [("1", "--steps"), ("4", "--steps"), ("2", "--euler-steps")] {
        let samples = tmp(&format!("fm{k}{flag}.csv"));
        let s = samples.to_str().expect("utf-8");
        let o = interplay(&["sample", "--model", &ck, flag, k, "--n", "300", "--out", s]);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = std::fs::read_to_string(&samples).expect("samples");
        assert_eq!(text.lines().count(), 301);
    }
    // The same starts and K give the same samples.
    let again = tmp("fm-again.csv");
    let o = interplay(&[
        "sample",
        "--model",
        &ck,
        "--steps",
        "1",
        "--n",
        "300",
        "--out",
        again.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&again).expect("again"),
        std::fs::read(tmp("fm1--steps.csv")).expect("first")
    );

    let o = interplay(&[
        "error",
        "--model",
        &ck,
        "--n",
        "200",
        "--times",
        "0.25,0.5,0.75",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(json["kind"], "flow-map");
    assert_eq!(json["distill"], "lagrangian");
    // The grid is the start, the times and 1 − δ: 5 times, 10 cells s < t.
    assert_eq!(json["grid"].as_array().expect("grid").len(), 5);
    let cells = json["cells"].as_array().expect("cells");
    assert_eq!(cells.len(), 10);
    for c in cells {
        let (s, t, e) = (c["s"].as_f64(), c["t"].as_f64(), c["error"].as_f64());
        assert!(s < t && e.is_some_and(|e| e.is_finite() && e >= 0.0), "{c}");
    }
    assert!(json["worst"]["error"].as_f64().is_some());
    assert_eq!(json["tangent"].as_array().expect("tangent").len(), 3);
    let rows = json["few_step"].as_array().expect("few-step rows");
    assert_eq!(
        rows.iter()
            .map(|r| r["k"].as_u64().unwrap_or(0))
            .collect::<Vec<_>>(),
        [1, 2, 4, 8]
    );
    assert!(rows.iter().all(|r| {
        r["map"]["tv"]
            .as_f64()
            .is_some_and(|v| (0.0..=1.0).contains(&v))
    }));
}

#[test]
fn the_progressive_rule_trains_is_recorded_and_resumes() {
    let ck = train("fm-progressive.ckpt", &["--distill", "progressive"]);
    // Resumed without --distill, the run keeps its rule and counts on from its steps.
    let more = tmp("fm-progressive-more.ckpt");
    let more_s = more.to_str().expect("utf-8");
    let mut args = vec![
        "train",
        "--objective",
        "flow-map",
        "--target",
        "gmm",
        "--resume",
        &ck,
        "--out",
        more_s,
    ];
    args.extend_from_slice(&TINY);
    let o = interplay(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = interplay(&["error", "--model", more_s, "--n", "100", "--times", "0.5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(json["distill"], "progressive");
    assert_eq!(json["steps_trained"], 40);
}

#[test]
fn maps_and_velocity_models_are_refused_where_the_other_is_expected() {
    let ck = train("fm-refuse.ckpt", &[]);
    let out = tmp("fm-refuse.csv");
    let o = out.to_str().expect("utf-8");
    // A map has no velocity field for the commands that need one, and says so by name.
    refused(&["straightness", "--model", &ck], "holds a flow map");
    refused(
        &[
            "train",
            "--objective",
            "schedule-free",
            "--resume",
            &ck,
            "--out",
            o,
        ],
        "holds a flow map",
    );
    // A map samples with jumps, not with an SDE or another solver.
    refused(
        &["sample", "--model", &ck, "--eps", "0.5", "--out", o],
        "flow map",
    );
    refused(
        &["sample", "--model", &ck, "--solver", "heun", "--out", o],
        "flow map",
    );
    refused(
        &["sample", "--model", &ck, "--delta", "0.01", "--out", o],
        "ends at t = 1",
    );
    assert!(!out.exists(), "no output after a refusal");
    // A velocity model where a map is expected.
    let vel = tmp("fm-vel.ckpt");
    let v = vel.to_str().expect("utf-8");
    let mut args = vec!["train", "--objective", "schedule-free", "--out", v];
    args.extend_from_slice(&TINY);
    assert!(interplay(&args).status.success());
    let mut args = vec![
        "train",
        "--objective",
        "flow-map",
        "--resume",
        v,
        "--out",
        o,
    ];
    args.extend_from_slice(&TINY);
    refused(&args, "not a flow-map checkpoint");
    // --distill belongs to the flow map.
    refused(
        &[
            "train",
            "--objective",
            "schedule-free",
            "--distill",
            "lagrangian",
            "--out",
            o,
        ],
        "--distill is how --objective flow-map",
    );
    refused(
        &[
            "train",
            "--objective",
            "flow-map",
            "--target",
            "line:gmm",
            "--out",
            o,
        ],
        "in the plane",
    );
}
