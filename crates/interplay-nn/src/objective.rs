//! Training objectives: which networks exist, what each regresses and how it is preconditioned
//! (docs/math.md §3); `crate::batch` draws the host-side batches that feed them.
//!
//! Every loss is written in the paper's normalisation, E[½|f̂|² − target·f̂] (docs/math.md §3.1),
//! whose
//! minimiser is f = E[target | x_t] and whose excess over the minimum is ½E|f̂ − f|². Losses
//! with a factor 1/σ² or γ̇ use antithetic pairs (docs/math.md §3.3), averaged (not summed) so the
//! reported value keeps that normalisation. Batches are drawn on the host with `interplay-core`
//! (seeded, identical on every backend) and uploaded as a few small tensors.

use interplay_core::targets::ExactTarget;
use interplay_core::{ObjectiveKind, Path, Rng, Schedule, ScheduleAt};
use serde::{Deserialize, Serialize};

/// What the networks learn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Objective {
    /// Two networks, b(t, x) and s(t, x) (the reference set-up): L_b with the γ̇z term and L_s,
    /// both antithetic. With `sigma_data` (a Gaussian base), each network is preconditioned like
    /// the schedule-free D: b = A_b·x + K_b·F_b(c_in·x, t) and s = A_s·x + K_s·F_s(c_in·x, t)
    /// (see [`Affine`]), so F_b and F_s regress unit-scale targets; without it (the mirror path)
    /// the networks are b and s themselves.
    VelocityScore {
        /// σ_d of the target when preconditioned.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sigma_data: Option<f64>,
    },
    /// Two networks, v(t, x) = E[α̇x0 + β̇x1 | x_t] and s(t, x); b = v − γγ̇ s (no γ̇ in a loss).
    VScore,
    /// Two networks, b(t, x) and the denoiser η(t, x) = E[z | x_t] (the README sign:
    /// s = −η/γ), or E[x0 | x_t] with s = −η/α when the schedule has no γ (the reference's
    /// `checker-with-denoiser` set-up). b is learned directly because b from η alone,
    /// b = β̇(x + σ²s)/β − σσ̇s, divides the network's error by β → 0 at t = 0.
    Denoiser,
    /// One schedule-free network D(λ, y) = E[x1 | x1 + λξ = y] (docs/math.md §8.4), preconditioned
    /// as D = skip(y) + c_out·F(c_in·y, ln λ) ([`SfAt`], from [`Objective::sf_at`]). Then
    /// g1(t, x) = D(σ/β, x/β) for every α, β, γ, and b, s follow without retraining.
    ScheduleFree {
        /// σ_d, the target's per-coordinate standard deviation.
        sigma_data: f64,
        /// ln λ is drawn uniformly from this range in training.
        log_lambda: (f64, f64),
        /// λ0 of the output scale's narrowing at large λ ([`narrowing`], docs/math.md §8.4);
        /// `None` (checkpoints written before it): c_out as in EDM.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        narrow: Option<f64>,
        /// The floor of the narrowing h² ([`narrowing`]); `None` (checkpoints written before
        /// it): 1/M.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        floor: Option<f64>,
        /// Each training row's loss is weighted by h^p ([`SfAt::weight`]); `None` (checkpoints
        /// written before it): p = 1.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weight_power: Option<f64>,
        /// The target's mean and covariance, for the skip ([`sf_skip`], docs/math.md §8.4);
        /// `None` (checkpoints written before it): the skip c_skip·y of σ_d alone.
        /// Boxed: it would double the size of every objective.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        moments: Option<Box<Moments>>,
    },
}

/// A target's first two moments, exactly ([`ExactTarget::mean`], [`ExactTarget::covariance`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    /// E(x1).
    pub mean: [f64; 2],
    /// Cov(x1) as (c00, c01, c11).
    pub cov: [f64; 3],
}

impl Moments {
    /// The moments of `target`.
    pub fn of(target: &ExactTarget) -> Self {
        Self {
            mean: target.mean(),
            cov: target.covariance(),
        }
    }
}

/// The skip of the schedule-free D at (σ, β): g = A·x + m, affine in x = βx1 + σξ, with A
/// symmetric, stored as (a00, a01, a11).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Skip {
    /// The matrix A.
    pub a: [f64; 3],
    /// The offset m.
    pub m: [f64; 2],
}

impl Skip {
    /// A·x + m.
    pub fn apply(&self, x: [f64; 2]) -> [f64; 2] {
        let [a00, a01, a11] = self.a;
        [
            a00 * x[0] + a01 * x[1] + self.m[0],
            a01 * x[0] + a11 * x[1] + self.m[1],
        ]
    }
    /// tr A, the skip's share of ∇·g.
    pub fn trace(&self) -> f64 {
        self.a[0] + self.a[2]
    }
    /// Some(a) when the skip is a·x (no offset, A = a·I).
    pub fn scalar(&self) -> Option<f64> {
        (self.a[1] == 0.0 && self.a[0] == self.a[2] && self.m == [0.0, 0.0]).then_some(self.a[0])
    }
}

/// The skip of D at (σ, β) (docs/math.md §8.4). With the target's moments it is the posterior
/// mean of x1 given x = βx1 + σξ for a Gaussian x1 of the target's mean μ and covariance Σ:
/// g = μ + A(x − βμ) with A = βΣ(σ²I + β²Σ)⁻¹, exact for a Gaussian target, so the network
/// learns only what is not Gaussian (at large λ that is far smaller than the cross-covariance
/// and mean terms the isotropic skip leaves to it). Without moments, EDM's c_skip·x with σ_d.
pub fn sf_skip(sigma: f64, beta: f64, sigma_data: f64, moments: Option<&Moments>) -> Skip {
    let Some(mo) = moments else {
        let a = precondition(sigma, beta, sigma_data, LOG_LAMBDA_RANGE).0;
        return Skip {
            a: [a, 0.0, a],
            m: [0.0, 0.0],
        };
    };
    // M = σ²I + β²Σ; ΣM⁻¹ is symmetric: [c00·r − c01·q, c01·σ², c11·p − c01·q] / det M. A floor
    // on σ² keeps a singular Σ (a target on the line) finite at σ = 0.
    let s2 = (sigma * sigma).max(1e-12);
    let [c00, c01, c11] = mo.cov;
    let b2 = beta * beta;
    let (p, q, r) = (s2 + b2 * c00, b2 * c01, s2 + b2 * c11);
    let det = p * r - q * q;
    let a = [
        beta * (c00 * r - c01 * q) / det,
        beta * c01 * s2 / det,
        beta * (c11 * p - c01 * q) / det,
    ];
    let mu = mo.mean;
    let am = [a[0] * mu[0] + a[1] * mu[1], a[1] * mu[0] + a[2] * mu[1]];
    Skip {
        a,
        m: [mu[0] - beta * am[0], mu[1] - beta * am[1]],
    }
}

/// Default λ range of the schedule-free objective: it covers t ∈ [0.003, 0.999] for linear +
/// Brownian and t ≤ 0.999 for one-sided linear (λ = (1 − t)/t).
pub const LAMBDA_RANGE: (f64, f64) = (1e-3, 300.0);
/// [`LAMBDA_RANGE`] as logarithms.
const LOG_LAMBDA_RANGE: (f64, f64) = (-6.907_755_278_982_137, 5.703_782_474_656_201);

impl Objective {
    /// The objective `kind`, prepared for `target`; `None` for the multi-marginal one and the
    /// flow map, which train their own networks (`crate::multi_train`, `crate::flow_map`).
    pub fn of(kind: ObjectiveKind, target: &ExactTarget) -> Option<Self> {
        Some(match kind {
            ObjectiveKind::VelocityScore => Objective::VelocityScore {
                sigma_data: Some(sigma_data(target)),
            },
            ObjectiveKind::VScore => Objective::VScore,
            ObjectiveKind::Denoiser => Objective::Denoiser,
            ObjectiveKind::ScheduleFree => Objective::ScheduleFree {
                sigma_data: sigma_data(target),
                log_lambda: (LAMBDA_RANGE.0.ln(), LAMBDA_RANGE.1.ln()),
                narrow: Some(NARROW_LAMBDA),
                floor: Some(NARROW_FLOOR),
                weight_power: Some(WEIGHT_POWER),
                moments: Some(Box::new(Moments::of(target))),
            },
            ObjectiveKind::Multimarginal | ObjectiveKind::FlowMap => return None,
        })
    }

    /// Which objective this is.
    pub fn kind(&self) -> ObjectiveKind {
        match self {
            Objective::VelocityScore { .. } => ObjectiveKind::VelocityScore,
            Objective::VScore => ObjectiveKind::VScore,
            Objective::Denoiser => ObjectiveKind::Denoiser,
            Objective::ScheduleFree { .. } => ObjectiveKind::ScheduleFree,
        }
    }

    /// The CLI name.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The networks, in checkpoint order.
    pub fn nets(&self) -> &'static [&'static str] {
        match self {
            Objective::VelocityScore { .. } => &["b", "s"],
            Objective::VScore => &["v", "s"],
            Objective::Denoiser => &["b", "eta"],
            Objective::ScheduleFree { .. } => &["D"],
        }
    }

    /// Which of [`Objective::nets`] learns the velocity (b, or v beside s) and which the score
    /// (s, or the denoiser's η): the losses the page's `train()` reports as `loss_b` and
    /// `loss_s`. The schedule-free D is neither.
    pub fn velocity_score_nets(&self) -> [Option<usize>; 2] {
        match self {
            Objective::ScheduleFree { .. } => [None, None],
            _ => [Some(0), Some(1)],
        }
    }

    /// σ_d of the objectives preconditioned for a Gaussian base (schedule-free D, and b and s
    /// with `sigma_data`).
    pub fn sigma_d(&self) -> Option<f64> {
        match self {
            Objective::VelocityScore { sigma_data } => *sigma_data,
            Objective::ScheduleFree { sigma_data, .. } => Some(*sigma_data),
            _ => None,
        }
    }

    /// The objective as trained with reference sets of `refs` members
    /// ([`crate::posterior::BatchPosterior`]): the low floor and the flat weight of the
    /// schedule-free D rest on the batch posterior's control variate (docs/math.md §8.4), so
    /// without one (`refs` < 2, plain sample targets, whose noise at large λ is σ_d/c_out) it
    /// keeps the floor 1/M and the weight h.
    pub fn for_refs(mut self, refs: usize) -> Self {
        if let Objective::ScheduleFree {
            floor,
            weight_power,
            ..
        } = &mut self
            && refs < 2
        {
            (*floor, *weight_power) = (None, None);
        }
        self
    }

    /// The objective a fraction `f` into the anneal of the schedule-free D's row weight
    /// ([`crate::TrainConfig::weight_anneal`]): the weight power moves linearly from 1 (the
    /// weight h, which draws the board's edges fastest) at f = 0 to the objective's own power
    /// (which the velocity near t = 0 needs) at f ≥ 1. Other objectives are unchanged.
    pub fn annealed(mut self, f: f64) -> Self {
        if let Objective::ScheduleFree {
            weight_power: Some(p),
            ..
        } = &mut self
        {
            *p += (1.0 - *p) * (1.0 - f.clamp(0.0, 1.0));
        }
        self
    }

    /// The schedule-free D at (σ, β) ([`SfAt`]); `None` for the other objectives.
    pub fn sf_at(&self, sigma: f64, beta: f64) -> Option<SfAt> {
        let Objective::ScheduleFree {
            sigma_data,
            log_lambda,
            narrow,
            floor,
            weight_power,
            moments,
        } = self
        else {
            return None;
        };
        let (_, c_in, c, u) = precondition(sigma, beta, *sigma_data, *log_lambda);
        let lambda = if beta > 0.0 {
            sigma / beta
        } else {
            f64::INFINITY
        };
        let h = narrowing(lambda, *narrow, *floor);
        Some(SfAt {
            skip: sf_skip(sigma, beta, *sigma_data, moments.as_deref()),
            c_in,
            c_out: c * h,
            u,
            weight: h.powf(weight_power.unwrap_or(1.0)),
        })
    }

    /// Whether the learned fields depend on the schedule they were trained with.
    pub fn needs_schedule(&self) -> bool {
        !matches!(self, Objective::ScheduleFree { .. })
    }

    /// The objective as trained under `schedule`: the preconditioning of b and s rests on the
    /// Gaussian-base identities, so the mirror path (data to data) trains them raw.
    pub fn for_schedule(self, schedule: &Schedule) -> Self {
        match self {
            Objective::VelocityScore { .. } if schedule.path == Path::Mirror => {
                Objective::VelocityScore { sigma_data: None }
            }
            o => o,
        }
    }

    /// How network `net` of a two-network objective maps to its field at one time: the field is
    /// `skip·x + scale·net(c_in·x)`. The identity except for preconditioned b and s.
    pub fn affine(&self, net: usize, st: &ScheduleAt) -> Affine {
        self.affines(st)[net.min(1)]
    }

    /// [`Objective::affine`] of both networks at once (one set of coefficients per time).
    pub fn affines(&self, st: &ScheduleAt) -> [Affine; 2] {
        match self {
            Objective::VelocityScore {
                sigma_data: Some(sd),
            } => {
                let p = bs_precondition(st, *sd);
                [(p.a_b, p.k_b), (p.a_s, p.k_s)].map(|(skip, scale)| Affine {
                    c_in: p.c_in,
                    skip,
                    scale,
                })
            }
            _ => [Affine::IDENTITY; 2],
        }
    }
}

/// field(x) = skip·x + scale·net(c_in·x), for one network at one time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Affine {
    /// Input scale.
    pub c_in: f64,
    /// Coefficient of the skip connection.
    pub skip: f64,
    /// Output scale.
    pub scale: f64,
}

impl Affine {
    /// The raw network.
    pub const IDENTITY: Affine = Affine {
        c_in: 1.0,
        skip: 0.0,
        scale: 1.0,
    };
    /// Whether this is [`Affine::IDENTITY`].
    pub fn is_identity(&self) -> bool {
        *self == Self::IDENTITY
    }
    /// The per-row loss weight w = 1/max(scale, [`SCALE_FLOOR`])²: the loss ½|f|² − target·f
    /// in terms of the network F becomes ½q|F|² − r·F with q = w·scale² ≤ 1 and
    /// r = w·scale·(target − skip·x); q = 1 wherever scale ≥ the floor. Where the field hardly
    /// depends on the network (scale → 0: s at β → 0, b where β̇ = 0), the floor keeps that
    /// row's noise from dominating the gradient.
    pub(crate) fn weight(&self) -> f64 {
        1.0 / self.scale.abs().max(SCALE_FLOOR).powi(2)
    }
}

/// See [`Affine`]'s loss weight.
pub const SCALE_FLOOR: f64 = 0.25;

/// The coefficients of preconditioned b and s at one time (Gaussian base, docs/math.md §2). With
/// g1 = a·x + c·F(c_in·x) in the EDM form of [`precondition`] (F then regresses a unit-scale
/// target), b = β̇g1 + (σσ̇/σ²)(x − βg1) and s = −(x − βg1)/σ² are affine in F:
/// A_b = σσ̇/d + β̇a, K_b = (β̇ − σσ̇β/σ²)c, A_s = −1/d, K_s = βc/σ², with d = σ² + β²σ_d².
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BsPrecond {
    /// Input scale 1/√d.
    pub c_in: f64,
    /// A_b.
    pub a_b: f64,
    /// K_b.
    pub k_b: f64,
    /// A_s.
    pub a_s: f64,
    /// K_s.
    pub k_s: f64,
}

/// [`BsPrecond`] at `st` for a target of scale `sigma_data`.
pub fn bs_precondition(st: &ScheduleAt, sigma_data: f64) -> BsPrecond {
    // At the very end (σ = 0 at t = 1) b and s of a sharp target are unbounded; a floor far
    // below training's (σ² ≥ 10⁻³) keeps the coefficients finite there.
    let s2 = st.sigma2().max(1e-10);
    let sigma = s2.sqrt();
    let (a, c_in, c, _) = precondition(sigma, st.beta, sigma_data, LOG_LAMBDA_RANGE);
    let den = s2 + st.beta * st.beta * sigma_data * sigma_data;
    let ssd = st.sigma_d_sigma();
    BsPrecond {
        c_in,
        a_b: ssd / den + st.d_beta * a,
        k_b: (st.d_beta - ssd * st.beta / s2) * c,
        a_s: -1.0 / den,
        k_s: st.beta * c / s2,
    }
}

/// σ_d = √(tr Cov(x1)/d) from 20 000 seeded target samples (d = 1 on the line, 2 in the
/// plane).
pub fn sigma_data(target: &ExactTarget) -> f64 {
    let xs = target.sample(
        &mut Rng::stream(0, interplay_core::sampling::streams::SIGMA_DATA),
        20_000,
    );
    let (_, c) = interplay_core::metrics::moments(&xs);
    let dims = if target.on_line() { 1.0 } else { 2.0 };
    ((c[0] + c[2]) / dims).sqrt().max(1e-3)
}

/// The EDM preconditioning coefficients of D at (σ, β) with λ = σ/β, written so that β = 0 is
/// fine: D(x) = a·x + c·F(b·x, u) with a = σ_d²β/(σ² + β²σ_d²), b = 1/√(σ² + β²σ_d²) and
/// c = σσ_d/√(σ² + β²σ_d²); u is ln λ scaled to [0, 1] (clamped to the trained range).
pub fn precondition(
    sigma: f64,
    beta: f64,
    sigma_data: f64,
    log_lambda: (f64, f64),
) -> (f64, f64, f64, f64) {
    let sd2 = sigma_data * sigma_data;
    let den = sigma * sigma + beta * beta * sd2;
    let root = den.sqrt();
    let lam = if beta > 0.0 {
        (sigma / beta).ln()
    } else {
        log_lambda.1
    };
    let u = ((lam - log_lambda.0) / (log_lambda.1 - log_lambda.0)).clamp(0.0, 1.0);
    (sd2 * beta / den, 1.0 / root, sigma * sigma_data / root, u)
}

/// λ0 of the schedule-free objective's narrowing (chosen in BENCHMARKS.md among 0.25, 0.5 and 1).
pub const NARROW_LAMBDA: f64 = 0.5;
/// The floor of the narrowing h² for new schedule-free models, 1/(16M): the batch posterior's
/// control variate leaves the target 10–70× less noisy at large λ than the 1/M of the plain
/// batch posterior assumed (chosen in BENCHMARKS.md, "The velocity near t = 0").
pub const NARROW_FLOOR: f64 = 1.0 / (16 * crate::posterior::REFS) as f64;
/// The power p of the row weight h^p for new schedule-free models (BENCHMARKS.md, "The
/// velocity near t = 0").
pub const WEIGHT_POWER: f64 = 0.0;

/// The narrowing of the schedule-free D's output scale at noise level λ = σ/β:
/// h(λ) = √(f + 1/(1 + (λ/λ0)²)) with the floor f = `floor`, or 1/M (M =
/// [`crate::posterior::REFS`]) for checkpoints written before it (h = 1 without `narrow`).
/// D = skip + c_out·h·F: where λ is large, D is nearly its Gaussian part (the skip) and the
/// network's residual must be small; narrowing the scale makes F's share of it larger, so the
/// network's own imprecision costs the field less there. The floor keeps F's target from
/// growing noisier than the batch posterior allows: 1/M matches the plain batch posterior's
/// noise (≈ c_out/√M in D), and [`NARROW_FLOOR`] the lower noise that its control variate
/// leaves at large λ (docs/math.md §8.4). Each row's loss is weighted by a power of h
/// ([`SfAt::weight`]).
pub fn narrowing(lambda: f64, narrow: Option<f64>, floor: Option<f64>) -> f64 {
    match narrow {
        None => 1.0,
        Some(l0) => {
            let r = lambda / l0;
            let floor = floor.unwrap_or(1.0 / crate::posterior::REFS as f64);
            (floor + 1.0 / (1.0 + r * r)).sqrt()
        }
    }
}

/// The schedule-free D at one noise level as its network sees it (docs/math.md §8.4):
/// D ≈ skip(x) + c_out·F(c_in·x, u) for x = βx1 + σξ, and the weight of a training row there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SfAt {
    /// The skip ([`sf_skip`]).
    pub skip: Skip,
    /// Input scale.
    pub c_in: f64,
    /// Output scale, narrowed ([`narrowing`]).
    pub c_out: f64,
    /// ln λ scaled to [0, 1] (the network's noise input).
    pub u: f64,
    /// The row's loss weight h^p (p = the objective's `weight_power`, 1 for checkpoints
    /// written before it); in D's terms a weight h^(p − 2) on the squared error, which keeps
    /// the minimiser and moves the network's attention towards large λ as p falls.
    pub weight: f64,
}
