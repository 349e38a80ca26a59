//! The schedule-free D's skip with the target's moments (docs/math.md §8.4): the exact
//! posterior mean of a Gaussian target, so the network is left only what is not Gaussian.
#![allow(clippy::disallowed_methods)]

use interplay_core::mixture::{Component, Mixture, Sym2};
use interplay_core::targets::ExactTarget;
use interplay_core::{Rng, Target};
use interplay_nn::objective::{Moments, precondition, sf_skip};

#[test]
fn the_skip_is_the_posterior_mean_of_a_gaussian_target() {
    // One correlated, off-centre Gaussian: its exact posterior mean is affine in x, and the
    // skip built from its moments must be that map, at every (σ, β) including β = 0 (the mean).
    let gauss = ExactTarget::Mixture(Mixture::new(vec![Component {
        weight: 1.0,
        mean: [1.5, -0.7],
        cov: Sym2 {
            a: 2.0,
            b: 0.8,
            c: 0.9,
        },
    }]));
    let mo = Moments::of(&gauss);
    assert_eq!(mo.mean, [1.5, -0.7]);
    let mut rng = Rng::new(2);
    for (sigma, beta) in [
        (1.0, 0.0),
        (0.95, 0.1),
        (0.7, 0.5),
        (0.1, 0.95),
        (1e-3, 1.0),
    ] {
        let skip = sf_skip(sigma, beta, 1.3, Some(&mo));
        for _ in 0..20 {
            let x = rng.normal2().map(|v| 3.0 * v);
            let want = gauss.posterior(x, beta, sigma, false).g1;
            let got = skip.apply(x);
            assert!(
                (0..2).all(|d| (got[d] - want[d]).abs() < 1e-9 * (1.0 + want[d].abs())),
                "σ {sigma} β {beta} x {x:?}: {got:?} against {want:?}"
            );
        }
    }
}

#[test]
fn the_skip_leaves_the_checkerboard_a_smaller_residual_and_stays_finite_on_the_line() {
    // At t = 0.1 of linear + Brownian (β = 0.1, σ² = 0.9), the isotropic skip leaves the
    // checkerboard's cross-covariance to the network; the moments' skip does not. Mean square
    // residual g1 − skip over x ~ ρ(t) (docs/math.md §8.4: about 0.14² against 0.02²).
    let exact = ExactTarget::new(&Target::Checkerboard);
    let mo = Moments::of(&exact);
    let (beta, sigma) = (0.1, 0.9f64.sqrt());
    let sd = interplay_nn::objective::sigma_data(&exact);
    let mut rng = Rng::new(4);
    let x1 = exact.sample(&mut rng, 4000);
    let (mut iso, mut full) = (0.0, 0.0);
    for p in &x1 {
        let n = rng.normal2();
        let x = [beta * p[0] + sigma * n[0], beta * p[1] + sigma * n[1]];
        let g = exact.posterior(x, beta, sigma, false).g1;
        for (acc, s) in [(&mut iso, None), (&mut full, Some(&mo))] {
            let k = sf_skip(sigma, beta, sd, s).apply(x);
            *acc += (g[0] - k[0]).powi(2) + (g[1] - k[1]).powi(2);
        }
    }
    assert!(
        full < 0.05 * iso,
        "residual² {full} against the isotropic {iso}"
    );
    // Without moments the skip is EDM's c_skip, as before (old checkpoints evaluate unchanged).
    let (a, ..) = precondition(sigma, beta, sd, (-6.9, 5.7));
    assert_eq!(sf_skip(sigma, beta, sd, None).scalar(), Some(a));
    // A target on the line has a singular covariance: at σ = 0 the skip is x/β along the line
    // and 0 across it, never NaN.
    let line = Moments::of(&ExactTarget::new(&Target::Line("bars".into())));
    let s = sf_skip(0.0, 0.8, 1.0, Some(&line));
    assert!(s.a.iter().chain(&s.m).all(|v| v.is_finite()), "{s:?}");
    assert!((s.a[0] - 1.0 / 0.8).abs() < 1e-6 && s.a[2] == 0.0);
}
