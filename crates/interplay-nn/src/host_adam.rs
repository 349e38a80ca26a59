//! Adam on the host: the optimiser of the CPU backend.
//!
//! burn's Adam steps each parameter tensor in a dozen tensor operations (the two moments, the
//! bias corrections, the update) and the moving average in a few more: some hundred small
//! operations per step of the page's network, whose fixed costs, not their arithmetic, take
//! about a millisecond in the browser. And a step taken in shards (training on several workers)
//! has its summed gradient in memory already. So on the CPU backend the trainer keeps each
//! network's parameters, Adam's two moments and the moving average in one `[4P]` array, the
//! layout of the fused step's state on a GPU ([`crate::fused`]), and steps them in one loop
//! with the fused kernel's arithmetic; the networks burn differentiates are rebuilt from the
//! parameters after each step.

use burn::optim::GradientsParams;
use burn::tensor::{Device, Gradients, Tensor};

use crate::fused::Region;
use crate::net::{FieldNet, NetConfig};

/// Adam's β₁, β₂ and ε (burn's defaults, and the fused step's).
pub(crate) const BETA1: f32 = 0.9;
pub(crate) const BETA2: f32 = 0.999;
pub(crate) const EPSILON: f32 = 1e-8;

/// The bias corrections of Adam step `t` (from 1), folded as burn's Adam applies them:
/// `√(1 − β₂ᵗ)/(1 − β₁ᵗ)` on the first moment and `ε·√(1 − β₂ᵗ)` for ε.
pub(crate) fn corrections(t: i32) -> (f32, f32) {
    let c2 = (1.0 - BETA2.powi(t)).sqrt();
    (c2 / (1.0 - BETA1.powi(t)), EPSILON * c2)
}

/// `net`'s gradient in `grads` (a backward pass of its loss), flattened layer by layer, the
/// weight `[d_in, d_out]` row-major then the bias: the layout of the state's parameters.
pub(crate) fn flat_gradient(grads: &mut Gradients, net: &FieldNet) -> Tensor<1> {
    let g = GradientsParams::from_module(grads, net);
    let mut parts = Vec::with_capacity(2 * net.layers.len());
    for layer in &net.layers {
        let w = g
            .get::<2>(layer.weight.id)
            .expect("every weight has a gradient");
        parts.push(w.flatten::<1>(0, 1));
        if let Some(b) = &layer.bias {
            parts.push(g.get::<1>(b.id).expect("every bias has a gradient"));
        }
    }
    Tensor::cat(parts, 0)
}

/// A network's parameters, flattened as [`flat_gradient`] flattens its gradient.
fn flat_params(net: &FieldNet) -> Vec<f32> {
    let mut out = Vec::with_capacity(net.config().num_params());
    for layer in &net.layers {
        out.extend(floats(layer.weight.val().inner().flatten::<1>(0, 1)));
        if let Some(b) = &layer.bias {
            out.extend(floats(b.val().inner()));
        }
    }
    out
}

/// A tensor of the CPU backend read into memory (only the trainer on the CPU backend calls it:
/// its data is in memory, where a GPU's would have to be waited for).
#[allow(clippy::disallowed_methods)] // the CPU backend reads synchronously
pub(crate) fn floats(t: Tensor<1>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec()
        .expect("a float tensor reads as f32")
}

/// Every network's state as one `[4P]` array each: parameters, first moment, second moment,
/// moving average.
pub(crate) struct HostAdam {
    net: NetConfig,
    states: Vec<Vec<f32>>,
    /// Adam steps taken (the bias corrections count from 1 at the first).
    adam_steps: i32,
}

impl HostAdam {
    /// The state of `nets`: fresh moments, the average at the parameters.
    pub(crate) fn new(net: &NetConfig, nets: &[FieldNet]) -> Self {
        let states = nets
            .iter()
            .map(|f| {
                let p = flat_params(f);
                let n = p.len();
                let mut s = Vec::with_capacity(4 * n);
                s.extend_from_slice(&p);
                s.resize(3 * n, 0.0);
                s.extend_from_slice(&p);
                s
            })
            .collect();
        Self {
            net: net.clone(),
            states,
            adam_steps: 0,
        }
    }

    /// Numbers in a gradient of every network: [`NetConfig::num_params`] each.
    pub(crate) fn len(&self) -> usize {
        self.states.len() * self.net.num_params()
    }

    /// One Adam step of every network with its gradient in `grads` (each network's in turn)
    /// and learning rate `lr`, then the moving average `keep·average + (1 − keep)·parameters`.
    pub(crate) fn step(&mut self, grads: &[f32], lr: f64, keep: f64) {
        assert_eq!(grads.len(), self.len(), "a gradient of every parameter");
        self.adam_steps += 1;
        let (factor, eps) = corrections(self.adam_steps);
        let (lr, keep, fresh) = (lr as f32, keep as f32, (1.0 - keep) as f32);
        let n = self.net.num_params();
        for (s, g) in self.states.iter_mut().zip(grads.chunks_exact(n)) {
            let (p, rest) = s.split_at_mut(n);
            let (m, rest) = rest.split_at_mut(n);
            let (v, avg) = rest.split_at_mut(n);
            // Zipped slices of one length: no bounds checks, so the loop vectorises.
            let moments = m.iter_mut().zip(v.iter_mut());
            let params = p.iter_mut().zip(avg.iter_mut());
            for (((m, v), (p, avg)), &g) in moments.zip(params).zip(g) {
                *m = BETA1 * *m + (1.0 - BETA1) * g;
                *v = BETA2 * *v + (1.0 - BETA2) * (g * g);
                *p -= lr * (*m * factor / (v.sqrt() + eps));
                *avg = *avg * keep + *p * fresh;
            }
        }
    }

    /// The networks read from `region`, on `device` (an autodiff device gives tracked leaves).
    pub(crate) fn nets(&self, region: Region, device: &Device) -> Vec<FieldNet> {
        let n = self.net.num_params();
        let base = match region {
            Region::Params => 0,
            Region::Average => 3 * n,
        };
        self.states
            .iter()
            .map(|s| {
                let mut at = base;
                let mut params = Vec::new();
                for (i, o) in self.net.shapes() {
                    for len in [i * o, o] {
                        params.push(s[at..at + len].to_vec());
                        at += len;
                    }
                }
                self.net
                    .from_params(&params, device)
                    .expect("the state holds every layer of its network")
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // the CPU backend reads synchronously
mod tests {
    use super::*;
    use burn::module::Module;
    use burn::optim::AdamConfig;
    use burn::tensor::TensorData;
    use interplay_core::Rng;

    fn net_and_device() -> (FieldNet, NetConfig, Device) {
        let config = NetConfig {
            width: 16,
            depth: 2,
            ..NetConfig::default()
        };
        let device = Device::flex().autodiff();
        (config.init(&device, &mut Rng::new(3)), config, device)
    }

    /// The backward pass of a loss of `net` that depends on every parameter, at step `k`.
    fn grads(net: &FieldNet, device: &Device, k: usize) -> Gradients {
        let rows = 5;
        let u: Vec<f32> = (0..rows).map(|i| (i as f32 + 0.5) / rows as f32).collect();
        let x: Vec<f32> = (0..2 * rows)
            .map(|i| (i * (k + 2)) as f32 * 0.37 - 1.0)
            .collect();
        let u = Tensor::<2>::from_data(TensorData::new(u, [rows, 1]), device);
        let x = Tensor::<2>::from_data(TensorData::new(x, [rows, 2]), device);
        let out = net.forward(u, x);
        (out.clone() * out).sum().backward()
    }

    fn every_param(net: &FieldNet) -> Vec<f32> {
        flat_params(&net.valid())
    }

    #[test]
    fn the_first_step_moves_each_parameter_by_the_rate_against_its_gradient_sign() {
        let (net, config, device) = net_and_device();
        let mut adam = HostAdam::new(&config, std::slice::from_ref(&net));
        let g = floats(flat_gradient(&mut grads(&net, &device, 0), &net));
        let before = every_param(&net);
        adam.step(&g, 0.01, 0.0);
        let after = every_param(&adam.nets(Region::Params, &device)[0]);
        // m̂ = g and v̂ = g² at t = 1, so the update is lr·g/(|g| + ε).
        for ((b, a), g) in before.iter().zip(&after).zip(&g) {
            let want = b - 0.01 * g / (g.abs() + EPSILON);
            assert!(
                (a - want).abs() <= 1e-6 * (1.0 + want.abs()),
                "{a} vs {want}"
            );
        }
        // keep = 0: the average is the parameters.
        assert_eq!(every_param(&adam.nets(Region::Average, &device)[0]), after);
    }

    #[test]
    fn steps_as_burns_adam_does_and_averages_the_parameters() {
        let (net, config, device) = net_and_device();
        let mut adam = HostAdam::new(&config, std::slice::from_ref(&net));
        let mut theirs = net.clone();
        let mut opt = AdamConfig::new().with_epsilon(1e-8).init();
        let mut average = every_param(&net);
        let mut ours = net;
        for k in 0..6 {
            let lr = 0.02 / (1.0 + k as f64);
            let keep = [0.0, 0.5, 0.9, 0.9, 0.99, 0.99][k];
            let g = floats(flat_gradient(&mut grads(&ours, &device, k), &ours));
            adam.step(&g, lr, keep);
            ours = adam.nets(Region::Params, &device).remove(0);
            let mut gb = grads(&theirs, &device, k);
            let gp = GradientsParams::from_module(&mut gb, &theirs);
            theirs = opt.step(lr, theirs, gp);
            let p = every_param(&ours);
            for (a, x) in average.iter_mut().zip(&p) {
                *a = *a * keep as f32 + x * (1.0 - keep as f32);
            }
            let want = every_param(&theirs);
            for (a, b) in p.iter().zip(&want) {
                assert!(
                    (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                    "step {k}: {a} vs {b}"
                );
            }
        }
        let avg = every_param(&adam.nets(Region::Average, &device)[0]);
        for (a, b) in avg.iter().zip(&average) {
            assert!(
                (a - b).abs() <= 1e-6 * (1.0 + b.abs()),
                "average {a} vs {b}"
            );
        }
    }
}
