//! The learned transport of NETS against annealing alone, on an energy whose normalisation is
//! known exactly (the Gaussian mixture's log-density): with the learned drift the walkers'
//! weights stay far more even (a higher ESS) and the log Z estimate is at least as close to
//! −log 2π, measured on the same walkers' settings in the same run.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{cpu, now, read1};
use interplay_core::annealing::{Energy, density_bins, exact_log_z};
use interplay_core::metrics::weighted_histogram_tv;
use interplay_core::{ExactField, Rng, Schedule, Target};
use interplay_nn::nets::{NetsConfig, NetsTrainer, run_walkers};

#[test]
fn a_learned_drift_keeps_the_weights_even_where_annealing_alone_does_not() {
    let energy = || Energy::new(ExactField::new(Schedule::default(), &Target::Gmm).at(0.99));
    let config = NetsConfig::default();
    let steps = 300;
    let mut trainer = now(NetsTrainer::new(energy(), config.clone(), &cpu())).expect("trainer");
    let mut last = f64::NAN;
    for k in 0..steps {
        let l = now(trainer.train_step()).expect("step");
        if k % 50 == 0 || k + 1 == steps {
            last = read1(l);
            eprintln!("step {k}: loss {last:.4}");
        }
    }
    assert!(last.is_finite());
    let t = trainer.transport();
    let e = energy();
    let (wp, plain, _) =
        now(run_walkers(&e, None, &cpu(), &config, &mut Rng::new(5))).expect("plain");
    let (wl, learned, _) =
        now(run_walkers(&e, Some(&t), &cpu(), &config, &mut Rng::new(5))).expect("learned");
    let (p, l) = (plain[config.steps], learned[config.steps]);
    let reference = density_bins(e.field(), 16);
    let tv = |w: &interplay_core::annealing::Walkers| {
        weighted_histogram_tv(&w.x, &w.weights(), &reference)
    };
    let (tp, tl) = (tv(&wp), tv(&wl));
    eprintln!(
        "annealing alone: ESS {:.3}, log Z {:.4}, TV {tp:.3}; learned drift: ESS {:.3}, log Z {:.4}, \
         TV {tl:.3} (exact log Z {:.4}; TV of the weighted walkers on 16 × 16 bins)",
        p.ess,
        p.log_z,
        l.ess,
        l.log_z,
        exact_log_z()
    );
    assert!(
        tl < tp,
        "the even weights give a better histogram: {tl} against {tp}"
    );
    assert!(l.ess > 2.0 * p.ess, "{l:?} against {p:?}");
    assert!((l.log_z - exact_log_z()).abs() < 0.1, "{l:?}");
}
