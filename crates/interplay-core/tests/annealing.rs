//! Annealed Langevin walkers with Jarzynski weights (NETS without a learned drift) against
//! energies whose normalisation is known exactly: the energy is the exact log-density, the log Z
//! estimate lands on −log 2π, and the weights are what makes the walkers' histogram right.

use interplay_core::annealing::{Drift, Energy, Walkers, anneal, density_bins, exact_log_z, step};
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

/// A Gaussian energy in closed form: the exact density at time `at` of a target that is one
/// point m, N(β(at)·m, σ²(at)·I), and along the annealing U_τ = (1 − τ)|x|²/2 + τU the density
/// e^{−U_τ}/Z_τ = N(μ_τ, I/λ_τ) with λ_τ = 1 − τ + τ/σ², μ_τ = τ·β·m/(σ²·λ_τ), and
/// log(Z_τ/Z₀) = −c_τ − log λ_τ, c_τ = τ(|βm|²/(2σ²) + log 2πσ²) − λ_τ|μ_τ|²/2.
struct GaussPath {
    mean: [f64; 2],
    s2: f64,
}

impl GaussPath {
    const M: [f64; 2] = [1.5, -0.8];
    const AT: f64 = 0.9;

    fn new() -> Self {
        let st = Schedule::preset(interplay_core::Path::Linear).at(Self::AT);
        Self {
            mean: [st.beta * Self::M[0], st.beta * Self::M[1]],
            s2: st.sigma2(),
        }
    }
    fn energy() -> Energy {
        Energy::of(&Target::Points(vec![Self::M]), Self::AT).expect("a Gaussian energy")
    }
    fn lambda(&self, tau: f64) -> f64 {
        1.0 - tau + tau / self.s2
    }
    fn mu(&self, tau: f64) -> [f64; 2] {
        let k = tau / (self.s2 * self.lambda(tau));
        [k * self.mean[0], k * self.mean[1]]
    }
    fn log_z(&self, tau: f64) -> f64 {
        let (l, mu) = (self.lambda(tau), self.mu(tau));
        let m2 = self.mean[0].powi(2) + self.mean[1].powi(2);
        let c = tau * (m2 / (2.0 * self.s2) + (2.0 * std::f64::consts::PI * self.s2).ln())
            - 0.5 * l * (mu[0] * mu[0] + mu[1] * mu[1]);
        -c - l.ln()
    }
}

#[test]
fn the_gaussian_energy_is_the_closed_form_and_its_log_z_is_exact() {
    let (g, e) = (GaussPath::new(), GaussPath::energy());
    for x in [[0.0, 0.0], [1.0, -2.0], [-3.0, 0.5]] {
        let d2 = (x[0] - g.mean[0]).powi(2) + (x[1] - g.mean[1]).powi(2);
        let u = d2 / (2.0 * g.s2) + (2.0 * std::f64::consts::PI * g.s2).ln();
        assert!(
            (e.value(x) - u).abs() < 1e-9,
            "{x:?}: {} vs {u}",
            e.value(x)
        );
    }
    assert!((g.log_z(1.0) - exact_log_z()).abs() < 1e-12);
    assert_eq!(g.log_z(0.0), 0.0);
}

#[test]
fn with_no_drift_the_weighted_walkers_give_the_closed_form_means_and_normalisations() {
    // Annealing alone on a Gaussian path: at every τ the weighted mean of x is μ_τ, the weighted
    // mean of |x − μ_τ|² is 2/λ_τ, and the mean weight is Z_τ/Z₀ (Monte Carlo, 20 000 walkers;
    // the step's bias falls with Δτ: 400 steps).
    let (g, e) = (GaussPath::new(), GaussPath::energy());
    let mut rng = Rng::new(21);
    let mut w = Walkers::new(20_000, &mut rng);
    for stop in [0.25, 0.5, 1.0] {
        let steps = (400.0 * (stop - w.tau)).round() as usize;
        let d = (stop - w.tau) / steps as f64;
        for _ in 0..steps {
            step(&e, &mut w, d, 1.0, None, &mut rng);
        }
        let tau = w.tau;
        let p = w.weights();
        let mean =
            w.x.iter()
                .zip(&p)
                .fold([0.0, 0.0], |m, (x, v)| [m[0] + v * x[0], m[1] + v * x[1]]);
        let mu = g.mu(tau);
        let spread: f64 =
            w.x.iter()
                .zip(&p)
                .map(|(x, v)| v * ((x[0] - mu[0]).powi(2) + (x[1] - mu[1]).powi(2)))
                .sum();
        let s = w.stats();
        eprintln!(
            "τ {tau:.3}: mean {mean:?} vs {mu:?}, spread {spread:.4} vs {:.4}, log Z {:.4} vs {:.4}, ESS {:.3}",
            2.0 / g.lambda(tau),
            s.log_z,
            g.log_z(tau),
            s.ess
        );
        assert!(
            (mean[0] - mu[0]).abs() < 0.05 && (mean[1] - mu[1]).abs() < 0.05,
            "τ {tau}: {mean:?} vs {mu:?}"
        );
        assert!(
            (spread - 2.0 / g.lambda(tau)).abs() < 0.05 * 2.0 / g.lambda(tau),
            "τ {tau}: {spread}"
        );
        assert!(
            (s.log_z - g.log_z(tau)).abs() < 0.03,
            "τ {tau}: {} vs {}",
            s.log_z,
            g.log_z(tau)
        );
    }
}

#[test]
fn the_exact_transport_of_a_gaussian_path_keeps_the_weights_equal() {
    // The drift that carries N(μ_τ, I/λ_τ) along with τ: b = μ̇ + (σ̇/σ)(x − μ), σ = λ^{−1/2},
    // with divergence 2σ̇/σ. Moved by it (and any Langevin noise, which keeps ρ_τ), every walker
    // does the same work, so the weights stay even and each one is Z_τ/Z₀.
    let (g, e) = (GaussPath::new(), GaussPath::energy());
    let mut rng = Rng::new(23);
    let mut w = Walkers::new(4000, &mut rng);
    let steps = 400;
    // λ' = 1/σ² − 1; σ̇/σ = −λ'/(2λ); μ̇ = (βm/(σ²λ))(1 − τλ'/λ).
    let dl = 1.0 / g.s2 - 1.0;
    for _ in 0..steps {
        let (tau, l) = (w.tau, g.lambda(w.tau));
        let rate = -dl / (2.0 * l);
        let k = (1.0 - tau * dl / l) / (g.s2 * l);
        let (dmu, mu) = ([k * g.mean[0], k * g.mean[1]], g.mu(tau));
        let b: Vec<[f64; 2]> =
            w.x.iter()
                .map(|x| {
                    [
                        dmu[0] + rate * (x[0] - mu[0]),
                        dmu[1] + rate * (x[1] - mu[1]),
                    ]
                })
                .collect();
        let div = vec![2.0 * rate; w.x.len()];
        step(
            &e,
            &mut w,
            1.0 / steps as f64,
            0.5,
            Some(Drift { b: &b, div: &div }),
            &mut rng,
        );
    }
    let s = w.stats();
    // Each step adds Δτ·∂_τ log Z_τ at its start to every weight alike: the estimate is the
    // left Riemann sum of the exact log Z's derivative, whose bias falls with Δτ.
    let h = 1e-6;
    let riemann: f64 = (0..steps)
        .map(|k| {
            let t = k as f64 / steps as f64;
            (g.log_z(t + h) - g.log_z(t)) / h / steps as f64
        })
        .sum();
    eprintln!(
        "exact transport: ESS {:.6}, log Z {:.5}, its Riemann sum {riemann:.5}, exact {:.5}",
        s.ess,
        s.log_z,
        exact_log_z()
    );
    assert!(s.ess > 0.999_999, "ESS {}", s.ess);
    assert!(
        (s.log_z - riemann).abs() < 1e-3,
        "log Z {} vs {riemann}",
        s.log_z
    );
    assert!(
        (s.log_z - exact_log_z()).abs() < 0.05,
        "log Z {} vs {}",
        s.log_z,
        exact_log_z()
    );
}
