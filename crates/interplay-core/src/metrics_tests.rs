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
