//! How close a learned field is to the exact one: the relative L2 error of b and s, weighted by
//! ρ(t) (measured on direct interpolant samples x_t, no simulation), at a few times.

use interplay_core::ExactField;
use interplay_core::sampling::interpolant_samples;
use serde::Serialize;

use crate::NnError;
use crate::field::DeviceField;
use crate::sampler::points_tensor;

/// The times at which [`field_errors`] is reported by default.
pub const ERROR_TIMES: [f64; 5] = [0.1, 0.3, 0.5, 0.7, 0.9];

/// The learned field's error at one time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FieldError {
    /// The time.
    pub t: f64,
    /// ‖b̂ − b‖ / ‖b‖ in L²(ρ(t)).
    pub b: f64,
    /// ‖ŝ − s‖ / ‖s‖ in L²(ρ(t)).
    pub s: f64,
}

/// ‖â − a‖ / ‖a‖ over paired rows.
pub fn relative_l2(estimate: &[interplay_core::P2], exact: &[interplay_core::P2]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (e, x) in estimate.iter().zip(exact) {
        num += (e[0] - x[0]).powi(2) + (e[1] - x[1]).powi(2);
        den += x[0] * x[0] + x[1] * x[1];
    }
    (num / den.max(f64::MIN_POSITIVE)).sqrt()
}

/// The relative L2(ρ(t)) errors of the learned b and s against `exact` at each of `times`, on
/// `n` interpolant samples per time (seeded). The fields are evaluated on the device and read
/// back asynchronously.
pub async fn field_errors<F: DeviceField + ?Sized>(
    field: &F,
    exact: &ExactField,
    times: &[f64],
    n: usize,
    seed: u64,
) -> Result<Vec<FieldError>, NnError> {
    let mut pending = Vec::with_capacity(times.len());
    for (k, &t) in times.iter().enumerate() {
        let pts = interpolant_samples(exact.schedule(), exact.target(), t, n, seed + k as u64);
        let out = field.eval(t, points_tensor(&pts, &field.device()), false);
        pending.push((t, pts, out.b, out.s));
    }
    let mut errors = Vec::with_capacity(times.len());
    for (t, pts, b, s) in pending {
        let (b, s) = (crate::read_points(b).await?, crate::read_points(s).await?);
        let at = exact.at_batch(t, pts.len());
        let (eb, es): (Vec<_>, Vec<_>) = pts.iter().map(|x| at.velocity_score(*x)).unzip();
        errors.push(FieldError {
            t,
            b: relative_l2(&b, &eb),
            s: relative_l2(&s, &es),
        });
    }
    Ok(errors)
}

/// Where the ε bound's time integral ends: the score's error grows without bound as t → 1
/// (σ → 0), so the bound is the one for ρ(T) at this T, where the samplers' last steps begin.
pub const BOUND_T_END: f64 = 0.97;
/// Midpoints of the bound's time integral.
const BOUND_TIMES: usize = 24;

/// The KL bound of the SDE with a learned drift at constant noise ε, from the learned fields'
/// errors against the exact ones: with Δb = b̂ − b and Δs = ŝ − s, the forward drift's error is
/// Δb + εΔs, and Girsanov's theorem for dX = (b + εs)dt + √(2ε)dW gives
///
///   KL(ρ(T) ‖ ρ̂(T)) ≤ (1/4ε) ∫₀ᵀ E|Δb + εΔs|² dt = A/(4ε) + B/2 + εC/4,
///
/// A = ∫E|Δb|², B = ∫E[Δb·Δs], C = ∫E|Δs|² over ρ(t): small ε pays for b's error, large ε
/// for s's; the bound is smallest at ε* = √(A/C).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct EpsBound {
    /// ∫ E|b̂ − b|² dt.
    pub a: f64,
    /// ∫ E[(b̂ − b)·(ŝ − s)] dt.
    pub b: f64,
    /// ∫ E|ŝ − s|² dt.
    pub c: f64,
    /// The end of the time integral, [`BOUND_T_END`].
    pub t_end: f64,
}

impl EpsBound {
    /// The bound on KL(ρ(T) ‖ ρ̂(T)) at noise ε > 0.
    pub fn kl(&self, eps: f64) -> f64 {
        self.a / (4.0 * eps) + self.b / 2.0 + eps * self.c / 4.0
    }
    /// The ε that minimises it, √(A/C) (infinite for an exact score).
    pub fn best(&self) -> f64 {
        (self.a / self.c).sqrt()
    }
}

/// [`EpsBound`] of `field` against `exact`, by the midpoint rule on [0, BOUND_T_END] with `n`
/// interpolant samples per time (seeded).
pub async fn eps_bound<F: DeviceField + ?Sized>(
    field: &F,
    exact: &ExactField,
    n: usize,
    seed: u64,
) -> Result<EpsBound, NnError> {
    let dt = BOUND_T_END / BOUND_TIMES as f64;
    let mut pending = Vec::with_capacity(BOUND_TIMES);
    for k in 0..BOUND_TIMES {
        let t = (k as f64 + 0.5) * dt;
        let pts = interpolant_samples(exact.schedule(), exact.target(), t, n, seed + k as u64);
        let out = field.eval(t, points_tensor(&pts, &field.device()), false);
        pending.push((t, pts, out.b, out.s));
    }
    let (mut a, mut b, mut c) = (0.0, 0.0, 0.0);
    for (t, pts, bt, st) in pending {
        let (bh, sh) = (crate::read_points(bt).await?, crate::read_points(st).await?);
        let at = exact.at_batch(t, pts.len());
        let w = dt / pts.len().max(1) as f64;
        for ((x, bh), sh) in pts.iter().zip(&bh).zip(&sh) {
            let (be, se) = at.velocity_score(*x);
            let db = [bh[0] - be[0], bh[1] - be[1]];
            let ds = [sh[0] - se[0], sh[1] - se[1]];
            a += w * (db[0] * db[0] + db[1] * db[1]);
            b += w * (db[0] * ds[0] + db[1] * ds[1]);
            c += w * (ds[0] * ds[0] + ds[1] * ds[1]);
        }
    }
    Ok(EpsBound {
        a,
        b,
        c,
        t_end: BOUND_T_END,
    })
}
