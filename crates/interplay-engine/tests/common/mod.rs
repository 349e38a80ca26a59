//! What the engine's native tests share: a session on the CPU backend, and requests written as
//! the JSON the page sends.
#![allow(dead_code)] // each test file uses some of these

use std::cell::RefCell;
use std::rc::Rc;

use interplay_engine::{EngineError, Request, Response, Session, handle};
use interplay_nn::device::Backend;
use serde_json::{Value, json};

pub fn session() -> Rc<RefCell<Session>> {
    Rc::new(RefCell::new(Session::new(Backend::cpu(None))))
}

/// A request as the page's worker hands it over.
pub fn request(op: &str, args: Value) -> Request {
    Request::parse(op, &args.to_string()).unwrap_or_else(|e| panic!("{op} is a request: {e}"))
}

pub fn ask(s: &Rc<RefCell<Session>>, op: &str, args: Value) -> Result<Response, EngineError> {
    pollster::block_on(handle(s.clone(), request(op, args)))
}

pub fn schedule() -> Value {
    json!({"path": "linear", "gamma": "brownian", "alpha_exp": 1, "beta_exp": 1, "gamma_scale": 1})
}

/// The page's settings for a small run (what `Viewer::runConfig` sends).
pub fn live(objective: &str, target: Value) -> Value {
    json!({
        "objective": objective, "width": 16, "depth": 2, "batch": 64, "lr": 0.005, "seed": 7,
        "schedule": schedule(), "target": target, "coupling": "independent",
    })
}

pub fn configured(objective: &str) -> Rc<RefCell<Session>> {
    let s = session();
    let r = ask(
        &s,
        "configure",
        json!({"config": live(objective, json!({"name": "checkerboard"}))}),
    );
    assert_eq!(r, Ok(Response::Started { generation: 1 }));
    s
}

pub fn trained(s: &Rc<RefCell<Session>>, steps: u32) -> interplay_engine::protocol::TrainReport {
    match ask(s, "train", json!({"steps": steps})) {
        Ok(Response::Trained(r)) => r,
        other => panic!("train: {other:?}"),
    }
}

pub fn floats(r: Result<Response, EngineError>) -> Vec<f32> {
    match r {
        Ok(Response::Density(v) | Response::Sample(v)) => v,
        other => panic!("expected numbers, got {other:?}"),
    }
}
