//! Likelihoods by the continuous change of variables (docs/math.md §5.1).
//!
//! For the flow dX/dt = b, d/dt log ρ(t, X_t) = −∇·b(t, X_t). The density of a given point x at
//! time t_end follows by integrating X backward from X_{t_end} = x to t = 0 while accumulating
//! ∫∇·b dt: log ρ̂(t_end, x) = log ρ0(X_0) − ∫₀^{t_end} ∇·b(t, X_t) dt. The divergence is exact
//! (from the posterior covariance for exact fields, by tangent propagation for networks).

use crate::P2;
use crate::integrate::{Cloud, Field, Flow, OdeSolver, Span, stepper};
use crate::schedule::{Path, Schedule, ScheduleAt};
use crate::special::HALF_LN_2PI;
use crate::targets::ExactTarget;

/// log N(x; 0, I₂), the base density ρ0.
pub fn log_standard_normal(x: P2) -> f64 {
    -0.5 * (x[0] * x[0] + x[1] * x[1]) - 2.0 * HALF_LN_2PI
}

/// log ρ(0, x) under `schedule`: the standard normal for every path but the mirror (data to
/// data), whose ρ(0) is the target itself.
pub fn log_rho0<'a>(schedule: &Schedule, target: &'a ExactTarget) -> impl Fn(P2) -> f64 + 'a {
    let mirror = schedule.path == Path::Mirror;
    move |x| {
        if mirror {
            target.log_density(x)
        } else {
            log_standard_normal(x)
        }
    }
}

/// Points carried together with ℓ = ∫ ∇·b dt along their paths: the cloud the likelihood
/// integrates (the position's velocity is b, ℓ's is ∇·b).
pub struct Carried {
    /// The positions.
    pub x: Vec<P2>,
    /// ∫ ∇·b dt so far, per point.
    pub ell: Vec<f64>,
}

impl Cloud for Carried {
    fn step(&self, h: f64, ks: &[(f64, &Self)], noise: Option<&Self>) -> Self {
        let xs: Vec<(f64, &Vec<P2>)> = ks.iter().map(|(w, k)| (*w, &k.x)).collect();
        let ell = (0..self.ell.len())
            .map(|i| {
                let sum = ks
                    .iter()
                    .map(|(w, k)| if *w == 1.0 { k.ell[i] } else { w * k.ell[i] })
                    .reduce(|a, b| a + b)
                    .unwrap_or(0.0);
                let y = self.ell[i] + h * sum;
                noise.map_or(y, |n| y + n.ell[i])
            })
            .collect();
        Carried {
            x: self.x.step(h, &xs, noise.map(|n| &n.x)),
            ell,
        }
    }
}

/// A field seen as the flow of (X, ℓ): velocity (b, ∇·b).
struct WithDivergence<'a, F: ?Sized>(&'a F);

impl<F: Field + ?Sized> Flow for WithDivergence<'_, F> {
    type X = Carried;
    fn schedule_at(&self, t: f64) -> ScheduleAt {
        self.0.schedule_at(t)
    }
    fn velocity(&self, t: f64, c: &Carried) -> Carried {
        let n = c.x.len();
        let (mut b, mut div) = (vec![[0.0; 2]; n], vec![0.0; n]);
        self.0.velocity_div(t, &c.x, &mut b, &mut div);
        Carried { x: b, ell: div }
    }
}

/// The time grid of the likelihood: `steps` equal RK4 steps from `t_end` back to 0, without the
/// stability rule (the flow is integrated exactly as far as asked).
pub fn back_span(t_end: f64, steps: usize) -> Span {
    Span::new(t_end, 0.0, steps).unguarded()
}

/// log ρ̂(t_end, x) for every x: the one stepper's RK4 on (X, ℓ) backward from t_end to 0 in
/// `steps` steps, then log ρ0(X_0) + ℓ.
///
/// `log_rho0` is the density at t = 0: [`log_standard_normal`] for every path but the mirror,
/// whose ρ(0) is the target itself.
pub fn ode_log_likelihood<F: Field + ?Sized>(
    field: &F,
    xs: &[P2],
    t_end: f64,
    steps: usize,
    log_rho0: impl Fn(P2) -> f64,
) -> Vec<f64> {
    let start = Carried {
        x: xs.to_vec(),
        ell: vec![0.0; xs.len()],
    };
    let (end, _) = stepper::ode(
        &WithDivergence(field),
        start,
        back_span(t_end, steps),
        OdeSolver::Rk4,
    );
    end.x
        .iter()
        .zip(&end.ell)
        .map(|(x0, l)| log_rho0(*x0) + l)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixture::{Component, Mixture, Sym2};
    use crate::targets::ExactTarget;
    use crate::{ExactField, Path, Rng, Schedule, Target};

    #[test]
    fn oracle_likelihood_matches_closed_form_density() {
        for (path, tol) in [(Path::Linear, 1e-6), (Path::OneSidedLinear, 1e-6)] {
            let f = ExactField::new(Schedule::preset(path), &Target::Checkerboard);
            let xs = Target::Checkerboard.sample(&mut Rng::new(1), 200);
            let ll = ode_log_likelihood(&f, &xs, 0.9, 400, log_standard_normal);
            let at = f.at(0.9);
            let err = xs
                .iter()
                .zip(&ll)
                .map(|(x, l)| (l - at.log_rho(*x)).abs())
                .fold(0.0, f64::max);
            assert!(err < tol, "{path:?}: max error {err:.2e}");
        }
    }

    #[test]
    fn oracle_nll_approaches_the_entropy() {
        let f = ExactField::new(Schedule::default(), &Target::Checkerboard);
        let xs = Target::Checkerboard.sample(&mut Rng::new(2), 2000);
        let ll = ode_log_likelihood(&f, &xs, 0.99, 800, log_standard_normal);
        let mean = ll.iter().sum::<f64>() / ll.len() as f64;
        // docs/math.md §5.2/§9: the mean is −3.570 at t_end = 0.99 (Monte Carlo error ≈ 0.01 here).
        assert!((mean + 3.570).abs() < 0.03, "mean log ρ̂ = {mean}");
    }

    #[test]
    fn gaussian_likelihood_is_exact() {
        let (mu, c) = ([1.0, 2.0], 0.5);
        let m = Mixture::new(vec![Component {
            weight: 1.0,
            mean: mu,
            cov: Sym2::iso(c * c),
        }]);
        let f = ExactField::from_parts(Schedule::default(), ExactTarget::Mixture(m));
        let t_end = 0.999;
        let xs: Vec<P2> = Rng::new(3)
            .normals(20)
            .iter()
            .map(|z| [mu[0] + c * z[0], mu[1] + c * z[1]])
            .collect();
        let ll = ode_log_likelihood(&f, &xs, t_end, 400, log_standard_normal);
        let st = f.schedule().at(t_end);
        let s2 = st.alpha.powi(2) + st.beta.powi(2) * c * c + st.gamma.powi(2);
        for (x, l) in xs.iter().zip(&ll) {
            let d2 = (x[0] - st.beta * mu[0]).powi(2) + (x[1] - st.beta * mu[1]).powi(2);
            let exact = -d2 / (2.0 * s2) - s2.ln() - 2.0 * HALF_LN_2PI;
            assert!((l - exact).abs() < 1e-8, "{l} vs {exact}");
        }
    }
}
