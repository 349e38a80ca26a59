use super::*;
use crate::Rng;
use crate::mixture::{Component, Mixture, Sym2};
use crate::schedule::{GammaFamily, Path};

fn schedules() -> Vec<Schedule> {
    vec![
        Schedule::preset(Path::Linear),
        Schedule::preset(Path::OneSidedLinear),
        Schedule::preset(Path::Trig),
        Schedule {
            alpha_exp: 2.0,
            beta_exp: 0.7,
            gamma: GammaFamily::SinSquared,
            gamma_scale: 0.6,
            ..Schedule::preset(Path::Linear)
        },
        Schedule::preset(Path::Vp),
    ]
}

fn targets() -> Vec<Target> {
    vec![
        Target::Checkerboard,
        Target::Gmm,
        Target::Rings,
        Target::Drawn(crate::targets::default_drawing()),
    ]
}

fn random_points(n: usize, sd: f64, seed: u64) -> Vec<P2> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| r.normal2().map(|v| sd * v)).collect()
}

#[test]
fn score_is_grad_log_rho_and_continuity_holds() {
    for target in targets() {
        for sched in schedules() {
            let f = ExactField::new(sched, &target);
            for t in [0.05, 0.3, 0.5, 0.8, 0.95] {
                // The fields vary on the length scale σ(t): scale the difference steps with it.
                let ht = 1e-6;
                let (at, ap, am) = (f.at(t), f.at(t + ht), f.at(t - ht));
                let h = 1e-4 * at.st.sigma2().sqrt().min(1.0);
                for x in random_points(20, 2.5, 11) {
                    let lr = |a: &FieldAt, y: P2| a.log_rho(y);
                    let grad = [
                        (lr(&at, [x[0] + h, x[1]]) - lr(&at, [x[0] - h, x[1]])) / (2.0 * h),
                        (lr(&at, [x[0], x[1] + h]) - lr(&at, [x[0], x[1] - h])) / (2.0 * h),
                    ];
                    let (b, s) = at.velocity_score(x);
                    let scale = 1.0 + s[0].abs() + s[1].abs();
                    for i in 0..2 {
                        assert!(
                            (grad[i] - s[i]).abs() < 4e-6 * scale,
                            "{target:?} {sched:?} t={t} x={x:?}: ∇log ρ {grad:?} vs s {s:?}"
                        );
                    }
                    // ∇·b by central differences of b.
                    let bx = |y: P2| at.velocity(y);
                    let fd_div = (bx([x[0] + h, x[1]])[0] - bx([x[0] - h, x[1]])[0]
                        + bx([x[0], x[1] + h])[1]
                        - bx([x[0], x[1] - h])[1])
                        / (2.0 * h);
                    let div = at.div_velocity(x);
                    assert!(
                        (fd_div - div).abs() < 3e-5 * (1.0 + div.abs()),
                        "{target:?} {sched:?} t={t} x={x:?}: fd ∇·b {fd_div} vs {div}"
                    );
                    // ∂t log ρ + ∇·b + b·s = 0.
                    let dt = (lr(&ap, x) - lr(&am, x)) / (2.0 * ht);
                    let terms = [dt, div, b[0] * s[0] + b[1] * s[1]];
                    let res = terms.iter().sum::<f64>();
                    let mag = terms.iter().map(|v| v.abs()).sum::<f64>();
                    assert!(
                        res.abs() <= 2e-7 * (1.0 + mag),
                        "{target:?} {sched:?} t={t} x={x:?}: residual {res} of {terms:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn density_integrates_to_one() {
    for target in [Target::Checkerboard, Target::Gmm] {
        let f = ExactField::new(Schedule::default(), &target);
        for t in [0.3, 0.7] {
            let at = f.at(t);
            let n = 601;
            let dx = 24.0 / (n - 1) as f64;
            let mut sum = 0.0;
            for i in 0..n {
                for j in 0..n {
                    let x = [-12.0 + i as f64 * dx, -12.0 + j as f64 * dx];
                    sum += at.log_rho(x).exp();
                }
            }
            let mass = sum * dx * dx;
            assert!((mass - 1.0).abs() < 1e-10, "{target:?} t={t}: ∫ρ = {mass}");
        }
    }
}

#[test]
fn posterior_mean_matches_importance_sampling() {
    // Independent of the closed form: self-normalised importance sampling with the sampler.
    let m = 400_000;
    for target in [Target::Checkerboard, Target::Gmm] {
        let x1s = target.sample(&mut Rng::new(5), m);
        for sched in [
            Schedule::preset(Path::Linear),
            Schedule::preset(Path::OneSidedLinear),
        ] {
            let f = ExactField::new(sched, &target);
            let mut r = Rng::new(8);
            for t in [0.3, 0.6, 0.9] {
                let at = f.at(t);
                // A typical point of ρ(t): x_t from a fresh triple.
                let x = at
                    .st
                    .xt(r.normal2(), target.sample(&mut r, 1)[0], r.normal2());
                let (beta, s2) = (at.st.beta, at.st.sigma2());
                let lw: Vec<f64> = x1s
                    .iter()
                    .map(|y| {
                        -((x[0] - beta * y[0]).powi(2) + (x[1] - beta * y[1]).powi(2)) / (2.0 * s2)
                    })
                    .collect();
                let lmax = lw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let w: Vec<f64> = lw.iter().map(|l| (l - lmax).exp()).collect();
                let (sw, sw2) = (w.iter().sum::<f64>(), w.iter().map(|v| v * v).sum::<f64>());
                let ess = sw * sw / sw2;
                let mut g = [0.0; 2];
                for (wi, y) in w.iter().zip(&x1s) {
                    g[0] += wi * y[0] / sw;
                    g[1] += wi * y[1] / sw;
                }
                let exact = at.g1(x);
                for i in 0..2 {
                    // Standard error of the self-normalised estimate: posterior sd / √ESS.
                    let var: f64 = w
                        .iter()
                        .zip(&x1s)
                        .map(|(wi, y)| wi * (y[i] - g[i]).powi(2))
                        .sum::<f64>()
                        / sw;
                    let se = (var / ess).sqrt();
                    assert!(se < 0.01, "the Monte Carlo check has no power: se {se}");
                    assert!(
                        (g[i] - exact[i]).abs() < 4.0 * se,
                        "{target:?} {sched:?} t={t}: IS {g:?} vs {exact:?} (ess {ess:.0})"
                    );
                }
            }
        }
    }
}

#[test]
fn velocity_matches_binned_monte_carlo() {
    // Fully model free: average ẋ_t over triples whose x_t lands near x.
    let f = ExactField::new(Schedule::default(), &Target::Checkerboard);
    let mut r = Rng::new(9);
    for (t, x) in [(0.3, [0.5, 0.5]), (0.7, [1.0, -1.5])] {
        let st = f.at(t).st;
        let (mut acc, mut n) = ([0.0; 2], 0usize);
        let x1s = Target::Checkerboard.sample(&mut r, 4_000_000);
        for x1 in x1s {
            let (x0, z) = (r.normal2(), r.normal2());
            let xt = st.xt(x0, x1, z);
            if (xt[0] - x[0]).abs() < 0.05 && (xt[1] - x[1]).abs() < 0.05 {
                let d = st.dxt(x0, x1, z);
                acc[0] += d[0];
                acc[1] += d[1];
                n += 1;
            }
        }
        let mc = [acc[0] / n as f64, acc[1] / n as f64];
        let b = f.at(t).velocity(x);
        for i in 0..2 {
            // Kernel bias and noise (the γ̇ z term has variance γ̇², ≈ 0.6 at these t) over n ≈ 2000.
            assert!(
                (mc[i] - b[i]).abs() < 0.1,
                "t={t}: MC {mc:?} (n={n}) vs exact {b:?}"
            );
        }
    }
}

#[test]
fn gaussian_to_gaussian_closed_form() {
    let (mu, c) = ([1.5, -0.5], 0.7);
    let mix = Mixture::new(vec![Component {
        weight: 1.0,
        mean: mu,
        cov: Sym2::iso(c * c),
    }]);
    let f = ExactField::from_parts(Schedule::default(), ExactTarget::Mixture(mix));
    for t in [0.0, 0.2, 0.5, 0.9, 0.999] {
        let at = f.at(t);
        let st = at.st;
        let s2 = st.alpha.powi(2) + st.beta.powi(2) * c * c + st.gamma.powi(2);
        let k = (st.alpha_d_alpha + st.beta * st.d_beta * c * c + st.gamma_d_gamma) / s2;
        for x in random_points(5, 2.0, 1) {
            let r = [x[0] - st.beta * mu[0], x[1] - st.beta * mu[1]];
            let (b, s) = at.velocity_score(x);
            let close = |a: f64, c: f64| (a - c).abs() < 1e-12 * (1.0 + c.abs());
            for i in 0..2 {
                assert!(
                    close(b[i], st.d_beta * mu[i] + k * r[i]),
                    "t={t}: {b:?} vs {}",
                    st.d_beta * mu[i] + k * r[i]
                );
                assert!(close(s[i], -r[i] / s2), "t={t}");
            }
            // ∇·b = β̇∇·g1 + (σσ̇/σ²)(d − β∇·g1) cancels as σ → 0: compare to 1e-9 there.
            assert!(
                (at.div_velocity(x) - 2.0 * k).abs() < 1e-9 * (1.0 + k.abs()),
                "t={t}: {} vs {}",
                at.div_velocity(x),
                2.0 * k
            );
        }
    }
}

#[test]
fn identities_hold_on_exact_fields() {
    for target in targets() {
        for sched in schedules() {
            let f = ExactField::new(sched, &target);
            for t in [0.1, 0.45, 0.85] {
                let at = f.at(t);
                let st = at.st;
                for x in random_points(10, 2.5, 4) {
                    let (b, s) = at.velocity_score(x);
                    let (v, eta, g1) = (at.v(x), at.eta(x), at.g1(x));
                    let close = |a: P2, c: P2| {
                        (0..2).all(|i| (a[i] - c[i]).abs() < 1e-9 * (1.0 + c[i].abs()))
                    };
                    assert!(close(identity::velocity_from_v_score(&st, v, s), b));
                    assert!(close(identity::g1_from_score(&st, x, s), g1));
                    assert!(close(identity::velocity_from_score(&st, x, s), b));
                    if st.gamma > 0.0 {
                        assert!(close(identity::score_from_eta(&st, eta), s));
                    }
                    // s = −g0/α as well as −η/γ.
                    let g0 = identity::g0(&st, s);
                    assert!(close([-g0[0] / st.alpha, -g0[1] / st.alpha], s));
                    // Tweedie: the posterior's score is −(x − β g1)/σ².
                    assert!(close(identity::score(&st, x, g1), s));
                }
            }
        }
    }
}

#[test]
fn no_nan_for_any_valid_slider_setting() {
    let xs = random_points(8, 4.0, 2);
    for path in Path::ALL {
        for gamma in GammaFamily::ALL {
            for a in [0.25, 1.0, 4.0] {
                for b in [0.25, 1.0, 4.0] {
                    for g in [0.0, 0.5, 2.0] {
                        let sched = Schedule {
                            path,
                            gamma,
                            alpha_exp: a,
                            beta_exp: b,
                            gamma_scale: g,
                        };
                        if !sched.validate().is_empty() {
                            continue;
                        }
                        let f = ExactField::new(sched, &Target::Checkerboard);
                        for t in [1e-3, 0.1, 0.5, 0.9, 0.999] {
                            let at = f.at(t);
                            for &x in &xs {
                                let (bv, s) = at.velocity_score(x);
                                assert!(
                                    bv.iter().chain(&s).all(|v| v.is_finite()),
                                    "{sched:?} t={t} x={x:?}: b={bv:?} s={s:?}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
