//! A flow map in the engine, through the page's contract: it trains like any run, draws its K
//! jumps beside the exact ODE from the same starts, fills in its (s, t) error grid one row per
//! request, saves and reloads, and every request of the wrong kind is refused in words.

use interplay_core::ExactTarget;
use interplay_core::sampling::initial_particles;
use interplay_engine::protocol::{MapErrors, MapJumps};
use interplay_engine::{EngineError, Response};
use interplay_nn::device::Backend;
use interplay_nn::flow_map::MapCheckpoint;
use interplay_nn::read_values;
use interplay_nn::sampler::points_tensor;
use serde_json::json;

mod common;
use common::*;

fn jumps(r: Result<Response, EngineError>) -> MapJumps {
    match r {
        Ok(Response::MapJumps(m)) => m,
        other => panic!("mapJumps: {other:?}"),
    }
}

fn errors(r: Result<Response, EngineError>) -> MapErrors {
    match r {
        Ok(Response::MapErrors(e)) => e,
        other => panic!("mapErrors: {other:?}"),
    }
}

fn refused(r: Result<Response, EngineError>, says: &str) {
    match r {
        Err(e) => assert!(e.to_string().contains(says), "'{e}' does not say '{says}'"),
        Ok(r) => panic!("expected a refusal saying '{says}', got {r:?}"),
    }
}

#[test]
fn a_flow_map_trains_and_jumps_beside_the_exact_ode() {
    let s = configured("flow-map");
    let r = trained(&s, 3);
    let names: Vec<&str> = r.losses.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["diagonal", "lagrangian"]);
    assert!(r.losses.iter().all(|(_, v)| v.is_finite()), "{r:?}");
    assert_eq!(r.loss_b, Some(r.losses[0].1), "the diagonal regresses b");

    for k in [1u32, 2, 4, 8] {
        let m = jumps(ask(&s, "mapJumps", json!({"k": k, "n": 40, "seed": 3})));
        assert_eq!((m.k, m.n, m.times.len()), (k, 40, k as usize + 1));
        assert_eq!(m.times[0], 0.0);
        assert!(
            (m.times[k as usize] - (1.0 - 1e-3)).abs() < 1e-12,
            "{:?}",
            m.times
        );
        assert!(m.times.windows(2).all(|w| w[0] < w[1]));
        let per = 2 * 40;
        assert_eq!(m.learned.len(), per * (k as usize + 1));
        assert_eq!(m.exact.len(), m.learned.len());
        // The same starting points on both sides.
        assert_eq!(m.learned[..per], m.exact[..per]);
        assert!(m.learned.iter().all(|v| v.is_finite()));
        // The exact ODE lands in the squares; three steps of a tiny map do not.
        assert!(m.in_squares[1] > 0.9, "{:?}", m.in_squares);
        assert!((0.0..=1.0).contains(&m.in_squares[0]));
        assert_eq!((m.generation, m.model_steps), (1, 3));
    }
    // One exact solve serves every K: the ODE's end is the same whatever K.
    let one = jumps(ask(&s, "mapJumps", json!({"k": 1, "n": 40, "seed": 3})));
    let eight = jumps(ask(&s, "mapJumps", json!({"k": 8, "n": 40, "seed": 3})));
    assert_eq!(one.exact[80..], eight.exact[8 * 80..]);
    // Another seed, other starts.
    let other = jumps(ask(&s, "mapJumps", json!({"k": 1, "n": 40, "seed": 4})));
    assert_ne!(other.exact[..80], one.exact[..80]);
}

#[test]
fn the_error_grid_fills_in_one_row_per_request() {
    let s = configured("flow-map");
    trained(&s, 2);
    let mut cells = Vec::new();
    for _ in 0..10 {
        let e = errors(ask(&s, "mapErrors", json!({})));
        assert_eq!(e.times.len(), 9);
        assert_eq!(e.s.len(), e.error.len());
        assert!(e.s.iter().zip(&e.t).all(|(s, t)| s < t));
        assert!(e.error.iter().all(|v| v.is_finite() && *v >= 0.0));
        assert!(e.moved.iter().all(|v| *v > 0.0));
        cells.push(e.s.len());
    }
    // Rows of 8, 7, …, 1 cells, then the whole triangle of 36.
    assert_eq!(cells, [8, 15, 21, 26, 30, 33, 35, 36, 36, 36]);
}

#[test]
fn training_brings_the_map_towards_the_exact_one() {
    let s = configured("flow-map");
    let mean = |e: &MapErrors| e.error.iter().sum::<f64>() / e.error.len() as f64;
    let before = errors(ask(&s, "mapErrors", json!({})));
    trained(&s, 300);
    let after = errors(ask(&s, "mapErrors", json!({})));
    // The same first row (the second request adds the second row: compare the first 8 cells).
    let first = |e: &MapErrors| MapErrors {
        s: e.s[..8].to_vec(),
        t: e.t[..8].to_vec(),
        error: e.error[..8].to_vec(),
        moved: e.moved[..8].to_vec(),
        ..e.clone()
    };
    let (b, a) = (mean(&first(&before)), mean(&first(&after)));
    assert!(
        a < 0.8 * b,
        "E|X̂ − X| on the first row: {b:.3} before, {a:.3} after"
    );
}

#[test]
fn a_map_checkpoint_holds_the_map_drawn_and_the_wrong_kinds_are_refused() {
    let s = configured("flow-map");
    trained(&s, 4);
    let Ok(Response::Checkpoint(bytes)) = ask(&s, "checkpoint", json!({})) else {
        panic!("checkpoint");
    };
    assert_eq!(&bytes[..8], b"IPLYFMAP");
    let want = jumps(ask(&s, "mapJumps", json!({"k": 2, "n": 30, "seed": 1})));

    // A field engine refuses the map by name and keeps its run.
    let fields = configured("velocity-score");
    trained(&fields, 2);
    refused(
        ask(&fields, "load", json!({"bytes": bytes.clone()})),
        "flow map",
    );
    assert_eq!(fields.borrow().steps(), 2);
    refused(
        ask(&fields, "mapJumps", json!({"k": 1, "n": 10, "seed": 1})),
        "not a flow map",
    );
    refused(ask(&fields, "mapErrors", json!({})), "not a flow map");

    // The bytes are the map the engine drew: natively, the same jumps from the same starts.
    let ck = MapCheckpoint::from_bytes(&bytes).expect("a flow-map checkpoint");
    assert_eq!(ck.header.steps, 4);
    let device = Backend::cpu(None).device;
    let map = ck.field(&device).expect("its map");
    let target = ExactTarget::new(&ck.target().expect("its target"));
    let x0 = initial_particles(&map.schedule, &target, 30, 1);
    let mut x = points_tensor(&x0, &device);
    let mut got = pollster::block_on(read_values(x.clone())).expect("read");
    for w in map.grid(2).windows(2) {
        x = map.jump(w[0], w[1], x);
        got.extend(pollster::block_on(read_values(x.clone())).expect("read"));
    }
    assert_eq!(got, want.learned);
    let fresh = configured("flow-map");

    // A map has no field views, and K is one of 1, 2, 4, 8.
    refused(
        ask(
            &fresh,
            "sample",
            json!({"n": 4, "steps": 2, "eps": 0, "seed": 1, "schedule": schedule()}),
        ),
        "flow map",
    );
    for k in [0, 3, 16] {
        refused(
            ask(&fresh, "mapJumps", json!({"k": k, "n": 10, "seed": 1})),
            "1, 2, 4 or 8",
        );
    }
    // Its run, as `interplay train --config` reads it.
    let Ok(Response::RunConfig(text)) = ask(&fresh, "runConfig", json!({})) else {
        panic!("runConfig");
    };
    let rc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(rc["train"]["objective"], "flow-map");
    assert_eq!(rc["train"]["t_power"], 1.0);
}
