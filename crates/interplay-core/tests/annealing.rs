//! Annealed Langevin walkers with Jarzynski weights (NETS without a learned drift) against
//! energies whose normalisation is known exactly: the energy is the exact log-density, the log Z
//! estimate lands on −log 2π, and the weights are what makes the walkers' histogram right.

use interplay_core::annealing::{Energy, Walkers, anneal, density_bins, exact_log_z};
use interplay_core::metrics::{histogram_tv, weighted_histogram_tv};
use interplay_core::{ExactField, Rng, Schedule, Target};

fn energy(target: Target, t: f64) -> Energy {
    Energy::new(ExactField::new(Schedule::default(), &target).at(t))
}

#[test]
fn the_energys_gradient_is_the_finite_difference_of_its_value() {
    for (target, t) in [
        (Target::Gmm, 0.99),
        (Target::Checkerboard, 0.9),
        (Target::Rings, 0.95),
    ] {
        let e = energy(target.clone(), t);
        for x in [[0.3, -0.7], [2.1, 1.4], [-3.0, 0.2]] {
            let g = e.gradient(x);
            let h = 1e-5;
            for d in 0..2 {
                let (mut p, mut m) = (x, x);
                p[d] += h;
                m[d] -= h;
                let fd = (e.value(p) - e.value(m)) / (2.0 * h);
                assert!(
                    (fd - g[d]).abs() < 1e-5 * (1.0 + g[d].abs()),
                    "{target:?} {x:?}: {fd} vs {}",
                    g[d]
                );
            }
        }
    }
}

#[test]
fn weighted_walkers_estimate_log_z_and_the_weights_correct_their_histogram() {
    // The Gaussian mixture: four separated modes of different shapes and weights. Annealing alone
    // leaves the walkers' mass in the wrong proportions (the modes separate before the walkers
    // can move between them); the Jarzynski weights put it back, at the cost of a low ESS.
    let e = energy(Target::Gmm, 0.99);
    let mut rng = Rng::new(11);
    let mut walkers = Walkers::new(4000, &mut rng);
    let record = anneal(&e, &mut walkers, 400, 4.0, &mut rng);
    assert_eq!(record.len(), 401);
    assert_eq!(
        (record[0].tau, record[0].ess, record[0].log_z),
        (0.0, 1.0, 0.0)
    );
    let end = record[400];
    assert_eq!(end.tau, 1.0);
    let reference = density_bins(e.field(), 8);
    let weighted = weighted_histogram_tv(&walkers.x, &walkers.weights(), &reference);
    let plain = histogram_tv(&walkers.x, &reference);
    eprintln!(
        "ESS {:.3}, log Z {:.4} (exact {:.4}), TV on 8 × 8 bins weighted {weighted:.3}, unweighted {plain:.3}",
        end.ess,
        end.log_z,
        exact_log_z()
    );
    assert!(
        end.ess > 0.0 && end.ess < 0.5,
        "annealing alone collapses: {end:?}"
    );
    assert!((end.log_z - exact_log_z()).abs() < 0.1, "{end:?}");
    assert!(
        weighted < 0.6 * plain,
        "the weights correct the walkers: {weighted} vs {plain}"
    );
    // Without the weights' work term the estimate would stay at log Z = 0.
    assert!(record.windows(2).any(|w| w[1].log_z != w[0].log_z));
}
