//! Training the flow map by self-distillation (Boffi, Albergo, Vanden-Eijnden, "How to build a
//! consistency model: learning flow maps via self-distillation", arXiv 2505.18825).
//!
//! The map is X̂_{s,t}(x) = G_{s,t}(x) + (t − s)·F(s, t, x): the Gaussian stand-in's exact map
//! ([`super::gauss`]) plus a network's residual, so X̂_{s,s} = x exactly and the tangent
//! v̂_{t,t} = ∂_t X̂_{s,t}|_{t=s} = b̄_t + F(t, t, ·) is a velocity (b̄ the stand-in's). Each step
//! trains two things at once, on the two parts of one batch:
//!
//! - **the diagonal** (half the rows, [`DIAGONAL_SHARE`]): v̂_{t,t}(x_t) regresses the
//!   interpolant's velocity, flow matching on the map's tangent. The target is the batch
//!   posterior's b = β̇g + (σσ̇/σ²)(x − βg) (g the posterior mean of x1 over 256 batch samples,
//!   `crate::posterior`), the same minimiser as İ with far less variance;
//! - **the distillation** (the other rows), at (s, t) drawn uniformly on the triangle
//!   t0 ≤ s < t ≤ T ([`draw_pair`]) and x_s ~ ρ(s) from the interpolant:
//!   - Lagrangian ([`Distill::Lagrangian`]): ∂_t X̂_{s,t}(x_s) against the stop-gradient tangent
//!     at the map's own end point, v̂_{t,t}(X̂_{s,t}(x_s)): the map follows its own velocity. The
//!     t-derivative comes from forward tangents ([`MapNet::forward_dt`]).
//!   - progressive ([`Distill::Progressive`]): X̂_{s,t}(x_s) against the stop-gradient
//!     composition X̂_{u,t}(X̂_{s,u}(x_s)) at u ~ U(s, t) (the semigroup), measured in velocity
//!     units (divided by t − s);
//!   - exact ([`Distill::Exact`], a reference): X̂_{s,t}(x_s) against the exact map, in the
//!     same units, and the diagonal against the exact b.
//!
//! T = 1 − δ: the map ends where the samplers stop before their Tweedie jump (δ = 10⁻³, where
//! ρ(T) is the target blurred by σ(T) ≈ 0.03).

use burn::module::Module;
use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::tensor::Device;
use interplay_core::sampling::streams;
use interplay_core::targets::ExactTarget;
use interplay_core::{P2, Rng, Schedule, Target};

use super::field::{END, MapField};
use super::gauss::GaussMap;
use super::net::MapNet;
use super::step::{self, Cols, push_affine, push2};
pub use super::step::{Distill, MapLosses};
use crate::NnError;
use crate::batch::TimeDraw;
use crate::objective::sigma_data;
use crate::posterior::{BatchPosterior, Centre};
use crate::trainer::TrainConfig;

/// The share of each batch's rows on the diagonal s = t (half: one jump came out 0.87 in the
/// squares against 0.82 with a quarter, after the same 1500 steps; BENCHMARKS.md, "Flow maps").
pub const DIAGONAL_SHARE: f64 = 0.5;

/// A pair s < t on the triangle start ≤ s < t ≤ [`END`]: uniform, then both times warped by
/// `times`' warp (the diagonal's), which keeps their order and, with a power above 1, draws more
/// of the short jumps near t = 1 that a few-step sampler ends with. The one-step jump
/// (start, END) is a corner of it, reached by the distillation from every smaller gap.
pub fn draw_pair(rng: &mut Rng, start: f64, times: &TimeDraw) -> (f64, f64) {
    let (a, b) = (rng.uniform(), rng.uniform());
    let (lo, hi) = (a.min(b), a.max(b));
    let at = |u: f64| start + (END - start) * times.warp(u);
    (at(lo), at(hi))
}

/// Owns the network, its moving average, its optimiser, the RNG and the step count.
pub struct MapTrainer {
    /// The run's settings (`objective` is flow-map; `batch` counts both parts).
    pub config: TrainConfig,
    /// How the map away from the diagonal is learned.
    pub distill: Distill,
    /// The schedule whose ODE the map solves.
    pub schedule: Schedule,
    /// The target.
    pub target: Target,
    exact: ExactTarget,
    /// The exact fields, for [`Distill::Exact`] only.
    exact_field: Option<interplay_core::ExactField>,
    gauss: GaussMap,
    sigma_data: f64,
    pub(super) device: Device,
    pub(super) net: MapNet,
    /// Whether a step splits its batch over two threads (natively on the CPU).
    parallel: bool,
    average: Option<MapNet>,
    optim: ModuleOptimizer,
    rng: Rng,
    step: u64,
}

impl MapTrainer {
    /// A fresh run on `device` (an autodiff device is made from it).
    pub fn new(
        config: TrainConfig,
        distill: Distill,
        schedule: Schedule,
        target: Target,
        device: &Device,
    ) -> Result<Self, NnError> {
        Self::build(config, distill, schedule, target, None, 0, device)
    }

    /// Continues from saved parameters (the optimiser's moments start afresh).
    pub fn resume(
        config: TrainConfig,
        distill: Distill,
        schedule: Schedule,
        target: Target,
        params: &[Vec<f32>],
        step: u64,
        device: &Device,
    ) -> Result<Self, NnError> {
        Self::build(
            config,
            distill,
            schedule,
            target,
            Some(params),
            step,
            device,
        )
    }

    fn build(
        config: TrainConfig,
        distill: Distill,
        schedule: Schedule,
        target: Target,
        params: Option<&[Vec<f32>]>,
        step: u64,
        device: &Device,
    ) -> Result<Self, NnError> {
        config.validate().map_err(NnError::Config)?;
        if let Some(issue) = schedule.validate().first() {
            return Err(NnError::Config(format!("invalid schedule: {issue}")));
        }
        if config.batch < 2 {
            return Err(NnError::Config(
                "the flow map needs a batch of at least 2 (rows on the diagonal and off it)".into(),
            ));
        }
        if config.coupling != crate::coupling::Coupling::Independent {
            return Err(NnError::Config(
                "the flow map learns the ODE of independent pairs: use coupling independent".into(),
            ));
        }
        if matches!(target, Target::Line(_)) {
            return Err(NnError::Config(
                "the flow map is drawn in the plane: choose a target in the plane, not on the line"
                    .into(),
            ));
        }
        let exact = ExactTarget::new(&target);
        let gauss = GaussMap::new(schedule, &exact);
        let exact_field = (distill == Distill::Exact)
            .then(|| interplay_core::ExactField::from_parts(schedule, exact.clone()));
        let device = device.clone().autodiff();
        let net = match params {
            Some(p) => MapNet::from_params(&config.net, p, &device).map_err(NnError::Checkpoint)?,
            None => MapNet::init(
                &config.net,
                &device,
                &mut Rng::stream(config.seed, streams::NET_INIT),
            ),
        };
        let average = (config.ema > 0.0).then(|| net.valid());
        Ok(Self {
            rng: Rng::stream(config.seed ^ step.rotate_left(17), streams::TRAINING),
            sigma_data: sigma_data(&exact),
            exact_field,
            config,
            distill,
            schedule,
            target,
            exact,
            gauss,
            parallel: crate::trainer::parallel_on(&device),
            device,
            net,
            average,
            optim: AdamConfig::new().with_epsilon(1e-8).init(),
            step,
        })
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// Draws the host columns of one batch: the diagonal part and the distillation part.
    pub(super) fn draw(&mut self) -> (Cols, Cols) {
        let n = self.config.batch;
        let nd = ((n as f64 * DIAGONAL_SHARE).round() as usize).clamp(1, n - 1);
        let (rng, exact, gauss, schedule) =
            (&mut self.rng, &self.exact, &self.gauss, &self.schedule);
        let exact_field = self.exact_field.as_ref();
        let start = schedule.t_start();
        let times = TimeDraw {
            t_min: self.config.t_min,
            power: self.config.t_power,
        };
        let x1 = exact.sample(rng, n);
        let mut post = (self.config.posterior_refs > 1).then(|| {
            BatchPosterior::new(&x1, self.config.posterior_refs).with_centre(Centre {
                mean: exact.mean(),
                sigma_data: self.sigma_data,
            })
        });
        let interpolant = |rng: &mut Rng, t: f64, x1: P2| {
            let (x0, z) = (exact.base_normal(rng), exact.base_normal(rng));
            let at = schedule.at(t);
            [0, 1].map(|d| at.alpha * x0[d] + at.beta * x1[d] + at.gamma * z[d])
        };
        let (mut diag, mut off) = (Cols::default(), Cols::default());
        for (row, &x1r) in x1.iter().enumerate().take(nd) {
            let t = times
                .at(rng.uniform())
                .clamp(start.max(self.config.t_min), END);
            let x = interpolant(rng, t, x1r);
            let at = schedule.at(t);
            let s2 = at.sigma2();
            let g = post
                .as_mut()
                .map_or(x1r, |p| p.mean(row, x, at.beta, s2.sqrt()));
            let bar = gauss.velocity(t).apply(x);
            let b = match exact_field {
                Some(f) => {
                    let b = f.at(t).velocity(x);
                    [b[0] - bar[0], b[1] - bar[1]]
                }
                None => [0, 1].map(|d| {
                    at.d_beta * g[d] + at.sigma_d_sigma() / s2 * (x[d] - at.beta * g[d]) - bar[d]
                }),
            };
            diag.st.extend([t as f32, t as f32]);
            push2(&mut diag.x, x);
            push2(&mut diag.p, b);
        }
        for &x1r in &x1[nd..] {
            let (s, t) = draw_pair(rng, start, &times);
            let x = interpolant(rng, s, x1r);
            off.st.extend([s as f32, t as f32]);
            push2(&mut off.x, x);
            off.gap.push((t - s) as f32);
            push2(&mut off.p, gauss.map(s, t).apply(x));
            match self.distill {
                Distill::Lagrangian => {
                    push2(&mut off.dp, gauss.map_dt(s, t).apply(x));
                    off.ut.extend([t as f32, t as f32]);
                    push_affine(&mut off.aff, &gauss.velocity(t));
                }
                Distill::Progressive => {
                    let u = s + (t - s) * rng.uniform();
                    off.su.extend([s as f32, u as f32]);
                    push2(&mut off.g_su, gauss.map(s, u).apply(x));
                    off.gap_su.push((u - s) as f32);
                    off.ut.extend([u as f32, t as f32]);
                    off.gap_ut.push((t - u) as f32);
                    push_affine(&mut off.aff, &gauss.map(u, t));
                }
                Distill::Exact => {
                    let mut y = [x];
                    if let Some(f) = exact_field
                        && interplay_core::flow_map::exact_flow_map(f, &mut y, s, t).is_ok()
                    {
                        push2(&mut off.dp, y[0]);
                    } else {
                        // A solve the stability rule stopped (never on the project's targets):
                        // the row asks for the stand-in's map.
                        push2(&mut off.dp, gauss.map(s, t).apply(x));
                    }
                }
            }
        }
        (diag, off)
    }

    /// One Adam step on a fresh batch; the losses, unread. Natively on the CPU the batch's
    /// gradient is taken in two halves on two threads (`flow_map/step.rs`).
    pub fn step(&mut self) -> MapLosses {
        let (diag, off) = self.draw();
        let (g, losses) = step::gradients(
            &self.net,
            self.distill,
            diag,
            off,
            &self.device,
            self.parallel,
        );
        let lr = self.config.lr_at(self.step);
        self.net = self.optim.step(lr, self.net.clone(), g);
        if let Some(avg) = self.average.as_mut() {
            let d = self
                .config
                .ema
                .min((1.0 + self.step as f64) / (10.0 + self.step as f64));
            avg.blend(&self.net, d);
        }
        self.step += 1;
        losses
    }

    /// The network to sample with and to save: the moving average when enabled, else the raw
    /// weights (on the plain device).
    pub fn model(&self) -> MapNet {
        match &self.average {
            Some(a) => a.clone(),
            None => self.net.valid(),
        }
    }

    /// The map as it stands, on the plain device.
    pub fn field(&self) -> MapField {
        MapField::new(
            self.model(),
            self.gauss,
            self.schedule,
            self.device.clone().without_autodiff(),
        )
    }
}
