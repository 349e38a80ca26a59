//! `kernelTimes`: where a training step's time on the GPU goes, kernel by kernel (WebGPU only).

use std::cell::RefCell;

use crate::error::{EngineError, Outcome};
#[cfg(target_arch = "wasm32")]
use crate::protocol::KernelRow;
use crate::protocol::KernelTimes;
use crate::session::Session;

/// The most steps one request times.
const MAX_STEPS: u32 = 200;

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
