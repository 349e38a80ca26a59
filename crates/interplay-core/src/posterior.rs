//! The posterior of x1 given x_t for a Gaussian base, and the identities of docs/math.md §2 that
//! turn it into every field.
//!
//! With x0 ~ N(0, I) ⟂ z ~ N(0, I) ⟂ x1, the Gaussian part n = α x0 + γ z of x_t has variance
//! σ² = α² + γ², so x_t | x1 ~ N(β x1, σ² I) and everything follows from the posterior mean
//! g1 = E[x1 | x_t = x] and, for divergences, tr Cov(x1 | x_t = x):
//!
//! ```text
//! s  = −(x − β g1)/σ²                     (Tweedie)
//! b  = β̇ g1 + (σσ̇/σ²)(x − β g1) = β̇ g1 − σσ̇ s      σσ̇ = αα̇ + γγ̇
//! v  = β̇ g1 − αα̇ s                       b = v − γγ̇ s
//! η  = E[z | x_t] = −γ s                  s = −η/γ   (README sign)
//! g0 = E[x0 | x_t] = −α s
//! ∇·g1 = (β/σ²) tr Cov,  ∇·b = β̇ ∇·g1 + (σσ̇/σ²)(d − β ∇·g1),  ∇·s = −(d − β ∇·g1)/σ²
//! ```
//! A posterior supplies g1 and s together: a mixture computes s without dividing by σ², so its
//! fields stay finite at t = 1 when the target has a density. These formulas live only here;
//! every other module calls them. This module depends on the schedule alone: the targets'
//! posteriors (`checker`, `mixture`, `targets::ExactTarget`) and the fields built on them
//! (`fields`) all sit above it.

use crate::P2;
use crate::schedule::ScheduleAt;

/// The posterior of x1 given x_t = x, and the density of x_t.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Posterior {
    /// g1 = E[x1 | x_t = x].
    pub g1: P2,
    /// The score s = ∇ log ρ(t, x) = −(x − β g1)/σ².
    pub score: P2,
    /// tr Cov(x1 | x_t = x) (NaN when not requested).
    pub tr_cov: f64,
    /// log ρ(t, x).
    pub log_rho: f64,
}

/// The identities of docs/math.md §2 for a Gaussian base, at one time.
pub mod identity {
    use super::{P2, ScheduleAt};

    /// Dimension d.
    const D: f64 = 2.0;

    /// The residual r = x − β g1 (the posterior mean of the Gaussian part).
    pub fn residual(st: &ScheduleAt, x: P2, g1: P2) -> P2 {
        [x[0] - st.beta * g1[0], x[1] - st.beta * g1[1]]
    }
    /// s = −(x − β g1)/σ² (for posteriors that only know g1).
    pub fn score(st: &ScheduleAt, x: P2, g1: P2) -> P2 {
        let r = residual(st, x, g1);
        let k = -1.0 / st.sigma2();
        [k * r[0], k * r[1]]
    }
    /// b = β̇ g1 − σσ̇ s.
    pub fn velocity(st: &ScheduleAt, g1: P2, s: P2) -> P2 {
        let k = st.sigma_d_sigma();
        [st.d_beta * g1[0] - k * s[0], st.d_beta * g1[1] - k * s[1]]
    }
    /// v = E[α̇ x0 + β̇ x1 | x_t] = β̇ g1 − αα̇ s.
    pub fn v(st: &ScheduleAt, g1: P2, s: P2) -> P2 {
        let k = st.alpha_d_alpha;
        [st.d_beta * g1[0] - k * s[0], st.d_beta * g1[1] - k * s[1]]
    }
    /// η = E[z | x_t] = −γ s (the README sign: s = −η/γ).
    pub fn eta(st: &ScheduleAt, s: P2) -> P2 {
        [-st.gamma * s[0], -st.gamma * s[1]]
    }
    /// g0 = E[x0 | x_t] = −α s.
    pub fn g0(st: &ScheduleAt, s: P2) -> P2 {
        [-st.alpha * s[0], -st.alpha * s[1]]
    }
    /// b = v − γγ̇ s.
    pub fn velocity_from_v_score(st: &ScheduleAt, v: P2, s: P2) -> P2 {
        [
            v[0] - st.gamma_d_gamma * s[0],
            v[1] - st.gamma_d_gamma * s[1],
        ]
    }
    /// s = −η/γ (needs γ > 0).
    pub fn score_from_eta(st: &ScheduleAt, eta: P2) -> P2 {
        [-eta[0] / st.gamma, -eta[1] / st.gamma]
    }
    /// g1 = (x + σ² s)/β, the Tweedie denoiser (needs β > 0).
    pub fn g1_from_score(st: &ScheduleAt, x: P2, s: P2) -> P2 {
        let s2 = st.sigma2();
        [(x[0] + s2 * s[0]) / st.beta, (x[1] + s2 * s[1]) / st.beta]
    }
    /// b = β̇ g1 − σσ̇ s, from a score alone (needs β > 0 for g1).
    pub fn velocity_from_score(st: &ScheduleAt, x: P2, s: P2) -> P2 {
        velocity(st, g1_from_score(st, x, s), s)
    }
    /// ∇·b from tr Cov(x1 | x_t).
    pub fn div_velocity(st: &ScheduleAt, tr_cov: f64) -> f64 {
        div_velocity_in(st, tr_cov, D)
    }
    /// ∇·b from tr Cov(x1 | x_t) in dimension `d` (the line of `crate::line` has d = 1).
    pub fn div_velocity_in(st: &ScheduleAt, tr_cov: f64, d: f64) -> f64 {
        let s2 = st.sigma2();
        let div_g1 = st.beta / s2 * tr_cov;
        st.d_beta * div_g1 + st.sigma_d_sigma() / s2 * (d - st.beta * div_g1)
    }
    /// ∇·s from tr Cov(x1 | x_t).
    pub fn div_score(st: &ScheduleAt, tr_cov: f64) -> f64 {
        let s2 = st.sigma2();
        -(D - st.beta * st.beta / s2 * tr_cov) / s2
    }
}
