//! Adaptive Dormand–Prince 5(4) for the probability-flow ODE over a batch (as `torchdiffeq`'s
//! `dopri5`: one step size for the whole batch, error measured as an RMS norm).

use crate::P2;
use crate::integrate::Field;

/// Tolerances and limits of the adaptive solver.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Give up after this many attempted steps.
    pub max_steps: usize,
}

impl Default for Tolerance {
    /// rtol = atol = 1e-5, as the reference notebooks.
    fn default() -> Self {
        Self {
            rtol: 1e-5,
            atol: 1e-5,
            max_steps: 100_000,
        }
    }
}

/// What the adaptive solver did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DopriReport {
    /// The time reached (`t1` unless `max_steps` ran out).
    pub t_end: f64,
    /// Accepted steps.
    pub accepted: usize,
    /// Rejected steps.
    pub rejected: usize,
    /// Field evaluations (of the whole batch).
    pub evals: usize,
}

const C: [f64; 7] = [0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];
const A: [[f64; 6]; 7] = [
    [0.0; 6],
    [1.0 / 5.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
        0.0,
        0.0,
    ],
    [
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
        0.0,
    ],
    [
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];
/// 5th-order weights (the last row of A: first same as last) minus the embedded 4th-order ones.
const E: [f64; 7] = [
    35.0 / 384.0 - 5179.0 / 57600.0,
    0.0,
    500.0 / 1113.0 - 7571.0 / 16695.0,
    125.0 / 192.0 - 393.0 / 640.0,
    -2187.0 / 6784.0 + 92097.0 / 339200.0,
    11.0 / 84.0 - 187.0 / 2100.0,
    -1.0 / 40.0,
];

/// Integrates dX = b dt from `t0` to `t1` (either direction) adaptively, in place.
pub fn dopri5<F: Field + ?Sized>(
    field: &F,
    xs: &mut [P2],
    t0: f64,
    t1: f64,
    tol: Tolerance,
) -> DopriReport {
    let n = xs.len();
    let dir = if t1 >= t0 { 1.0 } else { -1.0 };
    let mut k: Vec<Vec<P2>> = (0..7).map(|_| vec![[0.0; 2]; n]).collect();
    let mut stage = vec![[0.0; 2]; n];
    let mut rep = DopriReport {
        t_end: t0,
        accepted: 0,
        rejected: 0,
        evals: 1,
    };
    let mut t = t0;
    field.velocity(t, xs, &mut k[0]);
    let mut h = 0.01 * (t1 - t0).abs();
    while dir * (t1 - t) > 1e-15 && rep.accepted + rep.rejected < tol.max_steps {
        h = h.min((t1 - t).abs());
        let dt = dir * h;
        for s in 1..7 {
            for (i, o) in stage.iter_mut().enumerate() {
                *o = [0, 1]
                    .map(|d| xs[i][d] + dt * (0..s).map(|j| A[s][j] * k[j][i][d]).sum::<f64>());
            }
            field.velocity(t + C[s] * dt, &stage, &mut k[s]);
            rep.evals += 1;
        }
        // `stage` now holds the 5th-order solution (row 6 of A); estimate the error.
        let mut acc = 0.0;
        for i in 0..n {
            for d in 0..2 {
                let err = dt * (0..7).map(|j| E[j] * k[j][i][d]).sum::<f64>();
                let sc = tol.atol + tol.rtol * xs[i][d].abs().max(stage[i][d].abs());
                acc += (err / sc).powi(2);
            }
        }
        let err = (acc / (2 * n).max(1) as f64).sqrt();
        if err <= 1.0 {
            xs.copy_from_slice(&stage);
            t += dt;
            k.swap(0, 6);
            rep.accepted += 1;
        } else {
            rep.rejected += 1;
        }
        let factor = if err == 0.0 {
            10.0
        } else {
            (0.9 * err.powf(-0.2)).clamp(0.2, 10.0)
        };
        h *= factor;
    }
    rep.t_end = t;
    rep
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrate::{OdeSolver, Span, ode};
    use crate::{ExactField, Rng, Schedule, Target};

    #[test]
    fn dopri_agrees_with_fine_rk4_and_adapts() {
        let f = ExactField::new(Schedule::default(), &Target::Checkerboard);
        let x0 = Rng::new(4).normals(100);
        let (mut a, mut b) = (x0.clone(), x0.clone());
        let rep = dopri5(
            &f,
            &mut a,
            0.0,
            0.99,
            Tolerance {
                rtol: 1e-7,
                atol: 1e-7,
                ..Tolerance::default()
            },
        );
        assert!((rep.t_end - 0.99).abs() < 1e-12, "{rep:?}");
        ode(&f, &mut b, Span::new(0.0, 0.99, 4000), OdeSolver::Rk4);
        let err = a
            .iter()
            .zip(&b)
            .map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs()))
            .fold(0.0, f64::max);
        assert!(err < 1e-4, "dopri vs rk4: {err:.2e} ({rep:?})");
        // Looser tolerance, fewer steps.
        let mut c = x0.clone();
        let loose = dopri5(&f, &mut c, 0.0, 0.99, Tolerance::default());
        assert!(loose.accepted < rep.accepted, "{loose:?} vs {rep:?}");
        // Backward in time returns to the start.
        dopri5(
            &f,
            &mut a,
            0.99,
            0.0,
            Tolerance {
                rtol: 1e-8,
                atol: 1e-8,
                ..Tolerance::default()
            },
        );
        let back = a
            .iter()
            .zip(&x0)
            .map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs()))
            .fold(0.0, f64::max);
        assert!(back < 1e-3, "round trip {back:.2e}");
    }
}
