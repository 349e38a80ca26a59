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
use interplay_core::{Path, Rng, Schedule, ScheduleAt};
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
    /// as
    /// D = c_skip·y + c_out·F(c_in·y, ln λ) with the target's scale σ_d. Then
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
    },
}

/// The names of [`Objective`] kinds, as the CLI spells them.
pub const OBJECTIVE_NAMES: [&str; 4] = ["velocity-score", "v-score", "denoiser", "schedule-free"];

/// Default λ range of the schedule-free objective: it covers t ∈ [0.003, 0.999] for linear +
/// Brownian and t ≤ 0.999 for one-sided linear (λ = (1 − t)/t).
pub const LAMBDA_RANGE: (f64, f64) = (1e-3, 300.0);
/// [`LAMBDA_RANGE`] as logarithms.
const LOG_LAMBDA_RANGE: (f64, f64) = (-6.907_755_278_982_137, 5.703_782_474_656_201);

impl Objective {
    /// The objective called `name`, prepared for `target`.
    pub fn from_name(name: &str, target: &ExactTarget) -> Option<Self> {
        Some(match name {
            "velocity-score" => Objective::VelocityScore {
                sigma_data: Some(sigma_data(target)),
            },
            "v-score" => Objective::VScore,
            "denoiser" => Objective::Denoiser,
            "schedule-free" => Objective::ScheduleFree {
                sigma_data: sigma_data(target),
                log_lambda: (LAMBDA_RANGE.0.ln(), LAMBDA_RANGE.1.ln()),
                narrow: Some(NARROW_LAMBDA),
            },
            _ => return None,
        })
    }

    /// The CLI name.
    pub fn name(&self) -> &'static str {
        match self {
            Objective::VelocityScore { .. } => "velocity-score",
            Objective::VScore => "v-score",
            Objective::Denoiser => "denoiser",
            Objective::ScheduleFree { .. } => "schedule-free",
        }
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

/// The narrowing of the schedule-free D's output scale at noise level λ = σ/β:
/// h(λ) = √(1/M + 1/(1 + (λ/λ0)²)) with M = [`crate::posterior::REFS`] (1 without `narrow`).
/// D = c_skip·y + c_out·h·F: where λ is large, D is nearly its Gaussian part c_skip·y and the
/// network's residual must be small; narrowing the scale makes F's share of it larger, so the
/// network's own imprecision costs the field less there. The floor 1/M keeps F's target no
/// noisier than unit scale (a batch posterior of M members leaves noise ≈ c_out/√M in D). Each
/// row's loss is weighted by h as well (docs/math.md §8.4: together a weight 1/h on D's squared
/// error, which keeps the minimiser and puts more weight on large λ without drawing the
/// network's capacity away from small λ, where the target's edges form).
pub fn narrowing(lambda: f64, narrow: Option<f64>) -> f64 {
    match narrow {
        None => 1.0,
        Some(l0) => {
            let r = lambda / l0;
            (1.0 / crate::posterior::REFS as f64 + 1.0 / (1.0 + r * r)).sqrt()
        }
    }
}

/// [`precondition`] of the schedule-free D, with its output scale narrowed ([`narrowing`]).
pub fn sf_precondition(
    sigma: f64,
    beta: f64,
    sigma_data: f64,
    log_lambda: (f64, f64),
    narrow: Option<f64>,
) -> (f64, f64, f64, f64) {
    let (a, b, c, u) = precondition(sigma, beta, sigma_data, log_lambda);
    let lambda = if beta > 0.0 {
        sigma / beta
    } else {
        f64::INFINITY
    };
    (a, b, c * narrowing(lambda, narrow), u)
}
