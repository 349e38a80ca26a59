//! The seam between the page and the engine, natively: every training run the viewer's settings
//! can call for is a request the engine's contract reads, and a run its session starts. A field
//! renamed on one side and not the other fails here, not in a reader's browser.

use std::cell::RefCell;
use std::rc::Rc;

use interplay_core::coupling::Coupling;
use interplay_core::spec::LiveRun;
use interplay_engine::{Request, Response, Session, handle};
use interplay_nn::device::Backend;
use interplay_web::params::{LINES, PRESETS, Params, SOURCES, TARGETS};
use serde_json::{Map, Value, json};

fn settings(pairs: &[(&str, Value)]) -> Result<Params, String> {
    let change: Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| ((*k).into(), v.clone()))
        .collect();
    Params::default().apply(&change)
}

/// Starts the run `config` in a fresh engine, sent as the page sends it: as JSON.
fn starts(config: &LiveRun, what: &str) {
    let wire = json!({ "config": config }).to_string();
    let request: Request = Request::parse("configure", &wire)
        .unwrap_or_else(|e| panic!("{what}: the engine cannot read the viewer's run: {e}"));
    let session = Rc::new(RefCell::new(Session::new(Backend::cpu(None))));
    let r = pollster::block_on(handle(session, request));
    assert_eq!(r, Ok(Response::Started { generation: 1 }), "{what}");
}

#[test]
fn every_run_the_viewer_asks_for_is_one_the_engine_starts() {
    let mut started = 0;
    for source in SOURCES.iter().filter(|s| **s != "exact") {
        for preset in PRESETS {
            for target in TARGETS {
                for coupling in Coupling::ALL.map(Coupling::name) {
                    let what = format!("{source}, {preset}, {target}, {coupling}");
                    let Ok(p) = settings(&[
                        ("source", json!(source)),
                        ("preset", json!(preset)),
                        ("target", json!(target)),
                        ("coupling", json!(coupling)),
                    ]) else {
                        continue;
                    };
                    // The schedule of the model views reads as the same schedule.
                    assert_eq!(p.schedule_spec().schedule(), Ok(p.schedule()), "{what}");
                    starts(&p.run_config(), &what);
                    started += 1;
                }
            }
        }
    }
    assert!(
        started >= 2 * 8 * TARGETS.len(),
        "only {started} runs were tried"
    );
    // The space–time figure's runs on the line.
    for line in LINES.iter().filter(|l| **l != "drawn") {
        let p = settings(&[("line", json!(line))]).expect("a line target");
        starts(&p.line_run_config(), &format!("line {line}"));
    }
}
