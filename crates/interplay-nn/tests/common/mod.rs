//! Helpers for the CPU tests.
#![allow(dead_code, clippy::disallowed_methods)] // tests read CPU tensors synchronously

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use burn::tensor::{Device, Tensor};
use interplay_core::P2;

/// Runs a future that is ready at once (every read on the CPU backend is).
pub fn now<F: Future>(f: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(f).poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("a CPU-backend future was not ready"),
    }
}

pub fn cpu() -> Device {
    Device::flex()
}

pub fn read2(t: Tensor<2>) -> Vec<P2> {
    now(interplay_nn::read_points(t)).expect("read")
}

pub fn read1(t: Tensor<1>) -> f64 {
    f64::from(now(interplay_nn::read_scalar(t)).expect("read"))
}
