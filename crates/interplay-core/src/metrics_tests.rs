use super::*;
use crate::Target;

#[test]
fn exact_samples_score_well_and_the_base_scores_badly() {
    let target = ExactTarget::new(&Target::Checkerboard);
    let good = Target::Checkerboard.sample(&mut Rng::new(1), 20_000);
    let bad = Rng::new(2).normals(20_000);
    let (mg, mb) = (evaluate(&target, &good, 0), evaluate(&target, &bad, 0));
    assert_eq!(mg.in_support, 1.0);
    assert_eq!(mg.in_support_reference, 1.0);
    assert!(mg.tv < 0.05, "{mg:?}");
    assert!(mg.sliced_w2 < 0.06 && mg.energy < 0.01, "{mg:?}");
    assert!(mg.nll_kde > 3.4657 && mg.nll_kde < 3.9, "{mg:?}");
    // N(0, I) puts 49.99 % of its mass on the board.
    assert!((mb.in_support - 0.5).abs() < 0.015, "{mb:?}");
    assert!(
        mb.tv > 0.4 && mb.sliced_w2 > 0.5 && mb.energy > 0.1,
        "{mb:?}"
    );
    assert!(mb.nll_kde > mg.nll_kde + 0.3, "{mb:?}");
}

#[test]
fn tv_reference_is_a_distribution() {
    for t in [
        Target::Checkerboard,
        Target::Gmm,
        Target::Rings,
        Target::Points(vec![[0.1, 0.2], [9.0, 9.0]]),
    ] {
        let r = tv_reference(&ExactTarget::new(&t));
        let total: f64 = r.iter().sum();
        assert!(
            (total - 1.0).abs() < 2e-3 && r.iter().all(|v| *v >= 0.0),
            "{t:?}: {total}"
        );
    }
    let pts = tv_reference(&ExactTarget::new(&Target::Points(vec![
        [0.1, 0.2],
        [9.0, 9.0],
    ])));
    assert_eq!(pts[TV_BINS * TV_BINS], 0.5);
}

#[test]
fn mixture_support_and_non_finite_samples() {
    let t = ExactTarget::new(&Target::Gmm);
    let xs = Target::Gmm.sample(&mut Rng::new(3), 5000);
    let m = evaluate(&t, &xs, 1);
    assert!(
        (m.in_support - 0.989).abs() < 0.01 && (m.in_support_reference - 0.989).abs() < 0.01,
        "{m:?}"
    );
    let mut bad = xs.clone();
    bad[0] = [f64::NAN, 0.0];
    let m2 = evaluate(&t, &bad, 1);
    assert_eq!(m2.non_finite, 1);
    assert!(m2.tv.is_finite() && m2.sliced_w2.is_finite());
}

#[test]
fn sliced_w2_of_a_shift() {
    let a = Rng::new(4).normals(5000);
    let b: Vec<P2> = a.iter().map(|x| [x[0] + 1.0, x[1]]).collect();
    // A shift by 1 along x: the projected shift is cos θ, whose mean square over θ is ½.
    let w = sliced_w2(&a, &b, 64, &mut Rng::new(5));
    assert!((w - 0.5f64.sqrt()).abs() < 0.01, "{w}");
}

#[test]
fn the_fine_histogram_tv_is_the_noise_level_for_exact_samples() {
    // 32×32 bins of 0.25 over [−4, 4]²: the checkerboard's 8 squares cover 512 bins of mass
    // 1/512 each; 20 000 exact samples score ≈ 0.06 from sampling noise alone.
    let t = ExactTarget::new(&Target::Checkerboard);
    let r = tv_reference_bins(&t, TV_FINE_BINS);
    assert_eq!(r.len(), 32 * 32 + 1);
    assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert_eq!(
        r.iter()
            .filter(|v| (**v - 1.0 / 512.0).abs() < 1e-12)
            .count(),
        512
    );
    let xs = Target::Checkerboard.sample(&mut Rng::new(8), 20_000);
    let m = evaluate(&t, &xs, 1);
    assert!((0.04..0.08).contains(&m.tv_fine), "{}", m.tv_fine);
    assert!(m.tv < m.tv_fine, "coarser bins average out more noise");
    // A blurred board (each sample moved by noise of sd 0.15) scores worse on the fine bins.
    let mut rng = Rng::new(9);
    let blurred: Vec<P2> = xs
        .iter()
        .map(|x| {
            let e = rng.normal2();
            [x[0] + 0.15 * e[0], x[1] + 0.15 * e[1]]
        })
        .collect();
    assert!(evaluate(&t, &blurred, 1).tv_fine > 0.15);
}

#[test]
fn resampling_weighted_points_gives_their_distribution() {
    // N(0, I) points weighted by the ratio N(m, I)/N(0, I) = exp(m·x − |m|²/2) are a weighted
    // sample of N(m, I): the resample's mean is m (Monte Carlo), and its ESS is e^{−|m|²}.
    let xs = Rng::new(3).normals(200_000);
    let m = [0.6, -0.3];
    let w: Vec<f64> = xs
        .iter()
        .map(|x| (m[0] * x[0] + m[1] * x[1] - 0.5 * (m[0] * m[0] + m[1] * m[1])).exp())
        .collect();
    let r = resample(&xs, &w, 100_000, &mut Rng::new(4));
    assert_eq!(r.len(), 100_000);
    let (mean, cov) = moments(&r);
    assert!(
        (mean[0] - m[0]).abs() < 0.02 && (mean[1] - m[1]).abs() < 0.02,
        "{mean:?}"
    );
    assert!(
        (cov[0] - 1.0).abs() < 0.03 && (cov[2] - 1.0).abs() < 0.03,
        "{cov:?}"
    );
    let want = (-(m[0] * m[0] + m[1] * m[1])).exp();
    assert!(
        (ess(&w) - want).abs() < 0.02,
        "ESS {} against {want}",
        ess(&w)
    );
    // Even weights keep every point once; no weight, no points.
    let even = resample(&xs[..10], &[2.0; 10], 10, &mut Rng::new(5));
    assert_eq!(even, xs[..10].to_vec());
    assert!((ess(&[1.0; 7]) - 1.0).abs() < 1e-12);
    assert!(resample(&xs[..3], &[0.0; 3], 5, &mut Rng::new(6)).is_empty());
}
