//! The flow map's network: an MLP F(s, t, x) ∈ ℝ² with the time derivative ∂F/∂t by forward
//! tangents, which the Lagrangian self-distillation loss needs
//! ([`super::train`]).

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};
use core::f64::consts::PI;
use interplay_core::Rng;

use crate::features::omega;
use crate::net::{Activation, NetConfig, init_layers, layers_from_params};

/// The inputs of a map network of `net`'s sizes: x (2), s and t, `fourier` sine–cosine pairs of
/// each of s and t, and `spatial` octaves of each coordinate of x.
pub fn inputs(net: &NetConfig) -> usize {
    4 + 4 * net.fourier + 4 * net.spatial
}

/// Layer shapes (d_in, d_out) of a map network of `net`'s sizes.
pub fn shapes(net: &NetConfig) -> Vec<(usize, usize)> {
    let mut dims = vec![inputs(net)];
    dims.extend(std::iter::repeat_n(net.width, net.depth));
    dims.push(2);
    dims.windows(2).map(|w| (w[0], w[1])).collect()
}

/// The network of the map's residual over its Gaussian stand-in ([`super::gauss`]).
#[derive(Module, Debug)]
pub struct MapNet {
    /// The linear layers; weights are `[d_in, d_out]`.
    pub layers: Vec<Linear>,
    #[module(skip)]
    activation: Activation,
    fourier: usize,
    spatial: usize,
}

impl MapNet {
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
        Ok(Self {
            layers: layers_from_params(&shapes(net), params, device)?,
            activation: net.activation,
            fourier: net.fourier,
            spatial: net.spatial,
        })
    }

    /// self ← d·self + (1 − d)·other, parameter by parameter (`other` may be on the autodiff
    /// device; the result stays on self's device, outside any graph).
    pub fn blend(&mut self, other: &MapNet, d: f64) {
        for (a, b) in self.layers.iter_mut().zip(&other.layers) {
            a.weight = Param::from_tensor(a.weight.val() * d + b.weight.val().inner() * (1.0 - d));
            if let (Some(ab), Some(bb)) = (a.bias.as_mut(), b.bias.as_ref()) {
                *ab = Param::from_tensor(ab.val() * d + bb.val().inner() * (1.0 - d));
            }
        }
    }

    /// The input features of (s, t) (`st`, `[B, 2]`) and x, and, when asked, their derivative
    /// along t.
    fn features(
        &self,
        st: Tensor<2>,
        x: Tensor<2>,
        along_t: bool,
    ) -> (Tensor<2>, Option<Tensor<2>>) {
        let n = x.dims()[0];
        let device = x.device();
        let mut cols = vec![x.clone(), st.clone()];
        // d(s, t)/dt = (0, 1) on every row.
        let e_t = Tensor::<2>::from_data(
            burn::tensor::TensorData::new(vec![0.0f32, 1.0], [1, 2]),
            &device,
        )
        .expand([n, 2]);
        let mut tangent = along_t.then(|| vec![Tensor::<2>::zeros([n, 2], &device), e_t.clone()]);
        for k in 1..=self.fourier {
            let w = PI * k as f64;
            let u = st.clone() * w;
            let (sin, cos) = (u.clone().sin(), u.cos());
            if let Some(tan) = tangent.as_mut() {
                tan.push(cos.clone() * e_t.clone() * w);
                tan.push(sin.clone() * e_t.clone() * (-w));
            }
            cols.push(sin);
            cols.push(cos);
        }
        for k in 0..self.spatial {
            let u = x.clone() * omega(k);
            cols.push(u.clone().sin());
            cols.push(u.cos());
        }
        if let Some(tan) = tangent.as_mut()
            && self.spatial > 0
        {
            tan.push(Tensor::<2>::zeros([n, 4 * self.spatial], &device));
        }
        (Tensor::cat(cols, 1), tangent.map(|t| Tensor::cat(t, 1)))
    }

    /// F(s, t, x).
    ///
    /// # Shapes
    /// `st`: `[B, 2]` (s, t), `x`: `[B, 2]` → `[B, 2]`.
    pub fn forward(&self, st: Tensor<2>, x: Tensor<2>) -> Tensor<2> {
        let (mut h, _) = self.features(st, x, false);
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(h);
            if i < last {
                h = self.activation.apply(h);
            }
        }
        h
    }

    /// F(s, t, x) and ∂F/∂t, by forward tangent propagation (about two forward passes, and
    /// differentiable in the parameters).
    ///
    /// # Shapes
    /// `st`: `[B, 2]`, `x`: `[B, 2]` → (`[B, 2]`, `[B, 2]`).
    pub fn forward_dt(&self, st: Tensor<2>, x: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let (mut h, tangent) = self.features(st, x, true);
        let mut th = tangent.unwrap_or_else(|| unreachable!("the tangent was asked for"));
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            let pre = layer.forward(h);
            let tpre = th.matmul(layer.weight.val());
            if i == last {
                return (pre, tpre);
            }
            th = tpre * self.activation.derivative(pre.clone());
            h = self.activation.apply(pre);
        }
        unreachable!("a map network has at least one layer")
    }
}
