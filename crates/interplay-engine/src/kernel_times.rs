//! `kernelTimes`: where a training step's time on the GPU goes, kernel by kernel (WebGPU only).

use std::cell::RefCell;

use serde::Serialize;

use crate::error::{EngineError, Outcome};
use crate::session::Session;

/// The most steps one request times.
const MAX_STEPS: u32 = 200;

/// One kernel's share of the timed steps.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KernelRow {
    /// The kernel's name.
    pub kernel: String,
    /// Its launches per step.
    pub launches: f64,
    /// Its time per step, in milliseconds.
    pub ms: f64,
}

/// Each kernel's launches and time in `steps` training steps, per step.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KernelTimes {
    /// The steps timed.
    pub steps: u32,
    /// A timed step's wall-clock, in milliseconds (each launch timed closes its compute pass,
    /// so this is more than an untimed step's).
    pub step_ms: f64,
    /// The kernels, the most time first.
    pub kernels: Vec<KernelRow>,
    /// Whether every time is from the device's timestamps (else some are the worker's clock
    /// around a submit).
    pub device_clock: bool,
    /// Launches whose time could not be read.
    pub untimed: usize,
    /// The run's steps after the timed ones.
    pub model_steps: u64,
}

/// Trains `steps` steps of the current run with each GPU kernel timed.
pub(crate) async fn kernel_times(cell: &RefCell<Session>, steps: u32) -> Outcome<KernelTimes> {
    if !(1..=MAX_STEPS).contains(&steps) {
        return Err(EngineError::Refused(format!(
            "kernelTimes times 1 to {MAX_STEPS} steps, not {steps}"
        )));
    }
    if cell.borrow().backend.kind != "webgpu" {
        return Err(EngineError::Refused(
            "kernel times are measured on WebGPU; this engine trains on the CPU".into(),
        ));
    }
    timed(cell, steps).await
}

#[cfg(target_arch = "wasm32")]
async fn timed(cell: &RefCell<Session>, steps: u32) -> Outcome<KernelTimes> {
    use crate::session::now_ms;
    use interplay_nn::kernel_times::KernelTimer;
    let generation = cell.borrow().generation;
    let timer = KernelTimer::start();
    let t0 = now_ms();
    let stepped = cell.borrow_mut().steps_of(steps, Some(generation))?;
    let model_steps = stepped.steps;
    let read = stepped.read().await;
    let step_ms = (now_ms() - t0) / f64::from(steps);
    let times = timer.finish().await;
    read?;
    let per = f64::from(steps);
    Ok(KernelTimes {
        steps,
        step_ms,
        kernels: times
            .kernels
            .iter()
            .map(|k| KernelRow {
                kernel: k.kernel.clone(),
                launches: k.launches as f64 / per,
                ms: k.seconds * 1e3 / per,
            })
            .collect(),
        device_clock: times.device_clock,
        untimed: times.untimed,
        model_steps,
    })
}

/// Natively the engine trains on the CPU only (its WebGPU build is the browser's).
#[cfg(not(target_arch = "wasm32"))]
async fn timed(_cell: &RefCell<Session>, _steps: u32) -> Outcome<KernelTimes> {
    unreachable!("a native engine's backend is the CPU, refused above")
}
