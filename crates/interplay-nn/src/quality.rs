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
