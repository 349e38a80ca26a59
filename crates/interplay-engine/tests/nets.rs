//! Sampling without data in the engine, through the page's contract: a run of the transport
//! sampler starts for an energy, trains, and answers walkers with the learned drift or without
//! one; the weights are a distribution, the record runs over τ from 0 to 1, the learned drift
//! keeps more of the walkers than annealing alone, and bad settings are refused in words.

use interplay_engine::protocol::NetsWalkers;
use interplay_engine::{EngineError, Response};
use serde_json::json;

mod common;
use common::*;

fn walkers(r: Result<Response, EngineError>) -> NetsWalkers {
    match r {
        Ok(Response::NetsWalkers(w)) => w,
        other => panic!("netsWalkers: {other:?}"),
    }
}

fn refused(r: Result<Response, EngineError>, says: &str) {
    match r {
        Err(e) => assert!(e.to_string().contains(says), "'{e}' does not say '{says}'"),
        Ok(r) => panic!("expected a refusal saying '{says}', got {r:?}"),
    }
}

#[test]
fn the_learned_drift_keeps_the_walkers_that_annealing_alone_loses() {
    let s = session();
    // Before a run there are no walkers to show.
    refused(
        ask(
            &s,
            "netsWalkers",
            json!({"drift": false, "eps": 1.0, "seed": 0}),
        ),
        "no training run",
    );
    let start = json!({"target": {"name": "gmm"}, "at": 0.99, "seed": 3});
    assert_eq!(
        ask(&s, "netsStart", start),
        Ok(Response::Started { generation: 1 })
    );
    let alone = walkers(ask(
        &s,
        "netsWalkers",
        json!({"drift": false, "eps": 1.0, "seed": 5}),
    ));
    let n = alone.weights.len();
    assert_eq!(alone.points.len(), 2 * n);
    let total: f64 = alone.weights.iter().map(|&w| f64::from(w)).sum();
    assert!((total - 1.0).abs() < 1e-4, "weights sum to {total}");
    assert_eq!(alone.tau.first(), Some(&0.0));
    assert_eq!(alone.tau.last(), Some(&1.0));
    assert_eq!(
        (alone.ess.len(), alone.log_z.len()),
        (alone.tau.len(), alone.tau.len())
    );
    // The film runs from τ = 0 to 1, each frame every walker's position and weight; its last
    // frame is where the walkers end.
    let frames = alone.frame_tau.len();
    assert_eq!(
        (alone.frame_tau[0], alone.frame_tau[frames - 1]),
        (0.0, 1.0)
    );
    assert_eq!(alone.frames.len(), frames * 3 * n);
    let last = &alone.frames[(frames - 1) * 3 * n..];
    assert!(
        last.chunks_exact(3)
            .zip(alone.points.chunks_exact(2))
            .all(|(f, p)| f[..2] == *p)
    );
    let first: f32 = alone.frames[..3 * n].chunks_exact(3).map(|f| f[2]).sum();
    assert!((first - 1.0).abs() < 1e-4 && (alone.frames[2] * n as f32 - 1.0).abs() < 1e-4);
    // At τ = 0 every walker weighs the same.
    assert!((alone.ess[0] - 1.0).abs() < 1e-12 && alone.log_z[0].abs() < 1e-12);
    assert!((alone.exact_log_z + (2.0 * std::f64::consts::PI).ln()).abs() < 1e-12);
    // The same seed gives the same walkers.
    let again = walkers(ask(
        &s,
        "netsWalkers",
        json!({"drift": false, "eps": 1.0, "seed": 5}),
    ));
    assert_eq!(again.points, alone.points);

    let mut steps = 0;
    while steps < 300 {
        match ask(&s, "netsTrain", json!({"ms": 200.0})) {
            Ok(Response::Trained(r)) => {
                assert!(r.done >= 1 && r.losses[0].1.is_finite(), "{r:?}");
                steps = r.steps;
            }
            other => panic!("netsTrain: {other:?}"),
        }
    }
    let learned = walkers(ask(
        &s,
        "netsWalkers",
        json!({"drift": true, "eps": 1.0, "seed": 5}),
    ));
    assert_eq!(learned.model_steps, steps);
    let (a, l) = (
        alone.ess[alone.ess.len() - 1],
        learned.ess[learned.ess.len() - 1],
    );
    assert!(
        l > 0.3 && l > 5.0 * a,
        "ESS at τ = 1: {l} with the drift after {steps} steps, {a} without"
    );
    assert!(
        learned.tv < alone.tv,
        "TV {} against {}",
        learned.tv,
        alone.tv
    );
    assert!(
        (learned.log_z.last().copied().unwrap_or(f64::NAN) - learned.exact_log_z).abs() < 0.2,
        "{:?}",
        learned.log_z.last()
    );
}

#[test]
fn bad_energies_and_noise_are_refused_and_the_run_is_kept() {
    let s = session();
    let start = json!({"target": {"name": "rings"}, "at": 0.99, "seed": 0});
    assert_eq!(
        ask(&s, "netsStart", start),
        Ok(Response::Started { generation: 1 })
    );
    refused(
        ask(
            &s,
            "netsStart",
            json!({"target": {"name": "rings"}, "at": 1.0, "seed": 0}),
        ),
        "a time in (0, 1)",
    );
    refused(
        ask(
            &s,
            "netsStart",
            json!({"target": {"name": "volcano"}, "at": 0.9, "seed": 0}),
        ),
        "volcano",
    );
    refused(
        ask(
            &s,
            "netsStart",
            json!({"target": {"name": "line", "line": "gmm"}, "at": 0.9, "seed": 0}),
        ),
        "plane",
    );
    refused(
        ask(
            &s,
            "netsWalkers",
            json!({"drift": false, "eps": 0.0, "seed": 0}),
        ),
        "Langevin noise",
    );
    // The rings' run is still there.
    let w = walkers(ask(
        &s,
        "netsWalkers",
        json!({"drift": false, "eps": 0.5, "seed": 0}),
    ));
    assert_eq!(w.generation, 1);
    // A run of fields replaces it, and its requests are then refused.
    let live = live("velocity-score", json!({"name": "checkerboard"}));
    assert_eq!(
        ask(&s, "configure", json!({"config": live})),
        Ok(Response::Started { generation: 2 })
    );
    refused(ask(&s, "netsTrain", json!({"ms": 10.0})), "no training run");
}
