//! A learned flow map on a device: jumps X̂_{s,t}, few-step sampling, and the map's tangent
//! v̂_{t,t} (a velocity, for K Euler steps beside the map's K jumps).

use burn::tensor::{Device, Tensor, TensorData};
use interplay_core::Schedule;

use super::gauss::GaussMap;
use super::net::MapNet;
use crate::objective::Skip;

/// Where the map ends: the samplers' 1 − δ (ρ there is the target blurred by σ ≈ 0.03).
pub const END: f64 = 1.0 - interplay_core::flow_map::DELTA;

/// The warp of a K-step sampler's times ([`MapField::grid`]), the same as the training times'
/// on a path without γ: four jumps of a map trained with them land 0.973 of the checkerboard's
/// samples in the squares, against 0.970 with the warp 1.5 and 0.969 with 2.5 (BENCHMARKS.md,
/// "Flow maps").
pub const GRID_WARP: f64 = 2.0;

/// The learned map X̂_{s,t}(x) = G_{s,t}(x) + (t − s)·F(s, t, x) ([`super::train`]).
pub struct MapField {
    /// The network.
    pub net: MapNet,
    /// The Gaussian stand-in under it.
    pub gauss: GaussMap,
    /// The schedule whose ODE the map solves.
    pub schedule: Schedule,
    device: Device,
}

impl MapField {
    /// The map of `net` over `gauss`, evaluated on `device` (the network's).
    pub fn new(net: MapNet, gauss: GaussMap, schedule: Schedule, device: Device) -> Self {
        Self {
            net,
            gauss,
            schedule,
            device,
        }
    }

    /// The device the map lives on.
    pub fn device(&self) -> Device {
        self.device.clone()
    }

    /// Where the map starts (the schedule's first time) and ends (1 − δ).
    pub fn span(&self) -> (f64, f64) {
        (self.schedule.t_start(), END)
    }

    /// The same (s, t) on every row of a `[n, 2]` column.
    fn times(&self, s: f64, t: f64, n: usize) -> Tensor<2> {
        Tensor::<2>::from_data(
            TensorData::new(vec![s as f32, t as f32], [1, 2]),
            &self.device,
        )
        .expand([n, 2])
    }

    /// A·x + m on every row.
    fn affine(&self, a: &Skip, x: Tensor<2>) -> Tensor<2> {
        let [a00, a01, a11] = a.a.map(|v| v as f32);
        let m = a.m.map(|v| v as f32);
        let a = Tensor::<2>::from_data(
            TensorData::new(vec![a00, a01, a01, a11], [2, 2]),
            &self.device,
        );
        let m = Tensor::<2>::from_data(TensorData::new(m.to_vec(), [1, 2]), &self.device);
        x.matmul(a) + m
    }

    /// X̂_{s,t}(x) for every row of `x` (`[n, 2]`).
    pub fn jump(&self, s: f64, t: f64, x: Tensor<2>) -> Tensor<2> {
        let n = x.dims()[0];
        let f = self.net.forward(self.times(s, t, n), x.clone());
        self.affine(&self.gauss.map(s, t), x) + f * (t - s)
    }

    /// The map's tangent v̂_{t,t}(x), its velocity.
    pub fn velocity(&self, t: f64, x: Tensor<2>) -> Tensor<2> {
        let n = x.dims()[0];
        let f = self.net.forward(self.times(t, t, n), x.clone());
        self.affine(&self.gauss.velocity(t), x) + f
    }

    /// The K + 1 times of a K-step sampler from the start to the end, t_i = 1 − (1 − i/K)^p on
    /// the span with p = [`GRID_WARP`]: shorter jumps towards t = 1, where the map is least
    /// accurate.
    pub fn grid(&self, k: usize) -> Vec<f64> {
        let (a, b) = self.span();
        (0..=k)
            .map(|i| a + (b - a) * (1.0 - (1.0 - i as f64 / k as f64).powf(GRID_WARP)))
            .collect()
    }

    /// K jumps of the map from samples of ρ(start) to ρ(END).
    pub fn sample(&self, x: Tensor<2>, k: usize) -> Tensor<2> {
        self.grid(k.max(1))
            .windows(2)
            .fold(x, |x, w| self.jump(w[0], w[1], x))
    }

    /// K equal Euler steps of the map's own velocity v̂_{t,t} over the span (the few-step sampler
    /// of a velocity, as `interplay sample --euler-steps K` runs it: what the map's diagonal
    /// alone, a flow-matching velocity, gives in as many evaluations).
    pub fn euler(&self, x: Tensor<2>, k: usize) -> Tensor<2> {
        let (a, b) = self.span();
        let k = k.max(1);
        (0..k).fold(x, |x, i| {
            let (t0, t1) = (
                a + (b - a) * i as f64 / k as f64,
                a + (b - a) * (i + 1) as f64 / k as f64,
            );
            let v = self.velocity(t0, x.clone());
            x + v * (t1 - t0)
        })
    }
}
