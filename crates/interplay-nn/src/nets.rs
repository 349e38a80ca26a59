//! Learning a transport for sampling without data (NETS: Albergo and Vanden-Eijnden, "NETS: A
//! Non-Equilibrium Transport Sampler", arXiv 2410.02711): a drift b̂_τ(x) that carries the
//! annealed walkers of `interplay_core::annealing` along with their moving density, so that
//! their Jarzynski weights stay even.
//!
//! The drift is a field network ([`FieldNet`], τ as its time, its divergence exact by forward
//! tangents) and the free energy's rate ∂_τF̂ a piecewise-linear function of τ on [`GRID`] nodes.
//! Both are learned off-policy, without backpropagating through the walkers, by the
//! physics-informed loss over walker positions (τ, x):
//!
//! ```text
//! E |∇·b̂_τ(x) − ∇U_τ(x)·b̂_τ(x) − ∂_τU_τ(x) + ∂_τF̂_τ|²,
//! ```
//!
//! zero exactly when b̂ transports e^{−U_τ}/Z_τ (and F̂_τ = −log Z_τ up to a constant); the
//! walkers' log-weights then all grow alike. The positions come from walkers run with the
//! drift learned so far, refreshed every [`REFRESH`] steps (the first set without a drift).

use burn::module::{Module, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use interplay_core::annealing::{Drift, Energy, Walkers, WeightStats, gradient_and_rate, step};
use interplay_core::{P2, Rng};

use crate::net::{FieldNet, NetConfig};
use crate::sampler::points_tensor;
use crate::{NnError, read_values};

/// Nodes of ∂_τF̂ on [0, 1].
pub const GRID: usize = 33;
/// Training steps between two refreshes of the walker positions.
pub const REFRESH: u64 = 50;

/// The learned drift and free-energy rate.
#[derive(Module, Debug)]
pub struct Transport {
    /// b̂_τ(x).
    pub drift: FieldNet,
    /// ∂_τF̂ at the nodes of [`GRID`], `[GRID, 1]`.
    pub rate: Param<Tensor<2>>,
}

/// The settings of a run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NetsConfig {
    /// The drift's network.
    pub net: NetConfig,
    /// Rows (τ, x) per training step.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Walkers of each refresh of the positions.
    pub walkers: usize,
    /// Annealing steps from τ = 0 to 1.
    pub steps: usize,
    /// Langevin noise ε.
    pub eps: f64,
    /// Seed of the initial weights, the walkers and the rows.
    pub seed: u64,
}

impl Default for NetsConfig {
    fn default() -> Self {
        Self {
            net: NetConfig {
                width: 64,
                depth: 2,
                spatial: 3,
                ..NetConfig::default()
            },
            batch: 1024,
            lr: 3e-3,
            walkers: 2000,
            steps: 100,
            eps: 1.0,
            seed: 0,
        }
    }
}

/// The piecewise-linear basis of τ on the [`GRID`] nodes (two non-zero weights).
fn hat(tau: f64) -> [(usize, f32); 2] {
    let u = tau.clamp(0.0, 1.0) * (GRID - 1) as f64;
    let i = (u.floor() as usize).min(GRID - 2);
    let f = u - i as f64;
    [(i, (1.0 - f) as f32), (i + 1, f as f32)]
}

/// Runs `n` walkers from N(0, I) to τ = 1 in `steps` steps with the drift of `transport` (none:
/// annealing alone), recording the weights' statistics after every step, and every position
/// visited (τ, x) for training.
pub async fn run_walkers(
    energy: &Energy,
    transport: Option<&Transport>,
    device: &Device,
    config: &NetsConfig,
    rng: &mut Rng,
) -> Result<(Walkers, Vec<WeightStats>, Vec<(f64, P2)>), NnError> {
    let mut visited = Vec::with_capacity(config.walkers * config.steps.max(1));
    let (w, record) = walk(energy, transport, device, config, rng, |k, w| {
        if k < config.steps.max(1) {
            visited.extend(w.x.iter().map(|&x| (w.tau, x)));
        }
    })
    .await?;
    Ok((w, record, visited))
}

/// The walkers' loop: `n` walkers from N(0, I) to τ = 1 in `steps` steps with the drift of
/// `transport` (none: annealing alone), showing `each` the walkers before every step and after
/// the last (with the step's index, `steps` for the end); returns them at τ = 1 and the weights'
/// statistics after every step (the first entry at τ = 0).
pub async fn walk(
    energy: &Energy,
    transport: Option<&Transport>,
    device: &Device,
    config: &NetsConfig,
    rng: &mut Rng,
    mut each: impl FnMut(usize, &Walkers),
) -> Result<(Walkers, Vec<WeightStats>), NnError> {
    let mut w = Walkers::new(config.walkers, rng);
    let steps = config.steps.max(1);
    let dtau = 1.0 / steps as f64;
    let mut record = vec![w.stats()];
    for k in 0..steps {
        each(k, &w);
        let d = if k + 1 == steps { 1.0 - w.tau } else { dtau };
        match transport {
            None => step(energy, &mut w, d, config.eps, None, rng),
            Some(t) => {
                let n = w.x.len();
                let tau =
                    Tensor::<2>::from_data(TensorData::new(vec![w.tau as f32; n], [n, 1]), device);
                let (b, div) = t.drift.forward_div(tau, points_tensor(&w.x, device));
                let b = read_values(b).await?;
                let div = read_values(div).await?;
                let b: Vec<P2> = b
                    .chunks_exact(2)
                    .map(|c| [f64::from(c[0]), f64::from(c[1])])
                    .collect();
                let div: Vec<f64> = div.into_iter().map(f64::from).collect();
                step(
                    energy,
                    &mut w,
                    d,
                    config.eps,
                    Some(Drift { b: &b, div: &div }),
                    rng,
                );
            }
        }
        record.push(w.stats());
    }
    each(steps, &w);
    Ok((w, record))
}

/// Owns the transport, its optimiser, the walker positions it trains on and the RNG.
pub struct NetsTrainer {
    /// The run's settings.
    pub config: NetsConfig,
    energy: Energy,
    device: Device,
    transport: Transport,
    optim: ModuleOptimizer,
    rng: Rng,
    positions: Vec<(f64, P2)>,
    step: u64,
}

impl NetsTrainer {
    /// A fresh run for `energy` on `device`.
    pub async fn new(energy: Energy, config: NetsConfig, device: &Device) -> Result<Self, NnError> {
        config.net.validate().map_err(NnError::Config)?;
        if config.eps.is_nan() || config.eps <= 0.0 || config.walkers == 0 || config.batch == 0 {
            return Err(NnError::Config(
                "the transport needs ε > 0, some walkers and a batch of at least one row".into(),
            ));
        }
        let mut rng = Rng::stream(config.seed, interplay_core::sampling::streams::TRAINING);
        let plain = device.clone().without_autodiff();
        let (_, _, positions) = run_walkers(&energy, None, &plain, &config, &mut rng).await?;
        let device = device.clone().autodiff();
        let drift = config.net.init(
            &device,
            &mut Rng::stream(config.seed, interplay_core::sampling::streams::NET_INIT),
        );
        let rate = Param::from_tensor(Tensor::<2>::zeros([GRID, 1], &device));
        Ok(Self {
            config,
            energy,
            device,
            transport: Transport { drift, rate },
            optim: AdamConfig::new().with_epsilon(1e-8).init(),
            rng,
            positions,
            step: 0,
        })
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// The energy.
    pub fn energy(&self) -> &Energy {
        &self.energy
    }

    /// The transport as it stands, on the plain device.
    pub fn transport(&self) -> Transport {
        self.transport.valid()
    }

    /// One Adam step on rows drawn from the walker positions (refreshed with the current drift
    /// every [`REFRESH`] steps); the loss, unread.
    pub async fn train_step(&mut self) -> Result<Tensor<1>, NnError> {
        if self.step > 0 && self.step.is_multiple_of(REFRESH) {
            let t = self.transport();
            let plain = self.device.clone().without_autodiff();
            let (_, _, positions) =
                run_walkers(&self.energy, Some(&t), &plain, &self.config, &mut self.rng).await?;
            self.positions = positions;
        }
        let n = self.config.batch;
        let (mut tau, mut xs, mut grad, mut rate, mut basis) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(2 * n),
            Vec::with_capacity(n),
            vec![0.0f32; n * GRID],
        );
        for row in 0..n {
            let (t, x) = self.positions[self.rng.below(self.positions.len() as u64) as usize];
            let (g, du) = gradient_and_rate(&self.energy, t, x);
            tau.push(t as f32);
            xs.push(x);
            grad.extend([g[0] as f32, g[1] as f32]);
            rate.push(du as f32);
            for (i, w) in hat(t) {
                basis[row * GRID + i] += w;
            }
        }
        let dev = &self.device;
        let col = |v: Vec<f32>, w: usize| Tensor::<2>::from_data(TensorData::new(v, [n, w]), dev);
        let (b, div) = self
            .transport
            .drift
            .forward_div(col(tau, 1), points_tensor(&xs, dev));
        let drift_work = (col(grad, 2) * b).sum_dim(1);
        let df = col(basis, GRID).matmul(self.transport.rate.val());
        let r = div - drift_work - col(rate, 1) + df;
        let loss = r.square().mean();
        let mut grads = loss.backward();
        let g = GradientsParams::from_module(&mut grads, &self.transport);
        self.transport = self.optim.step(self.config.lr, self.transport.clone(), g);
        self.step += 1;
        Ok(loss.inner())
    }
}
