//! Training the multi-marginal network by regression (docs/math.md §8.6): each step draws α on
//! the triangle, x0 ~ N(0, I), x1 ~ ρ1, x2 ~ ρ2, forms x = Σ α_k x_k and regresses the network's
//! outputs on x_k − skip_k(α, x), whose conditional mean given x(α) = x is g_k − skip_k. And the
//! checkpoint of such a run.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use interplay_core::multimarginal::Alpha;
use interplay_core::sampling::streams;
use interplay_core::targets::ExactTarget;
use interplay_core::{ObjectiveKind, Rng, Target};
use serde::{Deserialize, Serialize};

use crate::NnError;
use crate::checkpoint::{frame, read_params_of, split, unframe};
use crate::multi::{MultiField, MultiNet, MultiSkip, OUTPUTS, shapes};
use crate::spec::TargetSpec;
use crate::trainer::TrainConfig;

/// The share of training α drawn on an edge of the triangle (one weight zero), where paths
/// between two vertices run; the rest is uniform on the triangle.
pub const EDGE_SHARE: f64 = 0.25;

/// One α: with probability [`EDGE_SHARE`] uniform on a uniformly chosen edge, else uniform on
/// the triangle (normalised exponentials: Dirichlet(1, 1, 1)).
pub fn draw_alpha(rng: &mut Rng) -> Alpha {
    if rng.uniform() < EDGE_SHARE {
        let zero = rng.below(3) as usize;
        let u = rng.uniform();
        let (i, j) = ((zero + 1) % 3, (zero + 2) % 3);
        let mut a = [0.0; 3];
        a[i] = u;
        a[j] = 1.0 - u;
        a
    } else {
        let e: [f64; 3] = std::array::from_fn(|_| -rng.uniform_open0().ln());
        let s: f64 = e.iter().sum();
        e.map(|v| v / s)
    }
}

/// Owns the network, its optimiser, the RNG and the step count.
pub struct MultiTrainer {
    /// The run's settings (`objective` is [`ObjectiveKind::Multimarginal`]).
    pub config: TrainConfig,
    /// ρ1 and ρ2.
    pub targets: [Target; 2],
    exact: [ExactTarget; 2],
    skip: MultiSkip,
    device: Device,
    net: MultiNet,
    optim: ModuleOptimizer,
    rng: Rng,
    step: u64,
}

impl MultiTrainer {
    /// A fresh run on `device` (an autodiff device is made from it).
    pub fn new(
        config: TrainConfig,
        first: Target,
        second: Target,
        device: &Device,
    ) -> Result<Self, NnError> {
        Self::build(config, [first, second], None, 0, device)
    }

    /// Resumes from a checkpoint's parameters (the optimiser's moments start afresh).
    pub fn resume(ckpt: &MultiCheckpoint, device: &Device) -> Result<Self, NnError> {
        let h = &ckpt.header;
        let targets = [
            h.first.target().map_err(NnError::Checkpoint)?,
            h.second.target().map_err(NnError::Checkpoint)?,
        ];
        Self::build(
            h.train.clone(),
            targets,
            Some(&ckpt.params),
            h.steps,
            device,
        )
    }

    /// Continues a checkpoint's network with other settings and targets (the same
    /// architecture; the optimiser's moments start afresh).
    pub fn resume_with(
        config: TrainConfig,
        first: Target,
        second: Target,
        ckpt: &MultiCheckpoint,
        device: &Device,
    ) -> Result<Self, NnError> {
        let (have, want) = (&ckpt.header.train.net, &config.net);
        if have != want {
            let says = |n: &crate::net::NetConfig| {
                format!(
                    "{}×{} {} with {} Fourier pairs and {} position octaves",
                    n.depth,
                    n.width,
                    n.activation.name(),
                    n.fourier,
                    n.spatial
                )
            };
            return Err(NnError::Config(format!(
                "the checkpoint's network is {}, the settings ask for {}",
                says(have),
                says(want)
            )));
        }
        Self::build(
            config,
            [first, second],
            Some(&ckpt.params),
            ckpt.header.steps,
            device,
        )
    }

    fn build(
        config: TrainConfig,
        targets: [Target; 2],
        params: Option<&[Vec<f32>]>,
        step: u64,
        device: &Device,
    ) -> Result<Self, NnError> {
        config.validate().map_err(NnError::Config)?;
        if config.ema > 0.0 {
            return Err(NnError::Config(
                "the multimarginal objective keeps no moving average of the weights: use ema 0"
                    .into(),
            ));
        }
        if targets.iter().any(|t| matches!(t, Target::Line(_))) {
            return Err(NnError::Config(
                "the multimarginal interpolant is drawn in the plane: choose two targets in the \
                 plane, not on the line"
                    .into(),
            ));
        }
        let exact = [ExactTarget::new(&targets[0]), ExactTarget::new(&targets[1])];
        let skip = MultiSkip::new(&exact[0], &exact[1]);
        let device = device.clone().autodiff();
        let net = match params {
            Some(p) => {
                MultiNet::from_params(&config.net, p, &device).map_err(NnError::Checkpoint)?
            }
            None => {
                let mut init = Rng::stream(config.seed, streams::NET_INIT);
                MultiNet::init(&config.net, &device, &mut init)
            }
        };
        Ok(Self {
            rng: Rng::stream(config.seed ^ step.rotate_left(17), streams::TRAINING),
            config,
            targets,
            exact,
            skip,
            device,
            net,
            optim: AdamConfig::new().with_epsilon(1e-8).init(),
            step,
        })
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// One Adam step on a fresh batch; the loss (½ the mean squared residual summed over the
    /// six outputs), unread.
    pub fn step(&mut self) -> Tensor<1> {
        let n = self.config.batch;
        let rng = &mut self.rng;
        let x0 = rng.normals(n);
        let x1 = self.exact[0].sample(rng, n);
        let x2 = self.exact[1].sample(rng, n);
        let mut ab = Vec::with_capacity(2 * n);
        let mut xs = Vec::with_capacity(2 * n);
        let mut rs = Vec::with_capacity(OUTPUTS * n);
        for i in 0..n {
            let a = draw_alpha(rng);
            let xk = [x0[i], x1[i], x2[i]];
            let x = [0, 1].map(|d| (0..3).map(|k| a[k] * xk[k][d]).sum::<f64>());
            let skip = self.skip.eval(a, x);
            ab.extend([a[1] as f32, a[2] as f32]);
            xs.extend([x[0] as f32, x[1] as f32]);
            for k in 0..3 {
                rs.extend([
                    (xk[k][0] - skip[k][0]) as f32,
                    (xk[k][1] - skip[k][1]) as f32,
                ]);
            }
        }
        let dev = &self.device;
        let t = |v: Vec<f32>, w: usize| Tensor::<2>::from_data(TensorData::new(v, [n, w]), dev);
        let f = self.net.forward(t(ab, 2), t(xs, 2));
        let loss = (f - t(rs, OUTPUTS)).square().sum_dim(1).mean() * 0.5;
        let mut grads = loss.backward();
        let g = GradientsParams::from_module(&mut grads, &self.net);
        let lr = self.config.lr_at(self.step);
        self.net = self.optim.step(lr, self.net.clone(), g);
        self.step += 1;
        loss.inner()
    }

    /// The current network as a field on the plain device.
    pub fn field(&self) -> MultiField {
        MultiField::new(
            self.net.valid(),
            self.skip,
            self.device.clone().without_autodiff(),
        )
    }

    /// A checkpoint of the run so far (read asynchronously).
    pub async fn checkpoint(&self) -> Result<MultiCheckpoint, NnError> {
        let net = self.net.valid();
        Ok(MultiCheckpoint {
            header: MultiHeader {
                objective: ObjectiveKind::Multimarginal,
                first: TargetSpec::from(&self.targets[0]),
                second: TargetSpec::from(&self.targets[1]),
                train: self.config.clone(),
                steps: self.step,
            },
            params: read_params_of(&net.layers).await?,
        })
    }
}

/// The first 8 bytes of a multi-marginal checkpoint.
pub const MULTI_MAGIC: &[u8; 8] = b"IPLYMULT";
/// The format this build writes and reads.
pub const MULTI_FORMAT: u32 = 1;

/// What a multi-marginal checkpoint holds besides the numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MultiHeader {
    /// Always [`ObjectiveKind::Multimarginal`].
    pub objective: ObjectiveKind,
    /// ρ1.
    pub first: TargetSpec,
    /// ρ2.
    pub second: TargetSpec,
    /// The training settings (the architecture is `train.net`).
    pub train: TrainConfig,
    /// Optimisation steps taken.
    pub steps: u64,
}

/// A decoded multi-marginal checkpoint: the layout of [`crate::Checkpoint`] with its own
/// prefix, `"IPLYMULT" | u32 version | u32 header length | header | u32 count | f32 × count |
/// u32 FNV-1a`.
#[derive(Clone, Debug, PartialEq)]
pub struct MultiCheckpoint {
    /// The header.
    pub header: MultiHeader,
    /// Per tensor (weight, bias, weight, …) the values.
    pub params: Vec<Vec<f32>>,
}

fn err(msg: impl Into<String>) -> NnError {
    NnError::Checkpoint(msg.into())
}

impl MultiCheckpoint {
    /// The bytes of this checkpoint.
    pub fn to_bytes(&self) -> Vec<u8> {
        frame(
            MULTI_MAGIC,
            MULTI_FORMAT,
            &self.header,
            self.params.iter().flatten(),
        )
    }

    /// Decodes and checks bytes; the error says what is wrong. Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, NnError> {
        let (header, values) =
            unframe(
                bytes,
                MULTI_MAGIC,
                MULTI_FORMAT,
                "this is not a multimarginal checkpoint (it does not start with \"IPLYMULT\")",
                |header: &MultiHeader| {
                    header.train.net.validate().map_err(|e| {
                        err(format!("the checkpoint's architecture is invalid: {e}"))
                    })?;
                    let want = shapes(&header.train.net)
                        .iter()
                        .map(|(i, o)| i * o + o)
                        .sum();
                    Ok((want, "its network has".to_owned()))
                },
            )?;
        let params = split(&mut values.into_iter(), &shapes(&header.train.net));
        Ok(Self { header, params })
    }

    /// ρ1 and ρ2.
    pub fn targets(&self) -> Result<[Target; 2], NnError> {
        Ok([
            self.header.first.target().map_err(err)?,
            self.header.second.target().map_err(err)?,
        ])
    }

    /// The learned field on `device`.
    pub fn field(&self, device: &Device) -> Result<MultiField, NnError> {
        let [a, b] = self.targets()?;
        let skip = MultiSkip::new(&ExactTarget::new(&a), &ExactTarget::new(&b));
        let net =
            MultiNet::from_params(&self.header.train.net, &self.params, device).map_err(err)?;
        Ok(MultiField::new(net, skip, device.clone()))
    }
}
