//! Interpolant schedules: x_t = α(t)·x0 + β(t)·x1 + γ(t)·z.
//!
//! A schedule is a path family (α_p, β_p), a γ family γ_p, and the three slider parameters:
//! α = α_p^a, β = β_p^b, γ = g·γ_p. Every value travels with its derivative
//! ([`ScheduleAt`]); the products α·α̇ and γ·γ̇ are computed directly, because they stay finite
//! where α̇ or γ̇ do not (the square-root families at t = 0 and t = 1).

use core::f64::consts::{FRAC_PI_2, PI};
use core::fmt;

/// Range of the shape exponents a and b (α = α_p^a, β = β_p^b).
pub const EXP_RANGE: (f64, f64) = (0.25, 4.0);
/// Range of the γ scale g (γ = g·γ_p).
pub const GAMMA_SCALE_RANGE: (f64, f64) = (0.0, 2.0);
/// Range of the SDE noise level ε.
pub const EPS_RANGE: (f64, f64) = (0.0, 5.0);

/// The path family (α_p, β_p) of `interflow/fabrics.py::make_It`, plus the VP/SBDM path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Path {
    /// α = 1 − t, β = t.
    Linear,
    /// α = √(1−γ²)·cos(πt/2), β = √(1−γ²)·sin(πt/2): α² + β² + γ² = 1. Needs γ < 1.
    Trig,
    /// α = cos²(πt) on [0, ½], β = cos²(πt) on (½, 1]: x_{1/2} = γ(½)·z is pure noise.
    EncDec,
    /// α = 1 − t, β = t, with no γ by default: x0 is the Gaussian latent.
    OneSidedLinear,
    /// α = cos(πt/2), β = sin(πt/2), no γ by default (variance preserving).
    OneSidedTrig,
    /// The VP / score-based-diffusion path α = √(1 − t²), β = t (α̇ is singular at t = 1).
    Vp,
    /// x_t = x1 + γ(t)·x0: data at both ends, blurred in between (α := γ, β := 1, no extra z).
    Mirror,
}

impl Path {
    /// Every path, in menu order.
    pub const ALL: [Path; 7] = [
        Path::Linear,
        Path::Trig,
        Path::EncDec,
        Path::OneSidedLinear,
        Path::OneSidedTrig,
        Path::Vp,
        Path::Mirror,
    ];

    /// The stable short name used by the CLI, the URL and checkpoints.
    pub fn name(self) -> &'static str {
        match self {
            Path::Linear => "linear",
            Path::Trig => "trig",
            Path::EncDec => "enc-dec",
            Path::OneSidedLinear => "one-sided-linear",
            Path::OneSidedTrig => "one-sided-trig",
            Path::Vp => "vp",
            Path::Mirror => "mirror",
        }
    }

    /// Parses [`Path::name`].
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == s)
    }

    /// The γ family a preset of this path starts with.
    pub fn default_gamma(self) -> GammaFamily {
        match self {
            Path::OneSidedLinear | Path::OneSidedTrig | Path::Vp => GammaFamily::Zero,
            _ => GammaFamily::Brownian,
        }
    }

    /// (α_p, α̇_p, α_p·α̇_p), (β_p, β̇_p) at t, given the already scaled γ (for `Trig`).
    fn base(self, t: f64, g: (f64, f64, f64)) -> ((f64, f64, f64), (f64, f64)) {
        match self {
            Path::Linear | Path::OneSidedLinear => ((1.0 - t, -1.0, -(1.0 - t)), (t, 1.0)),
            Path::Trig | Path::OneSidedTrig => {
                // cos(πt/2) as sin(π(1 − t)/2): exactly 0 at t = 1 (cos(π/2) rounds to 6e-17,
                // which α = cos^a with a < 1 would lift to 1e-12 … 1e-4), exactly 1 at t = 0.
                let (c, s) = ((FRAC_PI_2 * (1.0 - t)).sin(), (FRAC_PI_2 * t).sin());
                let (gamma, _, ggd) = if self == Path::Trig {
                    g
                } else {
                    (0.0, 0.0, 0.0)
                };
                let r = (1.0 - gamma * gamma).sqrt();
                let (a, da) = (r * c, -(ggd / r) * c - FRAC_PI_2 * r * s);
                let (b, db) = (r * s, -(ggd / r) * s + FRAC_PI_2 * r * c);
                ((a, da, a * da), (b, db))
            }
            Path::EncDec => {
                let c2 = (PI * t).cos().powi(2);
                let d = -PI * (2.0 * PI * t).sin();
                if t <= 0.5 {
                    ((c2, d, c2 * d), (0.0, 0.0))
                } else {
                    ((0.0, 0.0, 0.0), (c2, d))
                }
            }
            Path::Vp => {
                let a = (1.0 - t * t).max(0.0).sqrt();
                let da = if a > 0.0 { -t / a } else { f64::NEG_INFINITY };
                ((a, da, -t), (t, 1.0))
            }
            Path::Mirror => ((g.0, g.1, g.2), (1.0, 0.0)),
        }
    }
}

/// The γ families of `interflow/fabrics.py::make_gamma` (`a-brownian` is the scale g).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GammaFamily {
    /// γ = √(t(1−t)), γγ̇ = (1−2t)/2.
    Brownian,
    /// γ = sin²(πt).
    SinSquared,
    /// γ = t(1−t).
    BSquared,
    /// Difference of logistic functions with f = 10, γ(½) = 0.446604.
    Sigmoid,
    /// γ ≡ 0.
    Zero,
}

/// Steepness of the sigmoid γ family.
const SIGMOID_F: f64 = 10.0;

fn logistic(y: f64) -> f64 {
    1.0 / (1.0 + (-y).exp())
}

impl GammaFamily {
    /// Every γ family, in menu order.
    pub const ALL: [GammaFamily; 5] = [
        GammaFamily::Brownian,
        GammaFamily::SinSquared,
        GammaFamily::BSquared,
        GammaFamily::Sigmoid,
        GammaFamily::Zero,
    ];

    /// The stable short name used by the CLI, the URL and checkpoints.
    pub fn name(self) -> &'static str {
        match self {
            GammaFamily::Brownian => "brownian",
            GammaFamily::SinSquared => "sin2",
            GammaFamily::BSquared => "bsquared",
            GammaFamily::Sigmoid => "sigmoid",
            GammaFamily::Zero => "zero",
        }
    }

    /// Parses [`GammaFamily::name`].
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.name() == s)
    }

    /// (γ_p, γ̇_p, γ_p·γ̇_p) at t ∈ [0, 1].
    pub fn eval(self, t: f64) -> (f64, f64, f64) {
        match self {
            GammaFamily::Brownian => {
                let g = (t * (1.0 - t)).max(0.0).sqrt();
                let ggd = 0.5 * (1.0 - 2.0 * t);
                let gd = if g > 0.0 {
                    ggd / g
                } else {
                    ggd.signum() * f64::INFINITY
                };
                (g, gd, ggd)
            }
            GammaFamily::SinSquared => {
                let s = (PI * t).sin();
                let g = s * s;
                let gd = PI * (2.0 * PI * t).sin();
                (g, gd, g * gd)
            }
            GammaFamily::BSquared => {
                let g = t * (1.0 - t);
                let gd = 1.0 - 2.0 * t;
                (g, gd, g * gd)
            }
            GammaFamily::Sigmoid => {
                let u = SIGMOID_F * (t - 0.5);
                // γ is even in u: evaluating at −|u| makes γ(0) = γ(1) = 0 exactly.
                let (v, h) = (-u.abs(), SIGMOID_F / 2.0);
                let g = (logistic(v + 1.0) - logistic(v - 1.0))
                    - (logistic(1.0 - h) - logistic(-1.0 - h));
                let ds = |y: f64| {
                    let l = logistic(y);
                    l * (1.0 - l)
                };
                let gd = SIGMOID_F * (ds(u + 1.0) - ds(u - 1.0));
                (g, gd, g * gd)
            }
            GammaFamily::Zero => (0.0, 0.0, 0.0),
        }
    }
}

/// Where the flows start when a rate is infinite at t = 0 (an exponent below 1 on a coefficient
/// that starts at 0, e.g. β = t^b with b < 1, has β̇(0) = ∞). ρ(t) is sampled there exactly from
/// the interpolant, so nothing is lost but the first 10⁻⁴ of the time axis.
pub const T_START_SINGULAR: f64 = 1e-4;

/// The time the flows start from, given the schedule at t = 0: 0 when every rate the fields
/// use (α̇, β̇, αα̇, γγ̇) is finite there and x_0 has a density (σ(0) > 0), otherwise
/// [`T_START_SINGULAR`].
pub fn start_time(at0: &ScheduleAt) -> f64 {
    let rates = [
        at0.d_alpha,
        at0.d_beta,
        at0.alpha_d_alpha,
        at0.gamma_d_gamma,
    ];
    // σ(0) = 0 (the mirror path: x_0 = x1) leaves b and s at t = 0 as 0/0: start inside too.
    if rates.iter().all(|r| r.is_finite()) && at0.sigma2() > 0.0 {
        0.0
    } else {
        T_START_SINGULAR
    }
}

/// Schedule values at one time t, each with its derivative.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScheduleAt {
    /// The time t.
    pub t: f64,
    /// α(t).
    pub alpha: f64,
    /// α̇(t).
    pub d_alpha: f64,
    /// α·α̇, computed directly (finite where α̇ is not, e.g. VP at t = 1).
    pub alpha_d_alpha: f64,
    /// β(t).
    pub beta: f64,
    /// β̇(t).
    pub d_beta: f64,
    /// γ(t).
    pub gamma: f64,
    /// γ̇(t) (infinite at the ends of the square-root families).
    pub d_gamma: f64,
    /// γ·γ̇, computed directly (finite for every family).
    pub gamma_d_gamma: f64,
}

impl ScheduleAt {
    /// σ² = α² + γ²: the variance of the Gaussian part α·x0 + γ·z of x_t.
    pub fn sigma2(&self) -> f64 {
        self.alpha * self.alpha + self.gamma * self.gamma
    }

    /// σ·σ̇ = α·α̇ + γ·γ̇.
    pub fn sigma_d_sigma(&self) -> f64 {
        self.alpha_d_alpha + self.gamma_d_gamma
    }

    /// x_t = α·x0 + β·x1 + γ·z.
    pub fn xt(&self, x0: [f64; 2], x1: [f64; 2], z: [f64; 2]) -> [f64; 2] {
        [0, 1].map(|i| self.alpha * x0[i] + self.beta * x1[i] + self.gamma * z[i])
    }

    /// ẋ_t = α̇·x0 + β̇·x1 + γ̇·z, the regression target of the velocity.
    pub fn dxt(&self, x0: [f64; 2], x1: [f64; 2], z: [f64; 2]) -> [f64; 2] {
        [0, 1].map(|i| self.d_alpha * x0[i] + self.d_beta * x1[i] + self.d_gamma * z[i])
    }
}

/// (p^e, d/dt p^e, p^e·d/dt p^e) from (p, ṗ, p·ṗ), with the limits at p = 0.
fn pow_sched((p, dp, pdp): (f64, f64, f64), e: f64) -> (f64, f64, f64) {
    if e == 1.0 {
        return (p, dp, pdp);
    }
    let at_zero = |d: f64| {
        if d == 0.0 {
            0.0
        } else if d.is_infinite() || e < 1.0 {
            d.signum() * f64::INFINITY
        } else {
            0.0
        }
    };
    if p > 0.0 {
        let v = p.powf(e);
        (v, e * v / p * dp, e * p.powf(2.0 * e - 2.0) * pdp)
    } else {
        (0.0, at_zero(dp), at_zero(pdp))
    }
}

/// A complete schedule: path, γ family and the slider parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    /// The path family.
    pub path: Path,
    /// The γ family.
    pub gamma: GammaFamily,
    /// a in α = α_p^a, in [`EXP_RANGE`]. Ignored by `Mirror`.
    pub alpha_exp: f64,
    /// b in β = β_p^b, in [`EXP_RANGE`]. Ignored by `Mirror`.
    pub beta_exp: f64,
    /// g in γ = g·γ_p, in [`GAMMA_SCALE_RANGE`].
    pub gamma_scale: f64,
}

impl Default for Schedule {
    /// Linear + Brownian, the reference two-sided interpolant.
    fn default() -> Self {
        Self::preset(Path::Linear)
    }
}

impl Schedule {
    /// The preset of a path: its default γ family, unit exponents and unit γ scale.
    pub fn preset(path: Path) -> Self {
        Self {
            path,
            gamma: path.default_gamma(),
            alpha_exp: 1.0,
            beta_exp: 1.0,
            gamma_scale: 1.0,
        }
    }

    /// All schedule values at t ∈ [0, 1].
    pub fn at(&self, t: f64) -> ScheduleAt {
        let (gp, gdp, ggdp) = self.gamma.eval(t);
        let g = self.gamma_scale;
        let gam = (g * gp, g * gdp, g * g * ggdp);
        let (ap, bp) = self.path.base(t, gam);
        if self.path == Path::Mirror {
            let (alpha, d_alpha, alpha_d_alpha) = ap;
            return ScheduleAt {
                t,
                alpha,
                d_alpha,
                alpha_d_alpha,
                beta: 1.0,
                d_beta: 0.0,
                gamma: 0.0,
                d_gamma: 0.0,
                gamma_d_gamma: 0.0,
            };
        }
        let (alpha, d_alpha, alpha_d_alpha) = pow_sched(ap, self.alpha_exp);
        let (beta, d_beta, _) = pow_sched((bp.0, bp.1, bp.0 * bp.1), self.beta_exp);
        ScheduleAt {
            t,
            alpha,
            d_alpha,
            alpha_d_alpha,
            beta,
            d_beta,
            gamma: gam.0,
            d_gamma: gam.1,
            gamma_d_gamma: gam.2,
        }
    }

    /// The time the flows start from: 0, or [`T_START_SINGULAR`] when a rate is infinite at 0.
    pub fn t_start(&self) -> f64 {
        start_time(&self.at(0.0))
    }

    /// The time a view evaluates ρ(t, ·) and the fields at for the time t on the slider: t inside
    /// [0, 1 − 1e-6], moved [`VIEW_END_NUDGE`] inwards where x_t is a point mass of the target
    /// (σ = 0: the mirror path at t = 0 and 1, where there is no density to draw and no table of
    /// the posterior to build).
    pub fn view_time(&self, t: f64) -> f64 {
        let t = if t.is_nan() {
            0.0
        } else {
            t.clamp(0.0, 1.0 - VIEW_END_NUDGE)
        };
        if self.at(t).sigma2() > 0.0 {
            t
        } else if t < 0.5 {
            t.max(VIEW_END_NUDGE)
        } else {
            t.min(1.0 - VIEW_END_NUDGE)
        }
    }

    /// Whether the Gaussian noise vanishes at t = 1 only like a one-sided path (α only, γ ≡ 0).
    pub fn has_gamma(&self) -> bool {
        self.path != Path::Mirror && self.gamma != GammaFamily::Zero && self.gamma_scale > 0.0
    }

    /// What is wrong with this schedule, in words, with the time where it goes wrong
    /// (docs/math.md §1.4). Empty when the schedule is a valid interpolant.
    pub fn validate(&self) -> Vec<ScheduleIssue> {
        let mut issues = Vec::new();
        let mut range = |name: &str, v: f64, (lo, hi): (f64, f64)| {
            if !(lo..=hi).contains(&v) {
                issues.push(ScheduleIssue {
                    t: None,
                    message: format!("{name} = {} is outside [{lo}, {hi}]", sig3(v)),
                });
            }
        };
        range("the α exponent a", self.alpha_exp, EXP_RANGE);
        range("the β exponent b", self.beta_exp, EXP_RANGE);
        range("the γ scale g", self.gamma_scale, GAMMA_SCALE_RANGE);
        if !issues.is_empty() {
            return issues;
        }
        const N: usize = 2000;
        let ts = (0..=N).map(|i| i as f64 / N as f64);
        if self.path == Path::Trig {
            let (tm, gm) = ts
                .clone()
                .map(|t| (t, self.at(t).gamma))
                .fold((0.0, 0.0), |acc, v| if v.1 > acc.1 { v } else { acc });
            if gm >= 1.0 {
                let limit = self.gamma_scale / gm;
                issues.push(ScheduleIssue {
                    t: Some(tm),
                    message: format!(
                        "the trig path needs γ(t) < 1 (it uses √(1 − γ²)), but γ reaches {gm:.3}; \
                         lower the γ scale below {limit:.2}"
                    ),
                });
                return issues;
            }
        }
        let mirror = self.path == Path::Mirror;
        for t in ts {
            let s = self.at(t);
            if [s.alpha, s.beta, s.gamma, s.alpha_d_alpha, s.gamma_d_gamma]
                .iter()
                .any(|v| v.is_nan())
            {
                issues.push(ScheduleIssue {
                    t: Some(t),
                    message: "α, β or γ is not a number here".into(),
                });
                break;
            }
            let interior = t > 0.0 && t < 1.0;
            if s.sigma2() <= 1e-14 && (interior || (t == 0.0 && !mirror)) {
                let message = if mirror {
                    "the mirror interpolant needs γ(t) > 0 inside (0, 1): choose a γ family other \
                     than zero and a γ scale above 0"
                        .to_string()
                } else {
                    "x_t collapses to a point here (α = γ = 0): no noise is left to transport; \
                     add noise with γ > 0"
                        .to_string()
                };
                issues.push(ScheduleIssue {
                    t: Some(t),
                    message,
                });
                break;
            }
        }
        let (s0, s1) = (self.at(0.0), self.at(1.0));
        let (a0, a1) = if mirror { (0.0, 0.0) } else { (1.0, 0.0) };
        let ends = [
            ("α(0)", s0.alpha, a0),
            ("α(1)", s1.alpha, a1),
            ("β(0)", s0.beta, if mirror { 1.0 } else { 0.0 }),
            ("β(1)", s1.beta, 1.0),
            ("γ(0)", s0.gamma, 0.0),
            ("γ(1)", s1.gamma, 0.0),
        ];
        for (name, v, want) in ends {
            if (v - want).abs().is_nan() || (v - want).abs() > ENDPOINT_TOL {
                issues.push(ScheduleIssue {
                    t: None,
                    message: format!("{name} = {} but an interpolant needs {want}", sig3(v)),
                });
            }
        }
        issues
    }
}

/// How far inside [0, 1] the views move a time where x_t has no density ([`Schedule::view_time`]).
pub const VIEW_END_NUDGE: f64 = 1e-6;

/// How far α, β, γ may be from their required values at t = 0 and 1 (rounding, never a
/// different schedule: the endpoints are computed exactly where the formulas allow).
pub const ENDPOINT_TOL: f64 = 1e-9;

/// A number in a message: three significant figures, in exponent form when very small or large.
pub fn sig3(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let mag = v.abs().log10().floor();
    if (-3.0..6.0).contains(&mag) {
        let decimals = (2.0 - mag).max(0.0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.2e}")
    }
}

/// A reason a schedule is not a valid interpolant, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleIssue {
    /// The time where the problem shows, if it is local in time.
    pub t: Option<f64>,
    /// What is wrong, in words, with a hint how to fix it.
    pub message: String,
}

impl fmt::Display for ScheduleIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.t {
            Some(t) => write!(f, "at t = {t:.3}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
