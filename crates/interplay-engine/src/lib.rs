//! Interplay's training engine, compiled to WebAssembly and run in a Web Worker: the trainer of
//! `interplay-nn` on WebGPU (a hardware adapter) or the CPU backend.
//!
//! The page and the engine speak one typed contract ([`protocol`]): the worker passes each
//! request to [`Engine::handle`], which reads it into a [`Request`], runs it on the engine's
//! [`Session`] (plain Rust, tested natively) and answers with its [`Response`] as plain objects
//! and typed arrays. Every tensor read is asynchronous.

use std::cell::RefCell;
use std::rc::Rc;

use interplay_nn::device::{self, Backend, Preference};
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

mod effort;
mod eps_sweep;
mod error;
mod flow_map;
mod handle;
mod js;
mod line_flow;
mod map_run;
mod nets;
mod nets_run;
pub mod protocol;
pub mod session;
mod shards;
mod views;

pub use handle::handle;
pub use protocol::{Request, Response};
pub use session::{EngineError, Session};

/// Installs the panic hook (idempotent) and runs the module's static constructors, once.
#[wasm_bindgen(start)]
pub fn start() {
    #[cfg(target_arch = "wasm32")]
    constructors::run_once();
    console_error_panic_hook::set_once();
}

/// The module's static constructors (the registries of cubecl's IR dialects, filled by the
/// `inventory` crate). wasm-ld runs them through a synthetic `__wasm_call_ctors`; when nothing in
/// the module calls it, the linker takes the module for a command and wraps *every* export in a
/// call to it, so each call from JavaScript into the engine (each request, each value handed
/// across) ran all of them again: about 9 ms per request and more than 30 ms per training step
/// of a team (BENCHMARKS.md, "Training on several cores"). Calling it here, once, at start-up
/// tells the linker that the module runs its own constructors, and it wraps nothing.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod constructors {
    unsafe extern "C" {
        fn __wasm_call_ctors();
    }

    /// Runs the constructors the first time it is called.
    pub(crate) fn run_once() {
        static DONE: std::sync::Once = std::sync::Once::new();
        // SAFETY: `__wasm_call_ctors` is the linker's function that runs the module's static
        // constructors; `Once` runs it exactly once, before any other engine code (this is
        // the module's start function), as the constructors expect.
        DONE.call_once(|| unsafe { __wasm_call_ctors() });
    }
}

thread_local! {
    /// The devices set up so far in this worker, by preference.
    static BACKENDS: RefCell<Vec<(Preference, Backend)>> = const { RefCell::new(Vec::new()) };
}

/// The engine: one device, at most one training run.
#[wasm_bindgen]
pub struct Engine {
    session: Rc<RefCell<Session>>,
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&e.to_string())
}

#[wasm_bindgen]
impl Engine {
    /// Sets up the device: `preference` is "auto" (WebGPU on a hardware adapter, else the CPU),
    /// "cpu" or "webgpu". Resolves to an engine; never fails for want of a GPU.
    pub fn create(preference: String) -> Promise {
        future_to_promise(async move {
            let pref = Preference::from_name(&preference).ok_or_else(|| {
                js_err(format!(
                    "backend '{preference}' is unknown; use auto, cpu or webgpu"
                ))
            })?;
            // Engines in one worker (several widgets on a page) share one device per preference.
            let cached = BACKENDS
                .with_borrow(|b| b.iter().find(|(p, _)| *p == pref).map(|(_, b)| b.clone()));
            let backend = match cached {
                Some(b) => b,
                None => {
                    let b = device::init(pref).await;
                    // The adapter, once, for whoever reads the console.
                    web_sys::console::info_1(&JsValue::from_str(&format!(
                        "Interplay engine: {} backend on {} ({})",
                        b.kind, b.adapter, b.detail
                    )));
                    BACKENDS.with_borrow_mut(|all| all.push((pref, b.clone())));
                    b
                }
            };
            Ok(Engine {
                session: Rc::new(RefCell::new(Session::new(backend))),
            }
            .into())
        })
    }

    /// "webgpu" or "cpu".
    pub fn backend(&self) -> String {
        self.session.borrow().backend().kind.to_owned()
    }

    /// The adapter's name ("CPU" on the CPU backend).
    pub fn adapter(&self) -> String {
        self.session.borrow().backend().adapter.clone()
    }

    /// Why the backend differs from the one asked for, if it does.
    pub fn notice(&self) -> Option<String> {
        self.session.borrow().backend().notice.clone()
    }

    /// Answers one request `{ op, args }` (a [`Request`]): resolves to its [`Response`] as plain
    /// objects and typed arrays, or rejects with the reason in words. A request the contract
    /// does not know (an unknown op, a missing or mistyped argument) is refused before anything
    /// runs.
    pub fn handle(&self, request: JsValue) -> Promise {
        let session = self.session.clone();
        future_to_promise(async move {
            let request = js::request(request)?;
            let response = handle(session, request).await.map_err(js_err)?;
            js::response(response)
        })
    }
}
