//! Sampling a density known only up to its normalisation: walkers annealed from N(0, I) to
//! exp(−U₁) by Langevin dynamics, carrying Jarzynski weights (docs/math.md §8.8). This is the
//! transport sampler NETS (Albergo and Vanden-Eijnden, arXiv 2410.02711) with its learned drift
//! b̂ = 0, i.e. annealed importance sampling in continuous time: the baseline a learned drift
//! must beat, with every number held against the truth, because the energies here are exact
//! log-densities whose normalisation is known.
//!
//! The energies are U_τ = (1 − τ)·U₀ + τ·U₁ with U₀ = |x|²/2 and U₁ = −log ρ(t*, x), the exact
//! density of the project's interpolant at a time t* (the target itself, or the target blurred
//! as t* < 1, where the checkerboard's eight squares are flat and nearly disconnected). Then
//! Z₀ = ∫e^{−U₀} = 2π and Z₁ = 1, so log(Z₁/Z₀) = −log 2π exactly.
//!
//! Each of K steps from τ to τ + Δτ adds the work −(U_{τ+Δτ} − U_τ)(X) to the walker's
//! log-weight A and then moves it by one Langevin step of U_{τ+Δτ}:
//! X ← X − ε∇U_{τ+Δτ}(X)Δτ + √(2εΔτ)·ξ. The weighted averages E[e^A f(X)]/E[e^A] estimate
//! averages under exp(−U_τ)/Z_τ and E[e^A] estimates Z_τ/Z₀ (exactly so with an exact
//! Langevin kernel; the step's discretisation leaves a bias that falls with Δτ).

use crate::fields::FieldAt;
use crate::{P2, Rng};

/// An energy U₁ = −log ρ(t*, ·) from the exact field at t*.
#[derive(Clone, Debug)]
pub struct Energy {
    at: FieldAt,
}

impl Energy {
    /// The energy of the exact density `at` describes (normalised: Z₁ = 1).
    pub fn new(at: FieldAt) -> Self {
        Self { at }
    }
    /// The energy −log ρ(`at`, x) of `target` on the linear path with Brownian noise (the
    /// page's energies), or why there is none: `at` must be in (0, 1), the target in the plane.
    pub fn of(target: &crate::Target, at: f64) -> Result<Self, String> {
        if !(at > 0.0 && at < 1.0) {
            return Err(format!(
                "at = {at}: the energy is the target's density at a time in (0, 1)"
            ));
        }
        if matches!(target, crate::Target::Line(_)) {
            return Err("the walkers live in the plane: choose a target in the plane".into());
        }
        let schedule = crate::Schedule::preset(crate::Path::Linear);
        Ok(Self::new(crate::ExactField::new(schedule, target).at(at)))
    }
    /// U₁(x).
    pub fn value(&self, x: P2) -> f64 {
        -self.at.log_rho(x)
    }
    /// ∇U₁(x) = −∇log ρ(t*, x), the exact score's negative.
    pub fn gradient(&self, x: P2) -> P2 {
        let s = self.at.score(x);
        [-s[0], -s[1]]
    }
    /// The exact density's evaluator.
    pub fn field(&self) -> &FieldAt {
        &self.at
    }
}

/// The time of a target's density used as its energy: 0.9 for the checkerboard (blurred, its
/// eight squares flat and nearly disconnected; sharp squares have no gradient to follow), 0.99
/// for every other target (nearly sharp, yet finite everywhere).
pub fn energy_time(target: &crate::Target) -> f64 {
    if matches!(target, crate::Target::Checkerboard) {
        0.9
    } else {
        0.99
    }
}

/// log(Z₁/Z₀) for a normalised U₁ and U₀ = |x|²/2: −log 2π.
pub fn exact_log_z() -> f64 {
    -(2.0 * core::f64::consts::PI).ln()
}

/// Walkers, their log-weights and the record of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Walkers {
    /// Positions.
    pub x: Vec<P2>,
    /// Log-weights A (the work done on each walker).
    pub log_w: Vec<f64>,
    /// The annealing time τ reached.
    pub tau: f64,
}

/// What the weights say at one τ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightStats {
    /// τ.
    pub tau: f64,
    /// The effective sample size over n, (Σw)²/(n·Σw²) ∈ (0, 1].
    pub ess: f64,
    /// The estimate of log(Z_τ/Z₀), log of the mean weight.
    pub log_z: f64,
}

impl Walkers {
    /// `n` walkers drawn from N(0, I) (exp(−U₀)/Z₀) with weight 1.
    pub fn new(n: usize, rng: &mut Rng) -> Self {
        Self {
            x: rng.normals(n),
            log_w: vec![0.0; n],
            tau: 0.0,
        }
    }

    /// The ESS and log Z estimate of the weights now.
    pub fn stats(&self) -> WeightStats {
        let m = self.log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (mut s1, mut s2) = (0.0, 0.0);
        for a in &self.log_w {
            let w = (a - m).exp();
            s1 += w;
            s2 += w * w;
        }
        let n = self.log_w.len().max(1) as f64;
        WeightStats {
            tau: self.tau,
            ess: s1 * s1 / (n * s2),
            log_z: m + (s1 / n).ln(),
        }
    }

    /// The normalised weights.
    pub fn weights(&self) -> Vec<f64> {
        let m = self.log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = self.log_w.iter().map(|a| (a - m).exp()).collect();
        let s: f64 = w.iter().sum();
        w.into_iter().map(|v| v / s).collect()
    }
}

/// U_τ(x) and ∇U_τ(x).
fn annealed(energy: &Energy, tau: f64, x: P2) -> (f64, P2) {
    let u0 = 0.5 * (x[0] * x[0] + x[1] * x[1]);
    let g = energy.gradient(x);
    (
        (1.0 - tau) * u0 + tau * energy.value(x),
        [
            (1.0 - tau) * x[0] + tau * g[0],
            (1.0 - tau) * x[1] + tau * g[1],
        ],
    )
}

/// A transport drift b̂_τ at every walker, with its divergence ∇·b̂_τ (NETS's learned drift; none
/// is annealing alone).
#[derive(Clone, Copy, Debug)]
pub struct Drift<'a> {
    /// b̂_τ(X) per walker.
    pub b: &'a [P2],
    /// ∇·b̂_τ(X) per walker.
    pub div: &'a [f64],
}

/// One step of the walkers from their τ to τ + `dtau` with Langevin noise `eps`: each walker's
/// log-weight gains (∇·b̂ − ∇U_τ·b̂ − ∂_τU_τ)(X)·Δτ (with no drift, the exact work
/// −(U_{τ+Δτ} − U_τ)(X)), then the walker moves by (b̂ − ε∇U_{τ+Δτ})Δτ + √(2εΔτ)ξ. `drift`, if
/// given, holds b̂_τ and its divergence at the walkers' current positions.
pub fn step(
    energy: &Energy,
    walkers: &mut Walkers,
    dtau: f64,
    eps: f64,
    drift: Option<Drift<'_>>,
    rng: &mut Rng,
) {
    let (from, to) = (walkers.tau, (walkers.tau + dtau).min(1.0));
    let dtau = to - from;
    let noise = (2.0 * eps * dtau).sqrt();
    for (i, (x, a)) in walkers
        .x
        .iter_mut()
        .zip(walkers.log_w.iter_mut())
        .enumerate()
    {
        let u0 = 0.5 * (x[0] * x[0] + x[1] * x[1]);
        // ∂_τU_τ = U₁ − U₀, the same at every τ.
        let du = energy.value(*x) - u0;
        let b = drift.map_or([0.0, 0.0], |d| d.b[i]);
        if let Some(d) = drift {
            let (_, g) = annealed(energy, from, *x);
            *a += dtau * (d.div[i] - g[0] * b[0] - g[1] * b[1]);
        }
        *a -= dtau * du;
        let (_, g) = annealed(energy, to, *x);
        let xi = rng.normal2();
        *x = [
            x[0] + (b[0] - eps * g[0]) * dtau + noise * xi[0],
            x[1] + (b[1] - eps * g[1]) * dtau + noise * xi[1],
        ];
    }
    walkers.tau = to;
}

/// The energy's gradient ∇U_τ and its τ-derivative ∂_τU_τ = U₁ − U₀ at `x` (what the transport
/// loss needs at each walker position).
pub fn gradient_and_rate(energy: &Energy, tau: f64, x: P2) -> (P2, f64) {
    let (_, g) = annealed(energy, tau, x);
    (g, energy.value(x) - 0.5 * (x[0] * x[0] + x[1] * x[1]))
}

/// Anneals `walkers` from their τ to 1 in `steps` equal steps with Langevin noise `eps` (ε > 0)
/// and no drift, recording the weights' statistics after every step (the first entry is the
/// start).
pub fn anneal(
    energy: &Energy,
    walkers: &mut Walkers,
    steps: usize,
    eps: f64,
    rng: &mut Rng,
) -> Vec<WeightStats> {
    let steps = steps.max(1);
    let dtau = (1.0 - walkers.tau) / steps as f64;
    let mut record = vec![walkers.stats()];
    for k in 0..steps {
        if k + 1 == steps {
            // The last step lands on τ = 1 exactly.
            let rest = 1.0 - walkers.tau;
            step(energy, walkers, rest, eps, None, rng);
        } else {
            step(energy, walkers, dtau, eps, None, rng);
        }
        record.push(walkers.stats());
    }
    record
}

/// The exact density's mass in each TV bin of `bins` × `bins` on [−4, 4]² (midpoint rule on
/// 4 × 4 sub-cells; the last entry is the mass outside).
pub fn density_bins(at: &FieldAt, bins: usize) -> Vec<f64> {
    crate::metrics::reference_of(|x| at.log_rho(x).exp(), bins)
}
