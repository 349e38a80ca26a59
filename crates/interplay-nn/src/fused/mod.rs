//! A whole training step of a field network as kernels of the project's own, on a GPU
//! (docs/fused-step.md).
//!
//! burn's graph (autodiff, per-parameter Adam, the fuser's kernels) spends about a hundred
//! dispatches on a step of the page's network on WebGPU, and a step of this size on a GPU is
//! bound by dispatches. On a CubeCL device (WebGPU, native wgpu) the trainer instead keeps each
//! network's parameters, Adam's moments and the moving average in one buffer and runs
//! `op::FusedStepOps::fused_step` (built with the `wgpu` feature), 3·depth + 3 dispatches: the
//! features, each hidden layer's forward pass, the output layer with the loss and its gradient,
//! each hidden layer's backward pass, and each layer's gradient with its Adam step and average
//! (`kernels`). The CPU backend keeps burn's graph. Both compute the same step: the loss of every
//! objective is written per row as `Σ_c ½ q_c f_c² − r_c f_c + c` ([`LossRows`]), and a test in
//! the browser checks that a few steps on WebGPU give the CPU backend's parameters.
//!
//! The views of a learned field run the same kernels forward (`FusedForward`, `forward`):
//! depth + 2 dispatches per evaluation, the divergence carried along as two tangents.

#[cfg(feature = "wgpu")]
mod backward;
#[cfg(feature = "wgpu")]
pub mod forward;
#[cfg(feature = "wgpu")]
mod kernels;
#[cfg(feature = "wgpu")]
mod launch;
#[cfg(feature = "wgpu")]
pub mod op;

use burn::tensor::{Device, Tensor, TensorData};

use crate::features::Features;
use crate::losses::LossRows;
#[cfg(feature = "wgpu")]
use crate::net::Activation;
use crate::net::{FieldNet, NetConfig, linear_of};

/// What a fused trainer's networks are read as: the parameters being optimised or their
/// moving average.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Region {
    Params,
    Average,
}

/// The networks of a trainer as state buffers on a CubeCL device (`[4P]` each: parameters,
/// Adam's first and second moments, moving average).
pub(crate) struct FusedNets {
    net: NetConfig,
    states: Vec<Tensor<1>>,
    #[cfg_attr(not(feature = "wgpu"), allow(dead_code))]
    table: Tensor<1>,
    /// Adam steps taken (burn's Adam counts from 1 at its first step).
    adam_steps: i32,
}

/// Whether networks train (and are evaluated) fused on `device`: a CubeCL (GPU) device in a
/// build with the `wgpu` feature.
pub(crate) fn fusable(device: &Device) -> bool {
    cfg!(feature = "wgpu") && device.clone().without_autodiff() != Device::flex()
}

/// The kernels' code of an activation.
#[cfg(feature = "wgpu")]
fn activation_code(a: Activation) -> u32 {
    match a {
        Activation::Silu => kernels::SILU,
        Activation::Relu => kernels::RELU,
        Activation::Tanh => kernels::TANH,
        Activation::Gelu => kernels::GELU,
    }
}

/// A network's parameters in one buffer (layer by layer, the weight `[d_in, d_out]` row-major
/// then the bias), outside any graph.
fn flat_params(net: &FieldNet) -> Tensor<1> {
    let mut parts = Vec::new();
    for layer in &net.layers {
        parts.push(layer.weight.val().inner().flatten::<1>(0, 1));
        if let Some(b) = &layer.bias {
            parts.push(b.val().inner());
        }
    }
    Tensor::cat(parts, 0)
}

/// The feature table of `net`'s input layer (`features` reads it) on `device`.
fn feature_table(net: &NetConfig, device: &Device) -> Tensor<1> {
    let f = Features {
        fourier: net.fourier,
        spatial: net.spatial,
    };
    let rows = f.angle_rows();
    let len = rows.len();
    Tensor::from_data(TensorData::new(rows, [len]), device)
}

impl FusedNets {
    /// The state of `nets` (fresh moments, the average at the parameters), on `device`'s plain
    /// device.
    pub(crate) fn new(net: &NetConfig, nets: &[FieldNet], device: &Device) -> Self {
        let plain = device.clone().without_autodiff();
        let states = nets
            .iter()
            .map(|f| {
                let p = flat_params(f);
                let zeros = Tensor::<1>::zeros([p.dims()[0]], &plain);
                Tensor::cat(vec![p.clone(), zeros.clone(), zeros, p], 0)
            })
            .collect();
        Self {
            net: net.clone(),
            states,
            table: feature_table(net, &plain),
            adam_steps: 0,
        }
    }

    /// The networks read from `region`, on the state's (plain) device.
    pub(crate) fn nets(&self, region: Region) -> Vec<FieldNet> {
        let p = self.net.num_params();
        let base = match region {
            Region::Params => 0,
            Region::Average => 3 * p,
        };
        self.states
            .iter()
            .map(|s| {
                let mut at = base;
                let mut take = |len: usize| {
                    at += len;
                    s.clone().slice(at - len..at)
                };
                let layers = self
                    .net
                    .shapes()
                    .into_iter()
                    .map(|(i, o)| {
                        let w = take(i * o).reshape([i, o]);
                        let b = take(o);
                        linear_of(w, b)
                    })
                    .collect();
                FieldNet::from_layers(&self.net, layers)
            })
            .collect()
    }

    /// One Adam step of each network on its loss rows with learning rate `lr`, then the moving
    /// average `keep·average + (1 − keep)·parameters`; the losses, unread.
    #[cfg_attr(not(feature = "wgpu"), allow(unused_variables))]
    pub(crate) fn step(&mut self, rows: Vec<LossRows>, lr: f64, keep: f64) -> Vec<Tensor<1>> {
        self.adam_steps += 1;
        #[cfg(feature = "wgpu")]
        {
            use burn::backend::Dispatch;
            use op::{FusedStepOps, StepSpec};
            let (beta1, beta2, eps) = (0.9f32, 0.999f32, 1e-8f32);
            let t = self.adam_steps;
            let c2 = (1.0 - beta2.powi(t)).sqrt();
            let device: Device = self.table.device();
            let mut losses = Vec::new();
            for (state, r) in self.states.iter_mut().zip(rows) {
                let spec = StepSpec {
                    rows: r.rows,
                    nin: self.net.inputs(),
                    width: self.net.width,
                    depth: self.net.depth,
                    params: self.net.num_params(),
                    activation: activation_code(self.net.activation),
                    inv_norm: (1.0 / r.norm) as f32,
                    lr: lr as f32,
                    beta1,
                    beta2,
                    factor: c2 / (1.0 - beta1.powi(t)),
                    eps: eps * c2,
                    keep: keep as f32,
                    fresh: (1.0 - keep) as f32,
                };
                let len = r.data.len();
                let batch = Tensor::<1>::from_data(TensorData::new(r.data, [len]), &device);
                let (next, loss) = Dispatch::fused_step(
                    state.clone().into_dispatch(),
                    batch.into_dispatch(),
                    self.table.clone().into_dispatch(),
                    spec,
                );
                *state = Tensor::from_dispatch(next);
                losses.push(Tensor::from_dispatch(loss));
            }
            losses
        }
        #[cfg(not(feature = "wgpu"))]
        unreachable!("a build without the wgpu feature never fuses (`fusable`)")
    }
}

/// A network's forward pass as the project's kernels, for the views of a learned field on a
/// CubeCL device (`forward`): its parameters in one buffer and its feature table.
#[derive(Clone, Debug)]
pub(crate) struct FusedForward {
    #[cfg_attr(not(feature = "wgpu"), allow(dead_code))]
    net: NetConfig,
    #[cfg_attr(not(feature = "wgpu"), allow(dead_code))]
    params: Tensor<1>,
    #[cfg_attr(not(feature = "wgpu"), allow(dead_code))]
    table: Tensor<1>,
}

impl FusedForward {
    /// `net`'s forward pass on `device` as the project's kernels, where it runs there
    /// ([`fusable`]).
    pub(crate) fn of(net: &FieldNet, device: &Device) -> Option<Self> {
        if !fusable(device) {
            return None;
        }
        let config = net.config();
        Some(Self {
            table: feature_table(&config, device),
            params: flat_params(net),
            net: config,
        })
    }

    /// f(u, x) and, when asked, its divergence in x (`u`: `[B, 1]`, `x`: `[B, 2]` →
    /// `[B, 2]`, `[B, 1]`).
    #[cfg_attr(not(feature = "wgpu"), allow(unused_variables))]
    pub(crate) fn eval(
        &self,
        u: Tensor<2>,
        x: Tensor<2>,
        divergence: bool,
    ) -> (Tensor<2>, Option<Tensor<2>>) {
        #[cfg(feature = "wgpu")]
        {
            use burn::backend::Dispatch;
            use forward::{ForwardSpec, FusedForwardOps};
            let rows = x.dims()[0];
            let spec = ForwardSpec {
                rows,
                nin: self.net.inputs(),
                width: self.net.width,
                depth: self.net.depth,
                divergence,
                activation: activation_code(self.net.activation),
            };
            let inputs = Tensor::cat(vec![u, x], 1).reshape([3 * rows]);
            let out: Tensor<2> = Tensor::from_dispatch(Dispatch::fused_forward(
                self.params.clone().into_dispatch(),
                inputs.into_dispatch(),
                self.table.clone().into_dispatch(),
                spec,
            ));
            let f = out.clone().slice([0..rows, 0..2]);
            let div = divergence.then(|| out.slice([0..rows, 2..3]));
            (f, div)
        }
        #[cfg(not(feature = "wgpu"))]
        unreachable!("a build without the wgpu feature never fuses (`fusable`)")
    }
}
