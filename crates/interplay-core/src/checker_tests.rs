use super::*;
use crate::Path;
use crate::fields::ExactField;
use crate::posterior::identity;
use crate::schedule::Schedule;
use crate::targets::Target;

#[test]
fn sampler_matches_math_7_1() {
    let n = 1_000_000;
    let xs = sample(&mut Rng::new(3), n);
    let mut counts = [0usize; 8];
    let (mut m, mut c) = ([0.0; 2], [0.0; 3]);
    for x in &xs {
        assert!(in_support(*x), "{x:?} outside C");
        let (i, j) = (((x[0] + 4.0) / 2.0) as usize, ((x[1] + 4.0) / 2.0) as usize);
        counts[SQUARES
            .iter()
            .position(|&s| s == (i, j))
            .expect("occupied square")] += 1;
        m[0] += x[0];
        m[1] += x[1];
        c[0] += x[0] * x[0];
        c[1] += x[0] * x[1];
        c[2] += x[1] * x[1];
    }
    let nf = n as f64;
    let tol = 3.0 * (1.0 / 8.0 * 7.0 / 8.0 / nf).sqrt();
    for k in counts {
        assert!((k as f64 / nf - 0.125).abs() < tol, "{counts:?}");
    }
    assert!(m[0].abs() / nf < 0.01 && m[1].abs() / nf < 0.01);
    let cov = [c[0] / nf, c[1] / nf, c[2] / nf];
    assert!(
        (cov[0] - 16.0 / 3.0).abs() < 0.03 && (cov[2] - 16.0 / 3.0).abs() < 0.03,
        "{cov:?}"
    );
    assert!((cov[1] - 1.0).abs() < 0.03, "{cov:?}");
    // Symmetric under x ↦ −x and under swapping coordinates, not under one reflection.
    let region = |x: &P2| x[0] > 1.0 && x[1] < 0.5;
    let count = |f: &dyn Fn(&P2) -> bool| xs.iter().filter(|x| f(x)).count() as f64 / nf;
    let base = count(&region);
    assert!((count(&|x: &P2| region(&[-x[0], -x[1]])) - base).abs() < 0.003);
    assert!((count(&|x: &P2| region(&[x[1], x[0]])) - base).abs() < 0.003);
}

#[test]
fn support_and_box_mass() {
    assert!(in_support([0.5, 0.5]) && !in_support([0.5, -0.5]) && !in_support([4.0, 0.0]));
    assert!(in_support([-4.0, -4.0]) && !in_support([-4.0, -2.0]));
    assert!((box_mass((-5.0, 5.0), (-5.0, 5.0)) - 1.0).abs() < 1e-15);
    assert!((box_mass((0.0, 1.0), (0.0, 1.0)) - 1.0 / 32.0).abs() < 1e-15);
    assert_eq!(box_mass((0.0, 1.0), (-1.0, 0.0)), 0.0);
}

/// (schedule, t, x, log ρ, g1, b, s) from docs/math.md §6.3, confirmed there against mpmath.
#[allow(clippy::type_complexity)]
const GOLDEN: [(Path, f64, P2, f64, P2, P2, P2); 7] = [
    (
        Path::Linear,
        0.5,
        [0.3, -0.7],
        -2.819570684,
        [0.5614390876, -1.317224553],
        [0.5421586314, -1.275836829],
        [-0.03856091241, 0.08277544727],
    ),
    (
        Path::Linear,
        0.9,
        [2.5, 1.2],
        -6.434505008,
        [2.503664444, 1.872683496],
        [1.270154442, 4.299759229],
        [-2.467020003, 4.854151466],
    ),
    (
        Path::Linear,
        0.1,
        [-3.1, -2.9],
        -11.16170286,
        [-1.846117295, -1.779575965],
        [-0.2264571444, -0.2673301852],
        [3.239320301, 3.024491559],
    ),
    (
        Path::OneSidedLinear,
        0.5,
        [0.3, -0.7],
        -2.870737869,
        [0.4875473892, -1.502652099],
        [0.3750947784, -1.605304199],
        [-0.2249052216, -0.205304199],
    ),
    (
        Path::OneSidedLinear,
        0.99,
        [0.5, -0.5],
        -1257.583849,
        [0.2524243231, -0.2524243231],
        [-24.75756769, 24.75756769],
        [-2500.999202, 2500.999202],
    ),
    (
        Path::Trig,
        0.25,
        [-1.0, 3.0],
        -5.784236512,
        [-0.9110813802, 2.776233599],
        [-0.7723884147, 2.375816534],
        [0.7783388343, -2.318184669],
    ),
    (
        Path::OneSidedTrig,
        0.75,
        [5.0, 0.0],
        -12.02830309,
        [3.893677818, -0.3304888825],
        [-2.97885398, -1.356553952],
        [-9.578308185, -2.084936725],
    ),
];

#[test]
fn golden_table_to_1e8() {
    // The table carries 10 significant digits: compare relative to that precision (≤ 1e-8).
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-8 * (1.0 + b.abs());
    for (path, t, x, lr, g1, b, s) in GOLDEN {
        let field = ExactField::new(Schedule::preset(path), &Target::Checkerboard);
        let at = field.at(t);
        let p = at.posterior(x, false);
        let (bb, ss) = at.velocity_score(x);
        assert!(
            close(p.log_rho, lr),
            "{path:?} t={t}: log ρ {} vs {lr}",
            p.log_rho
        );
        for i in 0..2 {
            assert!(
                close(p.g1[i], g1[i]),
                "{path:?} t={t}: g1 {:?} vs {g1:?}",
                p.g1
            );
            assert!(close(bb[i], b[i]), "{path:?} t={t}: b {bb:?} vs {b:?}");
            assert!(close(ss[i], s[i]), "{path:?} t={t}: s {ss:?} vs {s:?}");
        }
    }
}

#[test]
fn small_t_limit() {
    let field = ExactField::new(
        Schedule::preset(Path::OneSidedLinear),
        &Target::Checkerboard,
    );
    for t in [1e-6, 1e-9, 0.0] {
        let at = field.at(t);
        let x = [0.3, -0.7];
        let g1 = at.g1(x);
        let (b, s2) = (at.st.beta, at.st.sigma2());
        let want = [
            b * (16.0 / 3.0 * x[0] + x[1]) / s2,
            b * (x[0] + 16.0 / 3.0 * x[1]) / s2,
        ];
        for i in 0..2 {
            assert!(
                (g1[i] - want[i]).abs() <= 1e-6 * want[i].abs() + 1e-300,
                "t={t}: {g1:?} vs {want:?}"
            );
        }
        // At t = 0, ρ(0) = N(0, I).
        if t == 0.0 {
            assert!(
                (at.log_rho(x) - (-0.29 - core::f64::consts::LN_2 - core::f64::consts::PI.ln()))
                    .abs()
                    < 1e-12
            );
            let b0 = at.velocity(x);
            assert!(
                (b0[0] + x[0]).abs() < 1e-15,
                "one-sided linear: b(0, x) = −x, got {b0:?}"
            );
        }
    }
}

#[test]
fn finite_everywhere_near_the_ends() {
    let pts = [
        [0.5, -0.5],
        [0.0, 0.0],
        [3.99, 1.0],
        [-9.0, 7.0],
        [1e-12, 2.0],
        [40.0, -40.0],
    ];
    for path in Path::ALL {
        let field = ExactField::new(Schedule::preset(path), &Target::Checkerboard);
        for t in [
            1e-9,
            1e-7,
            1e-4,
            0.2,
            0.5,
            0.9,
            0.999,
            1.0 - 1e-5,
            1.0 - 1e-7,
        ] {
            let at = field.at(t);
            for x in pts {
                let p = at.posterior(x, true);
                let (b, s) = at.velocity_score(x);
                let ok = p.g1.iter().chain(&b).chain(&s).all(|v| v.is_finite())
                    && p.log_rho.is_finite()
                    && p.tr_cov.is_finite()
                    && p.tr_cov >= 0.0;
                if path == Path::Mirror && t < 1e-6 {
                    continue; // σ = γ(t) ≈ 0: data at t = 0.
                }
                assert!(ok, "{path:?} t={t} x={x:?}: {p:?} b={b:?} s={s:?}");
                let d = identity::div_velocity(&at.st, p.tr_cov);
                assert!(d.is_finite(), "{path:?} t={t} x={x:?}: ∇·b = {d}");
            }
        }
    }
}

#[test]
fn fast_and_log_forms_agree() {
    // The linear-domain form and the log-domain fallback must agree wherever both apply,
    // including intervals whose scaled mass is ~1e-160 (deep tails at small σ).
    let mut r = Rng::new(21);
    for (beta, sigma) in [
        (0.5, 0.7),
        (0.95, 0.05),
        (0.999, 0.002),
        (0.01, 0.99),
        (0.3, 1e-3),
    ] {
        let at = CheckerAt::new(beta, sigma);
        for _ in 0..200 {
            let x = r.normal() * 4.0;
            let (Some(f), c) = (at.coord_fast(x, true), coord(x, beta, sigma, true, true)) else {
                continue;
            };
            for k in 0..4 {
                if f.m[k] > 1e-200 {
                    let mean = f.n[k] / f.m[k];
                    let var = f.v[k] / f.m[k] - mean * mean;
                    let scale = (sigma / beta).powi(2);
                    assert!(
                        (mean - c.mean[k]).abs() < 1e-9 * (1.0 + mean.abs()),
                        "β={beta} σ={sigma} x={x} k={k}: {mean} vs {}",
                        c.mean[k]
                    );
                    assert!(
                        (var - c.var[k]).abs()
                            < 1e-7 * (c.var[k] + 1e-12 * scale) + 1e-12 * (1.0 + mean * mean),
                        "β={beta} σ={sigma} x={x} k={k}: var {var} vs {}",
                        c.var[k]
                    );
                    let lm = f.m[k].ln() + f.ln_scale;
                    assert!(
                        (lm - (c.lm[k] + c.ln_scale)).abs() < 1e-9 * (1.0 + lm.abs()),
                        "β={beta} σ={sigma} x={x} k={k}"
                    );
                }
            }
        }
    }
}

#[test]
fn fast_and_log_posteriors_agree() {
    let mut r = Rng::new(22);
    for t in [0.05, 0.3, 0.6, 0.9, 0.99] {
        let st = Schedule::preset(Path::OneSidedLinear).at(t);
        let (beta, sigma) = (st.beta, st.sigma2().sqrt());
        let at = CheckerAt::new(beta, sigma);
        for _ in 0..500 {
            let x = [r.normal() * 3.0, r.normal() * 3.0];
            let p = at.posterior(x, true);
            let (cx, cy) = (
                coord(x[0], beta, sigma, true, true),
                coord(x[1], beta, sigma, true, true),
            );
            let l = SQUARES.map(|(i, j)| cx.lm[i] + cy.lm[j]);
            let lmax = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let w = l.map(|v| (v - lmax).exp());
            let z: f64 = w.iter().sum();
            let q = combine(&cx, &cy, w, lmax + z.ln(), true);
            let close = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol * (1.0 + b.abs());
            assert!(
                close(p.g1[0], q.g1[0], 1e-9) && close(p.g1[1], q.g1[1], 1e-9),
                "t={t} x={x:?}: {p:?} vs {q:?}"
            );
            assert!(
                close(p.log_rho, q.log_rho, 1e-10),
                "t={t} x={x:?}: {p:?} vs {q:?}"
            );
            assert!(
                (p.tr_cov - q.tr_cov).abs() <= 1e-6 * q.tr_cov + 1e-12,
                "t={t} x={x:?}: {p:?} vs {q:?}"
            );
        }
    }
}

#[test]
fn table_agrees_with_the_direct_posterior() {
    // Points from the board, around it and far outside it (beyond the table's range), at times
    // from t = 0 to where σ is a few thousandths, for paths whose β/σ grow differently.
    let mut r = Rng::new(31);
    for path in [Path::Linear, Path::OneSidedLinear, Path::Vp, Path::Trig] {
        let sched = Schedule::preset(path);
        for t in [0.0, 1e-4, 0.01, 0.3, 0.7, 0.95, 0.99, 0.999] {
            let st = sched.at(t);
            let (beta, sigma) = (st.beta, st.sigma2().sqrt());
            let at = CheckerAt::new(beta, sigma);
            let Some(table) = CheckerTable::new(at) else {
                panic!("{path:?} t={t}: no table");
            };
            let (mut eg, mut el) = (0.0f64, 0.0f64);
            for i in 0..20_000 {
                let x = match i % 3 {
                    0 => [r.normal() * 3.0, r.normal() * 3.0],
                    1 => [r.uniform() * 10.0 - 5.0, r.uniform() * 10.0 - 5.0],
                    _ => [r.normal() * 30.0, r.uniform() * 10.0 - 5.0],
                };
                let p = at.posterior(x, false);
                let (g1, log_rho) = table.g1_log_rho(x, true);
                eg = eg.max((g1[0] - p.g1[0]).abs().max((g1[1] - p.g1[1]).abs()) / sigma);
                el = el.max((log_rho - p.log_rho).abs() / (1.0 + p.log_rho.abs()));
                // Without log ρ, g1 is the same to rounding.
                let g1b = table.g1_log_rho(x, false).0;
                assert!((g1b[0] - g1[0]).abs() < 1e-15 * (1.0 + g1[0].abs()));
            }
            assert!(
                eg < 1e-7 && el < 1e-8,
                "{path:?} t={t}: max |Δg1|/σ = {eg:e}, max relative |Δ log ρ| = {el:e}"
            );
        }
    }
    // The symmetric half really is a mirror image, and non-finite input stays non-finite.
    let at = CheckerAt::new(0.8, 0.3);
    let table = CheckerTable::new(at).expect("table");
    let (a, b) = (table.parity(1.234), table.parity(-1.234));
    assert!((a.log_odds + b.log_odds).abs() < 1e-9);
    assert!((a.mean_even + b.mean_odd).abs() < 1e-9);
    assert!(table.g1_log_rho([f64::NAN, 0.0], true).0[0].is_nan());
}

#[test]
fn table_is_used_only_where_it_pays() {
    let f = ExactField::new(Schedule::default(), &Target::Checkerboard);
    assert!(!f.at_batch(0.5, 100).is_tabulated());
    assert!(f.at_batch(0.5, 20_000).is_tabulated());
    // σ → 0 needs more nodes than a few thousand points are worth.
    assert!(!f.at_batch(0.99999, 20_000).is_tabulated());
    let g = ExactField::new(Schedule::default(), &Target::Gmm);
    assert!(!g.at_batch(0.5, 1_000_000).is_tabulated());
}
