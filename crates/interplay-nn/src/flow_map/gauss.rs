//! The flow map of the Gaussian stand-in: the target replaced by a Gaussian with its exact mean
//! μ and covariance Σ. Then ρ(t) = N(β_t μ, S_t) with S_t = σ_t² I + β_t² Σ (σ² = α² + γ²), the
//! velocity is affine, b_t(x) = β̇_t μ + ½ Ṡ_t S_t⁻¹ (x − β_t μ), and every S_t shares Σ's
//! eigenvectors, so the exact map is affine too:
//!
//! ```text
//! G_{s,t}(x) = β_t μ + S_t^{1/2} S_s^{-1/2} (x − β_s μ).
//! ```
//!
//! The learned map is G plus a network's residual ([`super::train`]), so the network learns only
//! what is not Gaussian, and a Gaussian target is learned exactly from the start.

use interplay_core::targets::ExactTarget;
use interplay_core::{P2, Schedule, ScheduleAt};

use crate::objective::Skip;

/// The Gaussian stand-in of a target under a schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GaussMap {
    schedule: Schedule,
    mean: P2,
    /// Σ's eigenvalues and unit eigenvectors.
    lambda: [f64; 2],
    q: [P2; 2],
}

/// The symmetric matrix Σ_i d_i q_i q_iᵀ as (a00, a01, a11).
fn sym(q: &[P2; 2], d: [f64; 2]) -> [f64; 3] {
    let mut a = [0.0; 3];
    for i in 0..2 {
        a[0] += d[i] * q[i][0] * q[i][0];
        a[1] += d[i] * q[i][0] * q[i][1];
        a[2] += d[i] * q[i][1] * q[i][1];
    }
    a
}

/// A·v for a symmetric (a00, a01, a11).
fn times(a: [f64; 3], v: P2) -> P2 {
    [a[0] * v[0] + a[1] * v[1], a[1] * v[0] + a[2] * v[1]]
}

impl GaussMap {
    /// The stand-in of `target` under `schedule`.
    pub fn new(schedule: Schedule, target: &ExactTarget) -> Self {
        let [c00, c01, c11] = target.covariance();
        let theta = 0.5 * (2.0 * c01).atan2(c00 - c11);
        let (s, c) = theta.sin_cos();
        let q = [[c, s], [-s, c]];
        let lambda = [
            c00 * c * c + 2.0 * c01 * s * c + c11 * s * s,
            c00 * s * s - 2.0 * c01 * s * c + c11 * c * c,
        ];
        Self {
            schedule,
            mean: target.mean(),
            lambda: lambda.map(|l| l.max(0.0)),
            q,
        }
    }

    /// The eigenvalues of S_t and of Ṡ_t.
    fn var(&self, at: &ScheduleAt) -> ([f64; 2], [f64; 2]) {
        let (s2, ssd) = (at.sigma2(), at.sigma_d_sigma());
        let v = self
            .lambda
            .map(|l| (s2 + at.beta * at.beta * l).max(1e-300));
        let dv = self
            .lambda
            .map(|l| 2.0 * ssd + 2.0 * at.beta * at.d_beta * l);
        (v, dv)
    }

    /// The affine map whose matrix is Σ_i d_i q_i q_iᵀ, taking x − β_s μ to (offset) + A(x − β_s μ).
    fn affine(&self, d: [f64; 2], beta_s: f64, offset: P2) -> Skip {
        let a = sym(&self.q, d);
        let am = times(a, self.mean.map(|m| beta_s * m));
        Skip {
            a,
            m: [offset[0] - am[0], offset[1] - am[1]],
        }
    }

    /// G_{s,t}.
    pub fn map(&self, s: f64, t: f64) -> Skip {
        let (ats, att) = (self.schedule.at(s), self.schedule.at(t));
        let (vs, _) = self.var(&ats);
        let (vt, _) = self.var(&att);
        let r = [0, 1].map(|i| (vt[i] / vs[i]).sqrt());
        self.affine(r, ats.beta, self.mean.map(|m| att.beta * m))
    }

    /// ∂_t G_{s,t}.
    pub fn map_dt(&self, s: f64, t: f64) -> Skip {
        let (ats, att) = (self.schedule.at(s), self.schedule.at(t));
        let (vs, _) = self.var(&ats);
        let (vt, dvt) = self.var(&att);
        let r = [0, 1].map(|i| dvt[i] / (2.0 * (vt[i] * vs[i]).sqrt()));
        self.affine(r, ats.beta, self.mean.map(|m| att.d_beta * m))
    }

    /// The stand-in's velocity b_t = ∂_t G_{s,t} at t = s.
    pub fn velocity(&self, t: f64) -> Skip {
        self.map_dt(t, t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use interplay_core::{Path, Target};

    fn schedules() -> Vec<Schedule> {
        [
            Path::Linear,
            Path::OneSidedLinear,
            Path::OneSidedTrig,
            Path::Trig,
        ]
        .map(Schedule::preset)
        .to_vec()
    }

    #[test]
    fn the_stand_in_map_is_a_flow_with_the_stand_in_velocity() {
        // Anisotropic and off-centre: the gmm's mean and covariance.
        let target = ExactTarget::new(&Target::from_name("gmm").expect("gmm"));
        let x = [0.7, -1.3];
        for schedule in schedules() {
            let g = GaussMap::new(schedule, &target);
            for (s, t) in [(0.0, 0.5), (0.2, 0.9), (0.5, 0.5), (0.6, 0.3)] {
                // Identity on the diagonal.
                if s == t {
                    let y = g.map(s, t).apply(x);
                    assert!((y[0] - x[0]).abs() < 1e-12 && (y[1] - x[1]).abs() < 1e-12);
                }
                // ∂_t by central differences.
                let h = 1e-6;
                let (p, m) = (g.map(s, t + h).apply(x), g.map(s, t - h).apply(x));
                let d = g.map_dt(s, t).apply(x);
                for k in 0..2 {
                    let fd = (p[k] - m[k]) / (2.0 * h);
                    assert!(
                        (fd - d[k]).abs() < 1e-5,
                        "{schedule:?} ({s}, {t}): {fd} vs {}",
                        d[k]
                    );
                }
                // The flow obeys ∂_t G_{s,t}(x) = b_t(G_{s,t}(x)).
                let y = g.map(s, t).apply(x);
                let b = g.velocity(t).apply(y);
                assert!((b[0] - d[0]).abs() < 1e-9 && (b[1] - d[1]).abs() < 1e-9);
                // Semigroup: G_{u,t} ∘ G_{s,u} = G_{s,t}.
                let u = 0.5 * (s + t) + 0.1;
                let two = g.map(u, t).apply(g.map(s, u).apply(x));
                let one = g.map(s, t).apply(x);
                assert!((two[0] - one[0]).abs() < 1e-9 && (two[1] - one[1]).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn the_stand_in_velocity_is_the_interpolants_for_a_gaussian_target() {
        // b_t(x) = E[α̇x0 + β̇x1 + γ̇z | x_t = x] for x1 ~ N(μ, Σ): Cov(İ, x_t) S_t⁻¹ (x − β_t μ) +
        // β̇_t μ, with Cov(İ, x_t) = (αα̇ + γγ̇) I + ββ̇ Σ = ½ Ṡ_t.
        let target = ExactTarget::new(&Target::from_name("gmm").expect("gmm"));
        let [c00, c01, c11] = target.covariance();
        let mu = target.mean();
        let schedule = Schedule::default();
        let g = GaussMap::new(schedule, &target);
        for t in [0.1, 0.5, 0.9] {
            let at = schedule.at(t);
            let (s2, ssd, b2, bbd) = (
                at.sigma2(),
                at.sigma_d_sigma(),
                at.beta * at.beta,
                at.beta * at.d_beta,
            );
            let s = [s2 + b2 * c00, b2 * c01, s2 + b2 * c11];
            let c = [ssd + bbd * c00, bbd * c01, ssd + bbd * c11];
            let det = s[0] * s[2] - s[1] * s[1];
            let inv = [s[2] / det, -s[1] / det, s[0] / det];
            let x = [1.1, 0.4];
            let r = [x[0] - at.beta * mu[0], x[1] - at.beta * mu[1]];
            let w = times(inv, r);
            let cw = [c[0] * w[0] + c[1] * w[1], c[1] * w[0] + c[2] * w[1]];
            let want = [at.d_beta * mu[0] + cw[0], at.d_beta * mu[1] + cw[1]];
            let got = g.velocity(t).apply(x);
            assert!(
                (got[0] - want[0]).abs() < 1e-10 && (got[1] - want[1]).abs() < 1e-10,
                "t {t}"
            );
        }
    }
}
