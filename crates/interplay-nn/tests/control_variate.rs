//! The batch posterior's control variate (docs/math.md §3.5): the regression target keeps its
//! minimiser, and loses the noise of its reference set's stray mean where λ is large.
#![allow(clippy::disallowed_methods)]

use interplay_core::targets::ExactTarget;
use interplay_core::{P2, Rng, Target};

#[test]
fn the_control_variate_keeps_the_minimiser_and_removes_the_sets_stray_mean() {
    // T' = T − k·(others' mean − E[x1]) (interplay_nn::posterior): at each λ, over independent
    // reference sets, T and T' are unbiased for the exact posterior mean (4 standard errors),
    // and T' is much less noisy where λ is large, where T's noise is the set's stray mean;
    // where x pins x1 down (small λ), k ≈ 0 and nothing changes. A wrong centre (E[x1] off by
    // 0.1) is caught as a bias.
    use interplay_nn::posterior::{BatchPosterior, Centre};
    for target in [Target::Checkerboard, Target::Gmm] {
        let exact = ExactTarget::new(&target);
        let sd = interplay_nn::objective::sigma_data(&exact);
        let centre = Centre {
            mean: exact.mean(),
            sigma_data: sd,
        };
        let wrong = Centre {
            mean: [exact.mean()[0] + 0.1, exact.mean()[1]],
            sigma_data: sd,
        };
        let mut rng = Rng::new(5);
        for (lam, cut) in [
            (0.2, None),
            (3.0, Some(0.8)),
            (9.5, Some(0.25)),
            (30.0, Some(0.1)),
        ] {
            let (m, sets) = (64, 1500);
            // Per set: residual of T, of T' and of T' with the wrong centre.
            let mut res: Vec<[P2; 3]> = Vec::with_capacity(sets);
            for _ in 0..sets {
                let x1 = exact.sample(&mut rng, m);
                let n = exact.base_normal(&mut rng);
                let y = [x1[0][0] + lam * n[0], x1[0][1] + lam * n[1]];
                let g = exact.posterior(y, 1.0, lam, false).g1;
                let t = BatchPosterior::new(&x1, m).mean(0, y, 1.0, lam);
                let c = BatchPosterior::new(&x1, m)
                    .with_centre(centre)
                    .mean(0, y, 1.0, lam);
                let w = BatchPosterior::new(&x1, m)
                    .with_centre(wrong)
                    .mean(0, y, 1.0, lam);
                res.push([t, c, w].map(|v| [v[0] - g[0], v[1] - g[1]]));
            }
            let ns = sets as f64;
            let stats = |k: usize, d: usize| {
                let mean = res.iter().map(|r| r[k][d]).sum::<f64>() / ns;
                let var = res.iter().map(|r| (r[k][d] - mean).powi(2)).sum::<f64>() / (ns - 1.0);
                (mean, (var / ns).sqrt())
            };
            for k in 0..2 {
                for d in 0..2 {
                    let (mean, se) = stats(k, d);
                    assert!(
                        mean.abs() < 4.0 * se + 1e-9,
                        "{} λ {lam}: target {k} coordinate {d}: bias {mean} ± {se}",
                        target.name()
                    );
                }
            }
            let sq = |k: usize| {
                res.iter()
                    .map(|r| r[k][0].powi(2) + r[k][1].powi(2))
                    .sum::<f64>()
            };
            let ratio = sq(1) / sq(0);
            match cut {
                Some(c) => assert!(
                    ratio < c,
                    "{} λ {lam}: residual² ratio {ratio} (want < {c})",
                    target.name()
                ),
                None => assert!(
                    (0.9..1.1).contains(&ratio),
                    "{} λ {lam}: ratio {ratio}",
                    target.name()
                ),
            }
            if lam >= 9.5 {
                let (mean, se) = stats(2, 0);
                assert!(
                    mean.abs() > 4.0 * se,
                    "{} λ {lam}: a wrong centre went unseen ({mean} ± {se})",
                    target.name()
                );
            }
        }
    }
}
