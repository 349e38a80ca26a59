//! The schedule-free D's skip with the target's moments (docs/math.md §8.4): the exact
//! posterior mean of a Gaussian target, so the network is left only what is not Gaussian.
#![allow(clippy::disallowed_methods)]

use interplay_core::mixture::{Component, Mixture, Sym2};
use interplay_core::targets::ExactTarget;
use interplay_core::{Rng, Target};
use interplay_nn::objective::{Moments, precondition, sf_skip};

/// One correlated, off-centre Gaussian.
fn gaussian() -> ExactTarget {
    ExactTarget::Mixture(Mixture::new(vec![Component {
        weight: 1.0,
        mean: [1.5, -0.7],
        cov: Sym2 {
            a: 2.0,
            b: 0.8,
            c: 0.9,
        },
    }]))
}

#[test]
fn the_skip_is_the_posterior_mean_of_a_gaussian_target() {
    // One correlated, off-centre Gaussian: its exact posterior mean is affine in x, and the
    // skip built from its moments must be that map, at every (σ, β) including β = 0 (the mean).
    let gauss = gaussian();
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

#[test]
fn a_learned_field_applies_the_skip_on_the_device_as_on_the_host() {
    // With every network weight zero, the learned posterior mean E[x1 | x_t = x] of the
    // schedule-free D is its skip A·x + m alone: the device's (written out elementwise) must be
    // the host's, for a correlated, off-centre Gaussian (A not a multiple of I, m ≠ 0).
    use burn::tensor::{Device, Tensor, TensorData};
    use interplay_core::{ObjectiveKind, Schedule};
    use interplay_nn::{DeviceField, LearnedField, NetConfig, Objective};
    let gauss = gaussian();
    let objective = Objective::of(ObjectiveKind::ScheduleFree, &gauss).expect("schedule-free");
    let device = Device::flex();
    let net = NetConfig {
        width: 8,
        depth: 1,
        ..NetConfig::default()
    };
    let zeros: Vec<Vec<f32>> = net
        .shapes()
        .iter()
        .flat_map(|&(i, o)| [vec![0.0; i * o], vec![0.0; o]])
        .collect();
    let nets = vec![net.from_params(&zeros, &device).expect("a network")];
    let schedule = Schedule::default();
    let field = LearnedField::new(objective.clone(), schedule, nets, device.clone());
    let mut rng = Rng::new(5);
    let xs: Vec<[f64; 2]> = (0..16).map(|_| rng.normal2().map(|v| 2.0 * v)).collect();
    let flat: Vec<f32> = xs.iter().flat_map(|p| p.map(|v| v as f32)).collect();
    for t in [0.2, 0.5, 0.9] {
        let x = Tensor::<2>::from_data(TensorData::new(flat.clone(), [xs.len(), 2]), &device);
        let got = pollster::block_on(interplay_nn::read_points(field.posterior_mean(t, x)))
            .expect("read");
        let st = schedule.at(t);
        let at = objective
            .sf_at(st.sigma2().sqrt(), st.beta)
            .expect("schedule-free");
        assert!(at.skip.scalar().is_none(), "a full skip: {:?}", at.skip);
        for (p, g) in xs.iter().zip(&got) {
            let want = at.skip.apply(*p);
            assert!(
                (0..2).all(|d| (g[d] - want[d]).abs() < 1e-4 * (1.0 + want[d].abs())),
                "t {t} x {p:?}: {g:?} against {want:?}"
            );
        }
    }
}
