//! The fields on the line against oracles: golden values by high-precision quadrature, the
//! Gaussian closed form, finite differences, Monte Carlo, the continuity equation and the
//! monotone transport map of one dimension.

use super::*;
use crate::integrate::{self, OdeSolver, Span};
use crate::schedule::Path;

fn linear() -> Schedule {
    Schedule::preset(Path::Linear)
}

fn field(name: &str) -> LineField {
    LineField::new(
        linear(),
        LineTarget::from_name(name).expect("a named target"),
    )
}

/// (target, t, x, log ρ, E[x1 | x], Var(x1 | x)) for the linear path with the Brownian γ,
/// computed with mpmath (30 digits) by quadrature of N(x; βy, σ²) ρ1(y) over y.
#[allow(clippy::excessive_precision)]
const GOLDEN: [(&str, f64, f64, f64, f64, f64); 10] = [
    (
        "bars",
        0.05,
        0.3,
        -0.949_531_541_017_071,
        -0.093_426_178_696_324_76,
        5.106_444_315_647_527,
    ),
    (
        "bars",
        0.5,
        -1.2,
        -1.480_061_743_414_226_7,
        -2.128_437_282_534_591_5,
        1.564_765_130_939_048_8,
    ),
    (
        "bars",
        0.9,
        2.7,
        -1.587_000_116_098_342_1,
        2.947_323_741_542_116_6,
        0.090_363_909_617_584_39,
    ),
    (
        "bars",
        0.99,
        -3.0,
        -1.193_924_204_198_690_5,
        -3.030_302_259_156_706_2,
        0.010_202_636_598_584_98,
    ),
    (
        "bars",
        0.7,
        4.6,
        -11.300_116_529_026_591,
        3.320_791_451_989_821_1,
        0.029_284_134_113_283_685,
    ),
    (
        "gmm",
        0.05,
        0.3,
        -0.942_452_733_055_426,
        0.292_789_688_662_847_76,
        4.384_459_523_858_593,
    ),
    (
        "gmm",
        0.5,
        -1.2,
        -1.599_666_377_453_921_5,
        -1.992_434_311_383_213_9,
        1.213_131_052_106_695_2,
    ),
    (
        "gmm",
        0.9,
        2.7,
        -1.425_849_337_799_831,
        2.998_812_002_176_654,
        0.052_884_431_105_960_165,
    ),
    (
        "gmm",
        0.99,
        -3.0,
        -2.053_614_071_859_294_6,
        -2.998_513_324_605_765,
        0.009_591_406_625_655_53,
    ),
    (
        "gmm",
        0.7,
        4.6,
        -10.853_405_071_376_494,
        3.457_659_973_958_157_4,
        0.078_516_817_479_745_37,
    ),
];

#[test]
fn the_posterior_matches_golden_values_by_quadrature() {
    for (name, t, x, log_rho, g1, var) in GOLDEN {
        let target = LineTarget::from_name(name).expect("named");
        let p = target.posterior(&linear().at(t), x);
        let close = |a: f64, b: f64, what: &str| {
            assert!(
                (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                "{name} t={t} x={x} {what}: {a} vs {b}"
            );
        };
        close(p.log_rho, log_rho, "log ρ");
        close(p.g1, g1, "E[x1|x]");
        close(p.var, var, "Var(x1|x)");
    }
}

#[test]
fn a_normal_target_has_the_closed_form_density_and_linear_velocity() {
    let (mu, sd) = (0.7, 0.4);
    let f = LineField::new(
        Schedule::preset(Path::Trig),
        LineTarget::new(vec![(1.0, Piece::Normal { mu, sd })]).expect("valid"),
    );
    for t in [0.0, 0.1, 0.5, 0.9, 0.99] {
        let st = f.schedule.at(t);
        let v = st.beta * st.beta * sd * sd + st.sigma2();
        // b = β̇μ + k (x − βμ), k = (ββ̇ sd² + σσ̇)/v.
        let k = (st.beta * st.d_beta * sd * sd + st.sigma_d_sigma()) / v;
        for x in [-3.0, -0.5, 0.0, 1.2, 4.0] {
            let p = f.point(t, x);
            let r = x - st.beta * mu;
            let log_rho = -0.5 * r * r / v - 0.5 * (2.0 * std::f64::consts::PI * v).ln();
            assert!(
                (p.log_rho - log_rho).abs() < 1e-12,
                "t={t} x={x}: {} vs {log_rho}",
                p.log_rho
            );
            assert!(
                (p.b - (st.d_beta * mu + k * r)).abs() < 1e-12,
                "t={t} x={x}: b"
            );
            assert!((p.s + r / v).abs() < 1e-12, "t={t} x={x}: s");
            assert!((p.div_b - k).abs() < 1e-12, "t={t} x={x}: ∂b");
        }
    }
}

#[test]
fn a_uniform_piece_is_continuous_where_its_series_takes_over() {
    // δ = β·w/σ crosses TINY_DELTA between these two β (w = 1, σ = 1).
    let (lo, hi) = (-0.5, 0.5);
    for x in [-2.0, 0.0, 0.3, 3.0] {
        let a = uniform_piece(x, TINY_DELTA * 0.999_999, 1.0, lo, hi);
        let b = uniform_piece(x, TINY_DELTA * 1.000_001, 1.0, lo, hi);
        assert!((a.0 - b.0).abs() < 1e-9, "x={x} log ev: {a:?} vs {b:?}");
        assert!((a.1 - b.1).abs() < 1e-9, "x={x} mean: {a:?} vs {b:?}");
        assert!((a.2 - b.2).abs() < 1e-6, "x={x} var: {a:?} vs {b:?}");
    }
    // β = 0: the prior (mean 0, variance 1/12) and the evidence N(x; 0, 1).
    let (ev, m, v) = uniform_piece(1.5, 0.0, 1.0, lo, hi);
    assert!((ev - ln_phi(1.5)).abs() < 1e-15 && m == 0.0 && (v - 1.0 / 12.0).abs() < 1e-15);
}

#[test]
fn the_score_and_the_divergence_are_the_derivatives_of_log_rho_and_b() {
    let h = 1e-5;
    for name in LineTarget::NAMES {
        let f = field(name);
        for t in [0.02, 0.3, 0.6, 0.95] {
            for x in [-4.3, -2.0, -0.7, 0.1, 1.9, 3.3] {
                let p = f.point(t, x);
                let (l, r) = (f.point(t, x - h), f.point(t, x + h));
                let ds = (r.log_rho - l.log_rho) / (2.0 * h);
                let db = (r.b - l.b) / (2.0 * h);
                assert!(
                    (p.s - ds).abs() < 1e-5 * (1.0 + ds.abs()),
                    "{name} t={t} x={x}: s {} vs {ds}",
                    p.s
                );
                assert!(
                    (p.div_b - db).abs() < 1e-5 * (1.0 + db.abs()),
                    "{name} t={t} x={x}: ∂b {} vs {db}",
                    p.div_b
                );
            }
        }
    }
}

#[test]
fn the_density_and_the_velocity_satisfy_the_continuity_equation() {
    // ∂t ρ + ∂x(b ρ) = 0, by central differences.
    let (ht, hx) = (1e-5, 1e-5);
    for name in LineTarget::NAMES {
        let f = field(name);
        for t in [0.1, 0.4, 0.8, 0.95] {
            for x in [-3.0, -1.1, 0.2, 2.4] {
                let dt = (f.rho(t + ht, x) - f.rho(t - ht, x)) / (2.0 * ht);
                let flux = |x: f64| {
                    let p = f.point(t, x);
                    p.b * p.log_rho.exp()
                };
                let dx = (flux(x + hx) - flux(x - hx)) / (2.0 * hx);
                let scale = dt.abs() + dx.abs() + 1e-3;
                assert!(
                    (dt + dx).abs() < 1e-5 * scale.max(1.0),
                    "{name} t={t} x={x}: {dt} + {dx}"
                );
            }
        }
    }
}

#[test]
fn monte_carlo_interpolant_samples_agree_with_the_density_and_the_velocity() {
    let f = field("bars");
    let t = 0.6;
    let st = f.schedule.at(t);
    let mut rng = Rng::new(11);
    let n = 400_000;
    let x1 = f.target.sample(&mut rng, n);
    // Bins of width 0.5 over [−4, 4]: the mass and the mean of ẋ_t in each.
    let (lo, w, bins) = (-4.0, 0.5, 16);
    let (mut count, mut sum) = (vec![0.0; bins], vec![0.0; bins]);
    for y in x1 {
        let (x0, z) = (rng.normal(), rng.normal());
        let x = st.alpha * x0 + st.beta * y + st.gamma * z;
        let dx = st.d_alpha * x0 + st.d_beta * y + st.d_gamma * z;
        let k = ((x - lo) / w).floor();
        if (0.0..bins as f64).contains(&k) {
            count[k as usize] += 1.0;
            sum[k as usize] += dx;
        }
    }
    for k in 0..bins {
        let (a, b) = (lo + k as f64 * w, lo + (k + 1) as f64 * w);
        // Mass and ∫ b ρ over the bin by Simpson's rule.
        let m = 200;
        let (mut mass, mut flux) = (0.0, 0.0);
        for i in 0..=m {
            let x = a + (b - a) * i as f64 / m as f64;
            let c = if i == 0 || i == m {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            let p = f.point(t, x);
            mass += c * p.log_rho.exp();
            flux += c * p.b * p.log_rho.exp();
        }
        let h = (b - a) / m as f64 / 3.0;
        let (mass, flux) = (mass * h, flux * h);
        let frac = count[k] / n as f64;
        let se = (mass * (1.0 - mass) / n as f64).sqrt();
        assert!(
            (frac - mass).abs() < 5.0 * se + 1e-6,
            "bin {k}: {frac} vs {mass}"
        );
        if count[k] > 5000.0 {
            let mean = sum[k] / count[k];
            // The spread of ẋ_t is below 3 on this path; 5 standard errors of it.
            assert!(
                (mean - flux / mass).abs() < 5.0 * 3.0 / count[k].sqrt(),
                "bin {k}: {mean} vs {}",
                flux / mass
            );
        }
    }
}

#[test]
fn the_flow_carries_quantiles_of_rho0_to_the_same_quantiles_of_rho_t() {
    // In one dimension the flow map is monotone, so X_t(x0) = F_t⁻¹(F_0(x0)).
    let f = field("bars");
    let t1 = 0.9;
    let cdf = |t: f64| -> Vec<(f64, f64)> {
        let (lo, hi, m) = (-8.0, 8.0, 16_000);
        let h = (hi - lo) / m as f64;
        let mut acc = 0.0;
        let mut out = vec![(lo, 0.0)];
        for i in 0..m {
            let (a, b) = (lo + i as f64 * h, lo + (i + 1) as f64 * h);
            acc += h / 6.0 * (f.rho(t, a) + 4.0 * f.rho(t, 0.5 * (a + b)) + f.rho(t, b));
            out.push((b, acc));
        }
        out
    };
    let (c0, c1) = (cdf(0.0), cdf(t1));
    let quantile = |c: &[(f64, f64)], q: f64| {
        let i = c.partition_point(|p| p.1 < q).clamp(1, c.len() - 1);
        let ((xa, ya), (xb, yb)) = (c[i - 1], c[i]);
        xa + (q - ya) / (yb - ya) * (xb - xa)
    };
    let qs = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95];
    let mut xs: Vec<P2> = qs.iter().map(|&q| [quantile(&c0, q), 0.0]).collect();
    let report = integrate::ode(&f, &mut xs, Span::new(0.0, t1, 400), OdeSolver::Rk4);
    assert_eq!(report.steps, 400);
    for (x, &q) in xs.iter().zip(&qs) {
        let want = quantile(&c1, q);
        assert!((x[0] - want).abs() < 2e-3, "q={q}: {} vs {want}", x[0]);
        assert_eq!(x[1], 0.0, "the line's particles stay on it");
    }
}

#[test]
fn bad_targets_are_refused_with_a_reason() {
    assert!(LineTarget::new(vec![]).is_err());
    assert!(LineTarget::new(vec![(1.0, Piece::Uniform { lo: 1.0, hi: 1.0 })]).is_err());
    assert!(LineTarget::new(vec![(1.0, Piece::Normal { mu: 0.0, sd: 0.0 })]).is_err());
    assert!(LineTarget::histogram(-4.0, 4.0, &[0.0, 0.0]).is_err());
    let h = LineTarget::histogram(-4.0, 4.0, &[0.0, 2.0, 0.0, 1.0]).expect("valid");
    assert_eq!(h.pieces().len(), 2);
    assert!((h.pieces()[0].0 - 2.0 / 3.0).abs() < 1e-15);
    assert!(LineTarget::from_name("donut").is_none());
    // Drawing sets one bin at a time, from the default drawing at first.
    let one = set_drawn_bin("", 0.1, 7.4);
    assert_eq!(&one[20..21], "7");
    assert_eq!(one.len(), DRAWN_BINS);
    assert_eq!(
        set_drawn_bin(&one, 9.0, 5.0),
        one,
        "outside the range: unchanged"
    );
    assert_eq!(
        &set_drawn_bin(&one, -3.95, 12.0)[..1],
        "9",
        "heights clamp to 9"
    );
    // A drawing's code: one digit per bin.
    let d = LineTarget::from_code(DEFAULT_DRAWN).expect("the default drawing");
    assert_eq!(d.pieces().len(), 6 + 5 + 4);
    assert!(d.log_density(-2.0).is_finite() && !d.log_density(0.0).is_finite());
    for (bad, says) in [
        ("12", "has 40 digits"),
        (&"x".repeat(40)[..], "digits 0–9 only"),
        (&"0".repeat(40)[..], "at least one bin"),
    ] {
        let e = LineTarget::from_code(bad).err().unwrap_or_default();
        assert!(e.contains(says), "{bad}: {e}");
    }
    // Samples fall where the density is.
    let bars = LineTarget::from_name("bars").expect("named");
    let ys = bars.sample(&mut Rng::new(3), 10_000);
    assert!(ys.iter().all(|&y| bars.log_density(y).is_finite()));
}
