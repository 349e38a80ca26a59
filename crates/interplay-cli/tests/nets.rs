//! `interplay nets`: annealed walkers with and without a learned transport, end to end on a short
//! run, and its refusals.

mod common;
use common::{interplay, stderr};

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
