//! The engine natively, through its one contract: every request is written as the JSON the page
//! sends (`{op, args}`), read into a `Request`, and answered by a `Session` on the CPU backend.

use interplay_engine::{EngineError, Request, Response, handle};
use serde_json::{Value, json};

mod common;
use common::*;

#[test]
fn a_run_trains_and_reports_its_losses_by_network() {
    let s = configured("velocity-score");
    let r = trained(&s, 3);
    assert_eq!((r.steps, r.done, r.generation), (3, 3, 1));
    let names: Vec<&str> = r.losses.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["b", "s"]);
    assert!(
        r.losses.iter().all(|(_, v)| v.is_finite() && *v > 0.0),
        "{r:?}"
    );
    // The velocity's and the score's losses by role, whatever the objective names its networks.
    assert_eq!(
        (r.loss_b, r.loss_s),
        (Some(r.losses[0].1), Some(r.losses[1].1))
    );
    for (objective, b, s) in [
        ("velocity-score", "b", "s"),
        ("denoiser", "b", "eta"),
        ("v-score", "v", "s"),
    ] {
        let r = trained(&configured(objective), 1);
        let by = |n: &str| r.losses.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
        assert_eq!((r.loss_b, r.loss_s), (by(b), by(s)), "{objective}");
    }
    let sf = trained(&configured("schedule-free"), 1);
    assert_eq!((sf.loss_b, sf.loss_s, sf.losses.len()), (None, None, 1));
    // Training for a budget takes at least one step and says how many.
    let Ok(Response::Trained(f)) = ask(&s, "trainFor", json!({"ms": 30.0})) else {
        panic!("trainFor")
    };
    assert!(f.done >= 1 && f.steps == 3 + u64::from(f.done), "{f:?}");
    // The run replays natively: its configuration counts the steps trained.
    let Ok(Response::RunConfig(json)) = ask(&s, "runConfig", json!({})) else {
        panic!("runConfig")
    };
    let rc: interplay_nn::spec::RunConfig = serde_json::from_str(&json).expect("a RunConfig");
    assert_eq!(
        (rc.steps, rc.train.net.width, rc.train.seed),
        (f.steps, 16, 7)
    );
}

#[test]
fn the_learned_views_answer_with_as_many_numbers_as_asked() {
    let s = configured("velocity-score");
    trained(&s, 2);
    // More particles than the CPU backend shows are trimmed to its most, and more steps than
    // one request takes there are cut to its most.
    let r = ask(
        &s,
        "particles",
        json!({"t": 0.9, "n": 50_000, "eps": 0.0, "seed": 2, "schedule": schedule(), "maxSteps": 100}),
    );
    let Ok(Response::Particles(p)) = r else {
        panic!("particles: {r:?}")
    };
    assert_eq!((p.points.len(), p.steps), (2 * 2000, 3));
    // Particles move towards t, a bounded number of steps per request, and arrive.
    let mut reached = 0.0;
    for _ in 0..200 {
        let r = ask(
            &s,
            "particles",
            json!({"t": 0.3, "n": 50, "eps": 0.0, "seed": 1, "schedule": schedule(), "maxSteps": 4}),
        );
        let Ok(Response::Particles(p)) = r else {
            panic!("particles: {r:?}")
        };
        assert!(
            p.steps <= 4 && p.points.len() == 100,
            "{} {}",
            p.steps,
            p.points.len()
        );
        assert!(p.points.iter().all(|v| v.is_finite()));
        assert_eq!((p.generation, p.model_steps), (1, 2));
        reached = p.t;
        if (p.t - 0.3).abs() < 1e-12 {
            break;
        }
    }
    assert!(
        (reached - 0.3).abs() < 1e-12,
        "the particles stopped at t = {reached}"
    );
    let d = floats(ask(
        &s,
        "density",
        json!({"t": 0.5, "n": 8, "steps": 4, "schedule": schedule()}),
    ));
    assert!(
        d.len() == 64 && d.iter().all(|v| v.is_finite() && *v >= 0.0),
        "{d:?}"
    );
    let x = floats(ask(
        &s,
        "sample",
        json!({"n": 30, "steps": 5, "eps": 0.5, "seed": 3, "schedule": schedule()}),
    ));
    assert!(x.len() == 60 && x.iter().all(|v| v.is_finite()));
    let Ok(Response::Metrics(q)) = ask(&s, "metrics", json!({"schedule": schedule()})) else {
        panic!("metrics")
    };
    // The quality panel's work is the engine's to size: 600 samples on the CPU backend.
    assert_eq!((q.n, q.b_error.len(), q.few_step_tv.len()), (600, 5, 4));
    assert!((0.0..=1.0).contains(&q.in_support) && q.tv.is_finite() && q.nll.is_finite());
    let Ok(Response::EpsSweep(w)) = ask(
        &s,
        "epsSweep",
        json!({"grid": [0.0, 0.5], "seed": 1, "schedule": schedule()}),
    ) else {
        panic!("epsSweep")
    };
    assert_eq!((w.n, w.steps), (2000, 60));
    assert!(w.tv.len() == 2 && w.in_support.len() == 2 && [0.0, 0.5].contains(&w.best_tv));
}

#[test]
fn a_checkpoint_reloads_the_same_model_in_a_fresh_engine() {
    let s = configured("velocity-score");
    trained(&s, 3);
    let Ok(Response::Checkpoint(bytes)) = ask(&s, "checkpoint", json!({})) else {
        panic!("checkpoint")
    };
    let sample = json!({"n": 40, "steps": 6, "eps": 0.0, "seed": 9, "schedule": schedule()});
    let before = floats(ask(&s, "sample", sample.clone()));

    let fresh = session();
    let r = ask(&fresh, "load", json!({"bytes": bytes}));
    let Ok(Response::Loaded {
        generation,
        steps,
        config,
        settings,
    }) = r
    else {
        panic!("load: {r:?}")
    };
    assert_eq!((generation, steps), (1, 3));
    // The same run, continued at the rate where the saved one ended (its decay done).
    let saved = s.borrow().run_config().expect("a run");
    // What the page adopts to show the loaded run is that run's settings.
    assert_eq!(*settings, config.settings());
    assert_eq!(
        (
            &config.schedule,
            &config.target,
            config.steps,
            &config.train.net
        ),
        (
            &saved.schedule,
            &saved.target,
            saved.steps,
            &saved.train.net
        )
    );
    assert_eq!(config.train.lr, saved.train.lr_at(3));
    assert_eq!(
        floats(ask(&fresh, "sample", sample)),
        before,
        "the same networks"
    );
    // Training goes on from the saved step.
    assert_eq!(trained(&fresh, 1).steps, 4);
}

#[test]
fn what_cannot_run_is_refused_in_words_and_changes_nothing() {
    let s = session();
    // No run yet: training, views and saving say so.
    for (op, args) in [
        ("train", json!({"steps": 1})),
        ("trainFor", json!({"ms": 10.0})),
        (
            "sample",
            json!({"n": 4, "steps": 2, "eps": 0.0, "seed": 1, "schedule": schedule()}),
        ),
        ("checkpoint", json!({})),
        ("runConfig", json!({})),
    ] {
        assert_eq!(ask(&s, op, args), Err(EngineError::NoRun), "{op}");
    }
    assert!(EngineError::NoRun.to_string().contains("no training run"));

    let s = configured("schedule-free");
    trained(&s, 2);
    let refused = |r: Result<Response, EngineError>, says: &str| match r {
        Err(EngineError::Refused(m)) => assert!(m.contains(says), "{m} (wanted: {says})"),
        other => panic!("expected a refusal saying '{says}', got {other:?}"),
    };
    // Bad bytes are not a checkpoint, and the run goes on as it was.
    refused(
        ask(&s, "load", json!({"bytes": [1, 2, 3]})),
        "not an Interplay checkpoint",
    );
    // A schedule that is no interpolant, a grid out of range, flow lines off the line.
    let mut bad = schedule();
    bad["path"] = json!("trig");
    bad["gamma"] = json!("sin2");
    bad["gamma_scale"] = json!(1.5);
    refused(
        ask(
            &s,
            "density",
            json!({"t": 0.5, "n": 8, "steps": 2, "schedule": bad}),
        ),
        "invalid schedule",
    );
    refused(
        ask(
            &s,
            "epsSweep",
            json!({"grid": [9.0], "seed": 1, "schedule": schedule()}),
        ),
        "ε grid",
    );
    refused(
        ask(&s, "lineFlow", json!({"schedule": schedule()})),
        "target on the line",
    );
    // A run that cannot be built keeps the one there.
    let r = ask(
        &s,
        "configure",
        json!({"config": live("schedule-free", json!({"name": "donut"}))}),
    );
    refused(r, "unknown target 'donut'");
    assert_eq!((s.borrow().generation(), s.borrow().steps()), (1, 2));
    assert_eq!(trained(&s, 1).steps, 3);
}

#[test]
fn a_request_outside_the_contract_is_refused_before_it_runs() {
    let parse = |v: Value| Request::parse(v["op"].as_str().unwrap_or(""), &v["args"].to_string());
    let e = parse(json!({"op": "trian", "args": {"steps": 1}})).expect_err("unknown op");
    assert!(e.contains("unknown variant `trian`"), "{e}");
    let e = parse(json!({"op": "train", "args": {}})).expect_err("missing steps");
    assert!(e.contains("missing field `steps`"), "{e}");
    let e = parse(json!({"op": "train", "args": {"steps": "ten"}})).expect_err("mistyped");
    assert!(e.contains("invalid type"), "{e}");
    let e = parse(json!({"op": "train", "args": {"steps": 1, "stpes": 2}})).expect_err("typo");
    assert!(e.contains("unknown field `stpes`"), "{e}");
    // Every op the page sends has its name back.
    for (op, args) in [
        (
            "configure",
            json!({"config": live("denoiser", json!({"name": "checkerboard"}))}),
        ),
        ("train", json!({"steps": 1})),
        ("trainFor", json!({"ms": 1.0})),
        ("lineFlow", json!({"schedule": schedule()})),
        ("checkpoint", json!({})),
        ("runConfig", json!({})),
        ("load", json!({"bytes": [0]})),
    ] {
        assert_eq!(request(op, args).op(), op);
    }
}

#[test]
fn a_run_on_the_line_draws_its_learned_flow_lines() {
    let s = session();
    let r = ask(
        &s,
        "configure",
        json!({"config": live("velocity-score", json!({"name": "line", "line": "gmm"}))}),
    );
    assert_eq!(r, Ok(Response::Started { generation: 1 }));
    trained(&s, 2);
    let Ok(Response::LineFlow(f)) = ask(&s, "lineFlow", json!({"schedule": schedule()})) else {
        panic!("lineFlow")
    };
    assert!(f.count > 0 && f.lines.len() == f.count as usize * f.times.len());
    assert_eq!((f.b_error.len(), f.generation, f.model_steps), (5, 1, 2));
    assert_eq!(f.error_times, interplay_nn::quality::ERROR_TIMES);
}

fn floats_of(v: &Value) -> Vec<f64> {
    let list = v.as_array().unwrap_or_else(|| panic!("numbers, not {v}"));
    list.iter().map(|x| x.as_f64().expect("a number")).collect()
}

/// The shared fixture (`tests/fixtures/engine-contract.json`), which the browser test runs
/// through the engine's Web Worker: the same requests, the same answers, natively.
#[test]
fn the_contract_fixture_holds_natively() {
    let fixture: Value =
        serde_json::from_str(include_str!("../../../tests/fixtures/engine-contract.json"))
            .expect("the fixture is JSON");
    let s = session();
    for (i, step) in fixture["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .enumerate()
    {
        let what = format!("request {i} ({})", step["op"]);
        let op = step["op"].as_str().expect("an op");
        let outcome = Request::parse(op, &step["args"].to_string())
            .and_then(|r| pollster::block_on(handle(s.clone(), r)).map_err(|e| e.to_string()));
        if let Some(says) = step["refused"].as_str() {
            let e = outcome.expect_err(&what);
            assert!(e.contains(says), "{what}: '{e}' does not say '{says}'");
            continue;
        }
        let r = outcome.unwrap_or_else(|e| panic!("{what}: {e}"));
        let got = serde_json::to_value(&r).expect("serialises");
        if let Some(fields) = step["answer"].as_object() {
            for (k, v) in fields {
                assert_eq!(&got[k], v, "{what}: {k} in {got}");
            }
        }
        if let Some(fields) = step["close"].as_object() {
            for (k, want) in fields {
                let rel = want["rel"].as_f64().expect("a tolerance");
                let (got, want) = (floats_of(&got[k]), floats_of(&want["values"]));
                let apart = got.len() != want.len()
                    || got
                        .iter()
                        .zip(&want)
                        .any(|(g, w)| (g - w).abs() > rel * w.abs());
                assert!(!apart, "{what}: {k} {got:?}, the fixture's {want:?}");
            }
        }
        let count = match (&r, &step["numbers"]) {
            (_, Value::Null) => None,
            (Response::Sample(v) | Response::Density(v), n) => Some((v.len(), n.as_u64())),
            (Response::Particles(p), n) => Some((p.points.len(), n["points"].as_u64())),
            (Response::Gradients(g), n) => Some((g.grads.len(), n["grads"].as_u64())),
            (other, n) => panic!("{what}: {n} numbers wanted of {other:?}"),
        };
        if let Some((have, want)) = count {
            assert_eq!(Some(have as u64), want, "{what}");
        }
    }
}
