//! The multi-marginal interpolant's network (docs/math.md §8.6): one MLP of (α, x) whose six
//! outputs are g_k(α, x) = E[x_k | x(α) = x] for k = 0, 1, 2, on top of the fields of Gaussians
//! with the marginals' moments (a skip, exact at the vertices), and the flow it gives along a
//! path α(s) on the triangle: dX/ds = Σ_k α̇_k g_k(α(s), X).

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};
use core::f64::consts::PI;
use interplay_core::multimarginal::Alpha;
pub use interplay_core::multimarginal::{TrianglePath, on_triangle};
use interplay_core::targets::ExactTarget;
use interplay_core::{P2, Rng};

use crate::features::omega;
use crate::net::{Activation, NetConfig, init_layers, layers_from_params};
use crate::sampler::points_tensor;
use crate::{NnError, read_points};

/// The outputs: g0, g1, g2, two coordinates each.
pub const OUTPUTS: usize = 6;

/// The inputs of a multi-marginal network of `net`'s sizes: x (2), α1 and α2 (α0 = 1 − α1 −
/// α2), `fourier` sine–cosine pairs of each of α1 and α2, and `spatial` octaves of x.
pub fn inputs(net: &NetConfig) -> usize {
    4 + 4 * net.fourier + 4 * net.spatial
}

/// Layer shapes (d_in, d_out) of a multi-marginal network of `net`'s sizes.
pub fn shapes(net: &NetConfig) -> Vec<(usize, usize)> {
    let mut dims = vec![inputs(net)];
    dims.extend(std::iter::repeat_n(net.width, net.depth));
    dims.push(OUTPUTS);
    dims.windows(2).map(|w| (w[0], w[1])).collect()
}

/// The network of the residual g_k − skip_k.
#[derive(Module, Debug)]
pub struct MultiNet {
    /// The linear layers; weights are `[d_in, d_out]`.
    pub layers: Vec<Linear>,
    #[module(skip)]
    activation: Activation,
    fourier: usize,
    spatial: usize,
}

impl MultiNet {
    /// A fresh network of `net`'s sizes (weights drawn on the host, as [`NetConfig::init`]).
    pub fn init(net: &NetConfig, device: &Device, rng: &mut Rng) -> Self {
        Self {
            layers: init_layers(&shapes(net), device, rng),
            activation: net.activation,
            fourier: net.fourier,
            spatial: net.spatial,
        }
    }

    /// A network with the given parameters (weight, bias per layer), every length checked.
    pub fn from_params(
        net: &NetConfig,
        params: &[Vec<f32>],
        device: &Device,
    ) -> Result<Self, String> {
        let layers = layers_from_params(&shapes(net), params, device)?;
        Ok(Self {
            layers,
            activation: net.activation,
            fourier: net.fourier,
            spatial: net.spatial,
        })
    }

    /// The residual outputs.
    ///
    /// # Shapes
    /// `a`: `[B, 2]` (α1, α2), `x`: `[B, 2]` → `[B, 6]`.
    pub fn forward(&self, a: Tensor<2>, x: Tensor<2>) -> Tensor<2> {
        let n = x.dims()[0];
        let mut cols = vec![x.clone(), a.clone()];
        for k in 1..=self.fourier {
            let u = a.clone() * (PI * k as f64);
            cols.push(u.clone().sin());
            cols.push(u.cos());
        }
        for k in 0..self.spatial {
            let u = x.clone() * omega(k);
            cols.push(u.clone().sin());
            cols.push(u.cos());
        }
        debug_assert!(cols.iter().all(|c| c.dims()[0] == n));
        let mut h = Tensor::cat(cols, 1);
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(h);
            if i < last {
                h = self.activation.apply(h);
            }
        }
        h
    }
}

/// The fields of the Gaussian stand-in: each marginal replaced by a Gaussian with its mean m_k
/// and an isotropic variance v_k (half the covariance's trace; m_0 = 0, v_0 = 1), so that
/// skip_k(α, x) = m_k + α_k v_k / S · (x − Σ_j α_j m_j), S = Σ_j α_j² v_j. It is exact at the
/// vertices (g_k = x at α = e_k, the mean of the others) and recombines to Σ_k α_k skip_k = x.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MultiSkip {
    /// m_0, m_1, m_2.
    pub means: [P2; 3],
    /// v_0, v_1, v_2.
    pub vars: [f64; 3],
}

impl MultiSkip {
    /// The stand-in of N(0, I), `first` and `second`.
    pub fn new(first: &ExactTarget, second: &ExactTarget) -> Self {
        let var = |t: &ExactTarget| {
            let c = t.covariance();
            0.5 * (c[0] + c[2])
        };
        Self {
            means: [[0.0, 0.0], first.mean(), second.mean()],
            vars: [1.0, var(first), var(second)],
        }
    }

    /// The gains a_k = α_k v_k / S and the centre Σ_j α_j m_j at `alpha`.
    pub fn at(&self, alpha: Alpha) -> ([f64; 3], P2) {
        let s: f64 = (0..3).map(|k| alpha[k] * alpha[k] * self.vars[k]).sum();
        let gain = std::array::from_fn(|k| alpha[k] * self.vars[k] / s);
        let c = (0..3).fold([0.0; 2], |c, k| {
            [
                c[0] + alpha[k] * self.means[k][0],
                c[1] + alpha[k] * self.means[k][1],
            ]
        });
        (gain, c)
    }

    /// skip_k(α, x) for k = 0, 1, 2.
    pub fn eval(&self, alpha: Alpha, x: P2) -> [P2; 3] {
        let (gain, c) = self.at(alpha);
        std::array::from_fn(|k| {
            [
                self.means[k][0] + gain[k] * (x[0] - c[0]),
                self.means[k][1] + gain[k] * (x[1] - c[1]),
            ]
        })
    }
}

/// A learned multi-marginal field on a device: skip + network.
pub struct MultiField {
    /// The network.
    pub net: MultiNet,
    /// The Gaussian stand-in under it.
    pub skip: MultiSkip,
    device: Device,
}

impl MultiField {
    /// The field of `net` over `skip`, evaluated on `device` (the network's).
    pub fn new(net: MultiNet, skip: MultiSkip, device: Device) -> Self {
        Self { net, skip, device }
    }

    /// The device the field lives on.
    pub fn device(&self) -> Device {
        self.device.clone()
    }

    /// [g0 | g1 | g2] at one α for every row of `x`.
    ///
    /// # Shapes
    /// `x`: `[B, 2]` → `[B, 6]`.
    pub fn g(&self, alpha: Alpha, x: Tensor<2>) -> Tensor<2> {
        let n = x.dims()[0];
        let (gain, c) = self.skip.at(alpha);
        // skip = x·A + m with A = [a_0 I | a_1 I | a_2 I] and m_k − a_k c in each block.
        let mut a = vec![0.0f32; 2 * OUTPUTS];
        let mut m = vec![0.0f32; OUTPUTS];
        for k in 0..3 {
            a[2 * k] = gain[k] as f32;
            a[OUTPUTS + 2 * k + 1] = gain[k] as f32;
            for d in 0..2 {
                m[2 * k + d] = (self.skip.means[k][d] - gain[k] * c[d]) as f32;
            }
        }
        let a = Tensor::<2>::from_data(TensorData::new(a, [2, OUTPUTS]), &self.device);
        let m = Tensor::<2>::from_data(TensorData::new(m, [1, OUTPUTS]), &self.device);
        let ab = [alpha[1] as f32, alpha[2] as f32];
        let ab = Tensor::<2>::from_data(TensorData::new(ab.to_vec(), [1, 2]), &self.device)
            .expand([n, 2]);
        x.clone().matmul(a) + m.expand([n, OUTPUTS]) + self.net.forward(ab, x)
    }

    /// The velocity Σ_k α̇_k g_k at α for every row of `x`.
    ///
    /// # Shapes
    /// `x`: `[B, 2]` → `[B, 2]`.
    pub fn velocity(&self, alpha: Alpha, alpha_dot: Alpha, x: Tensor<2>) -> Tensor<2> {
        let n = x.dims()[0];
        let g = self.g(alpha, x);
        (0..3)
            .map(|k| g.clone().slice([0..n, 2 * k..2 * k + 2]) * alpha_dot[k])
            .reduce(|a, b| a + b)
            .unwrap_or_else(|| unreachable!("three marginals"))
    }

    /// g_k at `points` (host values, read back asynchronously), one α for all.
    pub async fn g_at(&self, alpha: Alpha, points: &[P2]) -> Result<Vec<[P2; 3]>, NnError> {
        let x = points_tensor(points, &self.device);
        let n = points.len();
        let g = self.g(alpha, x);
        let cols: Vec<Tensor<2>> = (0..3)
            .map(|k| g.clone().slice([0..n, 2 * k..2 * k + 2]))
            .collect();
        let v = read_points(Tensor::cat(cols, 0)).await?;
        Ok((0..n).map(|i| [v[i], v[n + i], v[2 * n + i]]).collect())
    }
}

/// Carries `starts` (samples of ρ(α(0))) along `path` with RK4, `steps` per leg; returns the
/// positions after each step of each leg (the first entry the starts), read back at the end.
pub async fn carry(
    field: &MultiField,
    path: &TrianglePath,
    starts: &[P2],
    steps: usize,
) -> Result<Vec<Vec<P2>>, NnError> {
    let steps = steps.max(1);
    let n = starts.len();
    let mut x = points_tensor(starts, &field.device());
    let mut frames = vec![x.clone()];
    let ds = 1.0 / (steps * path.legs()) as f64;
    for leg in 0..path.legs() {
        for i in 0..steps {
            let f0 = i as f64 / steps as f64;
            let fh = (i as f64 + 0.5) / steps as f64;
            let f1 = (i + 1) as f64 / steps as f64;
            let b = |f: f64, y: Tensor<2>| {
                let (a, ad) = path.on_leg(leg, f);
                field.velocity(a, ad, y)
            };
            let k1 = b(f0, x.clone());
            let k2 = b(fh, x.clone() + k1.clone() * (0.5 * ds));
            let k3 = b(fh, x.clone() + k2.clone() * (0.5 * ds));
            let k4 = b(f1, x.clone() + k3.clone() * ds);
            x = x + (k1 + k2 * 2.0 + k3 * 2.0 + k4) * (ds / 6.0);
            frames.push(x.clone());
        }
    }
    let count = frames.len();
    let all = read_points(Tensor::cat(frames, 0)).await?;
    Ok((0..count)
        .map(|f| all[f * n..(f + 1) * n].to_vec())
        .collect())
}
