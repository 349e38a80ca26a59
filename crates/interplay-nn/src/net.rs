//! The field network: an MLP on (x, time features) → ℝ², with an exact 2-D divergence.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation;
use burn::tensor::{Device, Tensor, TensorData};

use crate::features::Features;
use core::f64::consts::PI;
use interplay_core::Rng;
use serde::{Deserialize, Serialize};

/// Hidden-layer nonlinearity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// max(0, u) (the reference's choice).
    Relu,
    /// u·sigmoid(u): smooth, so the learned field and its divergence are smooth.
    #[default]
    Silu,
    /// u·Φ(u).
    Gelu,
    /// tanh(u).
    Tanh,
}

impl Activation {
    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Silu => "silu",
            Activation::Gelu => "gelu",
            Activation::Tanh => "tanh",
        }
    }
    /// Parses [`Activation::name`].
    pub fn from_name(s: &str) -> Option<Self> {
        [
            Activation::Relu,
            Activation::Silu,
            Activation::Gelu,
            Activation::Tanh,
        ]
        .into_iter()
        .find(|a| a.name() == s)
    }
    pub(crate) fn apply(self, u: Tensor<2>) -> Tensor<2> {
        match self {
            Activation::Relu => activation::relu(u),
            Activation::Silu => activation::silu(u),
            Activation::Gelu => activation::gelu(u),
            Activation::Tanh => u.tanh(),
        }
    }
    /// The derivative σ′(u), elementwise.
    pub(crate) fn derivative(self, u: Tensor<2>) -> Tensor<2> {
        match self {
            Activation::Relu => u.greater_elem(0.0).float(),
            Activation::Silu => {
                let s = activation::sigmoid(u.clone());
                s.clone() * (u * (s.neg() + 1.0) + 1.0)
            }
            Activation::Gelu => {
                // d/du [u Φ(u)] = Φ(u) + u φ(u).
                let cdf = ((u.clone() * core::f64::consts::FRAC_1_SQRT_2).erf() + 1.0) * 0.5;
                let pdf = (u.clone().square() * -0.5).exp() * (1.0 / (2.0 * PI).sqrt());
                cdf + u * pdf
            }
            Activation::Tanh => u.tanh().square().neg() + 1.0,
        }
    }
}

/// Architecture of a field network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    /// Units per hidden layer.
    pub width: usize,
    /// Number of hidden layers.
    pub depth: usize,
    /// Hidden nonlinearity.
    pub activation: Activation,
    /// Fourier features of the time input: sin(πku), cos(πku) for k = 1..=fourier, besides u.
    pub fourier: usize,
    /// Octaves of Fourier features of each coordinate: sin(ωx), cos(ωx) with ω = π·2^k/4 for
    /// k = 0..spatial (periods 8, 4, 2, 1, … in input units), besides x itself. They counter
    /// the MLP's bias towards smooth functions, which blurs sharp targets (BENCHMARKS.md).
    #[serde(default)]
    pub spatial: usize,
}

impl Default for NetConfig {
    /// 3 hidden layers of 128 SiLU units; raw time plus 3 Fourier pairs; 6 octaves of position
    /// features (see BENCHMARKS.md for the measurements behind each choice).
    fn default() -> Self {
        Self {
            width: 128,
            depth: 3,
            activation: Activation::Silu,
            fourier: 3,
            spatial: 6,
        }
    }
}

impl NetConfig {
    /// The network of a target on the line (live training of the space–time figure): 2 hidden
    /// layers of 64 SiLU units, the same time features, 4 position octaves (periods 8 to 1:
    /// the line's targets are no sharper than that).
    pub fn line() -> Self {
        Self {
            width: 64,
            depth: 2,
            spatial: 4,
            ..Self::default()
        }
    }
    /// Inputs: x (2), u (1), 2·fourier time features and 4·spatial coordinate features.
    pub fn inputs(&self) -> usize {
        Features {
            fourier: self.fourier,
            spatial: self.spatial,
        }
        .len()
    }
    /// Layer shapes (d_in, d_out) in order.
    pub fn shapes(&self) -> Vec<(usize, usize)> {
        let mut dims = vec![self.inputs()];
        dims.extend(std::iter::repeat_n(self.width, self.depth));
        dims.push(2);
        dims.windows(2).map(|w| (w[0], w[1])).collect()
    }
    /// Number of parameters.
    pub fn num_params(&self) -> usize {
        self.shapes().iter().map(|(i, o)| i * o + o).sum()
    }
    /// Checks the sizes are usable.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=4096).contains(&self.width) {
            return Err(format!("width {} must be in 1..=4096", self.width));
        }
        if !(1..=16).contains(&self.depth) {
            return Err(format!("depth {} must be in 1..=16", self.depth));
        }
        if self.fourier > 32 {
            return Err(format!("fourier {} must be at most 32", self.fourier));
        }
        if self.spatial > 8 {
            return Err(format!("spatial {} must be at most 8", self.spatial));
        }
        Ok(())
    }
    /// A freshly initialised network on `device`: weights and biases uniform in ±1/√fan_in (as
    /// PyTorch's `Linear`), drawn on the host so that a seed gives the same network on every
    /// backend.
    pub fn init(&self, device: &Device, rng: &mut Rng) -> FieldNet {
        FieldNet {
            layers: init_layers(&self.shapes(), device, rng),
            activation: self.activation,
            fourier: self.fourier,
            spatial: self.spatial,
        }
    }

    /// A network with the given parameters (weights `[d_in, d_out]` row-major, then biases, per
    /// layer), after checking every length.
    pub fn from_params(&self, params: &[Vec<f32>], device: &Device) -> Result<FieldNet, String> {
        let layers = layers_from_params(&self.shapes(), params, device)?;
        Ok(FieldNet {
            layers,
            activation: self.activation,
            fourier: self.fourier,
            spatial: self.spatial,
        })
    }
}

/// Fresh layers of the given shapes: weights and biases uniform in ±1/√fan_in, drawn on the
/// host in order.
pub(crate) fn init_layers(
    shapes: &[(usize, usize)],
    device: &Device,
    rng: &mut Rng,
) -> Vec<Linear> {
    shapes
        .iter()
        .map(|&(i, o)| {
            let bound = 1.0 / (i as f64).sqrt();
            let mut draw = |n: usize| -> Vec<f32> {
                (0..n)
                    .map(|_| (bound * (2.0 * rng.uniform() - 1.0)) as f32)
                    .collect()
            };
            let w = draw(i * o);
            let b = draw(o);
            linear(w, b, i, o, device)
        })
        .collect()
}

/// Layers of the given shapes from their parameters (weights `[d_in, d_out]` row-major, then
/// biases, per layer), after checking every length.
pub(crate) fn layers_from_params(
    shapes: &[(usize, usize)],
    params: &[Vec<f32>],
    device: &Device,
) -> Result<Vec<Linear>, String> {
    if params.len() != 2 * shapes.len() {
        return Err(format!(
            "expected {} parameter tensors, found {}",
            2 * shapes.len(),
            params.len()
        ));
    }
    let mut layers = Vec::with_capacity(shapes.len());
    for (k, &(i, o)) in shapes.iter().enumerate() {
        let (w, b) = (&params[2 * k], &params[2 * k + 1]);
        if w.len() != i * o || b.len() != o {
            return Err(format!(
                "layer {k}: expected a {i}×{o} weight and {o} biases, found {} and {} values",
                w.len(),
                b.len()
            ));
        }
        layers.push(linear(w.clone(), b.clone(), i, o, device));
    }
    Ok(layers)
}

pub(crate) fn linear(
    w: Vec<f32>,
    b: Vec<f32>,
    d_in: usize,
    d_out: usize,
    device: &Device,
) -> Linear {
    let w = Tensor::<2>::from_data(TensorData::new(w, [d_in, d_out]), device);
    let b = Tensor::<1>::from_data(TensorData::new(b, [d_out]), device);
    linear_of(w, b)
}

/// A linear layer with the weight `[d_in, d_out]` and bias `b`.
pub(crate) fn linear_of(w: Tensor<2>, b: Tensor<1>) -> Linear {
    Linear {
        weight: Param::from_tensor(w),
        bias: Some(Param::from_tensor(b)),
    }
}

/// An MLP f(u, x) ∈ ℝ² of the time-like input u ∈ [0, 1] (a column) and x ∈ ℝ².
#[derive(Module, Debug)]
pub struct FieldNet {
    /// The linear layers; weights are `[d_in, d_out]`.
    pub layers: Vec<Linear>,
    #[module(skip)]
    activation: Activation,
    fourier: usize,
    spatial: usize,
}

impl FieldNet {
    /// A network of `config`'s architecture with the given layers.
    pub(crate) fn from_layers(config: &NetConfig, layers: Vec<Linear>) -> Self {
        Self {
            layers,
            activation: config.activation,
            fourier: config.fourier,
            spatial: config.spatial,
        }
    }

    /// The network's architecture, read from its layers.
    pub fn config(&self) -> NetConfig {
        let width = self.layers.first().map_or(0, |l| l.weight.dims()[1]);
        NetConfig {
            width,
            depth: self.layers.len().saturating_sub(1),
            activation: self.activation,
            fourier: self.fourier,
            spatial: self.spatial,
        }
    }

    /// self ← d·self + (1 − d)·other, parameter by parameter (`other` may be on the autodiff
    /// device; the result stays on self's device and outside any graph).
    pub fn blend(&mut self, other: &FieldNet, d: f64) {
        for (a, b) in self.layers.iter_mut().zip(&other.layers) {
            let w = a.weight.val() * d + b.weight.val().inner() * (1.0 - d);
            a.weight = Param::from_tensor(w);
            if let (Some(ab), Some(bb)) = (a.bias.as_mut(), b.bias.as_ref()) {
                *ab = Param::from_tensor(ab.val() * d + bb.val().inner() * (1.0 - d));
            }
        }
    }

    /// The network's input features (and, when asked, their derivatives along x₁ and x₂).
    fn features(
        &self,
        u: Tensor<2>,
        x: Tensor<2>,
        tangents: bool,
    ) -> (Tensor<2>, Option<[Tensor<2>; 2]>) {
        Features {
            fourier: self.fourier,
            spatial: self.spatial,
        }
        .of(u, x, tangents)
    }

    /// f(u, x).
    ///
    /// # Shapes
    /// `u`: `[B, 1]`, `x`: `[B, 2]` → `[B, 2]`.
    pub fn forward(&self, u: Tensor<2>, x: Tensor<2>) -> Tensor<2> {
        let (mut h, _) = self.features(u, x, false);
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(h);
            if i < last {
                h = self.activation.apply(h);
            }
        }
        h
    }

    /// f(u, x) and its divergence in x, ∂f₁/∂x₁ + ∂f₂/∂x₂, by forward tangent propagation
    /// (docs/math.md §5.1): about three forward passes, and differentiable in the parameters.
    ///
    /// # Shapes
    /// `u`: `[B, 1]`, `x`: `[B, 2]` → (`[B, 2]`, `[B, 1]`).
    pub fn forward_div(&self, u: Tensor<2>, x: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let (mut h, input_tangents) = self.features(u, x, true);
        let mut tangents =
            input_tangents.unwrap_or_else(|| unreachable!("tangents were asked for"));
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            let w = layer.weight.val();
            let pre = layer.forward(h);
            let [a, b] = tangents;
            let (a, b) = (a.matmul(w.clone()), b.matmul(w));
            if i == last {
                let n = pre.dims()[0];
                let div = a.slice([0..n, 0..1]) + b.slice([0..n, 1..2]);
                return (pre, div);
            }
            let d = self.activation.derivative(pre.clone());
            tangents = [a * d.clone(), b * d];
            h = self.activation.apply(pre);
        }
        unreachable!("a field network has at least one layer")
    }
}
