//! The exact multi-marginal fields of a target and an isotropic mixture: against the pair
//! formula where both apply, Σα_k g_k = x, the continuity equations by finite differences, the
//! tower property by Monte Carlo, the vertices, and the edge from noise to the checkerboard
//! against the two-marginal exact field.

use super::*;
use crate::multimarginal::{path_velocity, sample_targets};
use crate::schedule::{GammaFamily, Path, Schedule};
use crate::{ExactField, Rng};

const ALPHAS: [Alpha; 4] = [
    [0.6, 0.3, 0.1],
    [0.2, 0.5, 0.3],
    [0.3, 0.2, 0.5],
    [0.0, 0.6, 0.4],
];
const POINTS: [P2; 4] = [[0.3, -0.2], [-1.5, 1.0], [2.0, 2.0], [0.0, -2.5]];

fn checker_rings() -> MultiExact {
    MultiExact::new(&Target::Checkerboard, &Target::Rings).expect("exact")
}

#[test]
fn which_pairs_have_exact_fields() {
    assert!(matches!(
        MultiExact::new(&Target::Gmm, &Target::Moons),
        Some(MultiExact::Pairs(_))
    ));
    assert!(matches!(
        MultiExact::new(&Target::Checkerboard, &Target::Spirals),
        Some(MultiExact::Iso { swapped: false, .. })
    ));
    assert!(matches!(
        MultiExact::new(&Target::Rings, &Target::Checkerboard),
        Some(MultiExact::Iso { swapped: true, .. })
    ));
    assert!(MultiExact::new(&Target::Checkerboard, &Target::Gmm).is_none());
    assert!(MultiExact::new(&Target::Checkerboard, &Target::Checkerboard).is_none());
}

#[test]
fn the_isotropic_form_agrees_with_the_pair_form() {
    let gmm = Target::Gmm.mixture().expect("mixture");
    let moons = Target::Moons.mixture().expect("mixture");
    let pairs = MultiExact::Pairs(Multimarginal::new(gmm.clone(), moons.clone()));
    let iso = MultiExact::Iso {
        any: ExactTarget::Mixture(gmm),
        iso: moons,
        swapped: false,
    };
    for a in ALPHAS {
        let (p, q) = (pairs.at(a), iso.at(a));
        for x in POINTS {
            let (u, v) = (p.eval(x), q.eval(x));
            assert!((u.log_rho - v.log_rho).abs() < 1e-9, "{a:?} {x:?}");
            for k in 0..3 {
                for d in 0..2 {
                    assert!((u.g[k][d] - v.g[k][d]).abs() < 1e-9, "{a:?} {x:?} g{k}");
                }
            }
        }
    }
}

#[test]
fn the_checkerboard_fields_recombine_and_satisfy_the_continuity_equations() {
    for m in [
        checker_rings(),
        MultiExact::new(&Target::Moons, &Target::Checkerboard).expect("exact"),
    ] {
        let h = 1e-5;
        for a in ALPHAS {
            let at = m.at(a);
            for x in POINTS {
                let p = at.eval(x);
                let back = path_velocity(&p, a);
                assert!(
                    (back[0] - x[0]).abs() < 1e-9 && (back[1] - x[1]).abs() < 1e-9,
                    "{a:?} {x:?}: {back:?}"
                );
                let dx = |i: usize, s: f64| {
                    let mut y = x;
                    y[i] += s;
                    at.eval(y)
                };
                let grad = [0, 1].map(|i| (dx(i, h).log_rho - dx(i, -h).log_rho) / (2.0 * h));
                for k in 0..3 {
                    let (mut ap, mut am) = (a, a);
                    ap[k] += h;
                    am[k] -= h;
                    let da = (m.at(ap).eval(x).log_rho - m.at(am).eval(x).log_rho) / (2.0 * h);
                    let div = (0..2)
                        .map(|i| (dx(i, h).g[k][i] - dx(i, -h).g[k][i]) / (2.0 * h))
                        .sum::<f64>();
                    let r = da + div + p.g[k][0] * grad[0] + p.g[k][1] * grad[1];
                    assert!(
                        r.abs() < 1e-4 * (1.0 + da.abs() + div.abs()),
                        "α {a:?}, x {x:?}, k {k}: residual {r}"
                    );
                }
            }
        }
    }
}

#[test]
fn monte_carlo_agrees_with_the_conditional_means() {
    // The tower property E[g_k(X)] = E[x_k] and E[g_k(X)·X] = E[x_k·X] on 100 000 draws.
    let m = checker_rings();
    let (first, second) = (
        ExactTarget::new(&Target::Checkerboard),
        ExactTarget::new(&Target::Rings),
    );
    let a = [0.4, 0.35, 0.25];
    let n = 100_000;
    let mut rng = Rng::new(11);
    let x0 = rng.normals(n);
    let x1 = first.sample(&mut rng, n);
    let x2 = second.sample(&mut rng, n);
    let at = m.at(a);
    let (mut diff, mut sq) = ([[0.0; 3]; 3], [[0.0; 3]; 3]);
    for i in 0..n {
        let xs = [x0[i], x1[i], x2[i]];
        let x = [0, 1].map(|d| a[0] * xs[0][d] + a[1] * xs[1][d] + a[2] * xs[2][d]);
        let p = at.eval(x);
        for k in 0..3 {
            let f = [p.g[k][0], p.g[k][1], p.g[k][0] * x[0] + p.g[k][1] * x[1]];
            let e = [xs[k][0], xs[k][1], xs[k][0] * x[0] + xs[k][1] * x[1]];
            for j in 0..3 {
                diff[k][j] += f[j] - e[j];
                sq[k][j] += (f[j] - e[j]).powi(2);
            }
        }
    }
    let n = n as f64;
    for k in 0..3 {
        for j in 0..3 {
            let (d, se) = (diff[k][j] / n, (sq[k][j] / n).sqrt() / n.sqrt());
            assert!(
                d.abs() < 4.0 * se + 1e-9,
                "k {k}, moment {j}: {d} against SE {se}"
            );
        }
    }
    // Direct samples of the same α have the mixture's first moment.
    let xs = sample_targets(&first, &second, a, &mut Rng::new(4), 50_000);
    let mean = second.mean();
    for d in 0..2 {
        let got = xs.iter().map(|x| x[d]).sum::<f64>() / xs.len() as f64;
        assert!((got - a[2] * mean[d]).abs() < 0.03, "{d}: {got}");
    }
}

#[test]
fn the_vertices_and_the_edge_from_noise_to_the_checkerboard() {
    let m = checker_rings();
    let rings = ExactTarget::new(&Target::Rings);
    for x in POINTS {
        let r0 = m.at([1.0, 0.0, 0.0]).eval(x).log_rho;
        let normal = -2.0 * HALF_LN_2PI - 0.5 * (x[0] * x[0] + x[1] * x[1]);
        assert!((r0 - normal).abs() < 1e-12);
        let r2 = m.at([0.0, 0.0, 1.0]).eval(x).log_rho;
        assert!((r2 - rings.log_density(x)).abs() < 1e-10);
    }
    // α(t) = (1 − t, t, 0) is the one-sided linear interpolant of the checkerboard.
    let schedule = Schedule {
        gamma: GammaFamily::Zero,
        ..Schedule::preset(Path::OneSidedLinear)
    };
    let field = ExactField::from_parts(schedule, ExactTarget::Checkerboard);
    for t in [0.2, 0.5, 0.8] {
        let at = m.at([1.0 - t, t, 0.0]);
        let exact = field.at(t);
        for x in POINTS {
            let b = path_velocity(&at.eval(x), [-1.0, 1.0, 0.0]);
            let want = exact.velocity(x);
            assert!(
                (b[0] - want[0]).abs() < 1e-8 && (b[1] - want[1]).abs() < 1e-8,
                "t {t}, x {x:?}: {b:?} against {want:?}"
            );
        }
    }
}

#[test]
fn skipping_far_components_changes_nothing() {
    // Near the checkerboard's vertex most of the rings' tubes are skipped: the fields must be
    // those of the full sum.
    let m = checker_rings();
    for a in [[0.05, 0.9, 0.05], [0.02, 0.5, 0.48], [0.3, 0.4, 0.3]] {
        let MultiExactAt::Iso(iso) = m.at(a) else {
            panic!("the isotropic form")
        };
        for x in [[0.5, 0.5], [-3.1, 2.2], [1.9, -0.1], [6.0, 6.0]] {
            let parts: Vec<(P2, f64)> = iso
                .comps
                .iter()
                .map(|c| {
                    let (g, l) = c.post.eval([x[0] - c.shift[0], x[1] - c.shift[1]]);
                    (g, c.ln_w + l)
                })
                .collect();
            let logs: Vec<f64> = parts.iter().map(|p| p.1).collect();
            let full = log_sum_exp(&logs);
            let mut g1 = [0.0; 2];
            for (g, l) in &parts {
                let w = (l - full).exp();
                g1[0] += w * g[0];
                g1[1] += w * g[1];
            }
            let p = iso.eval(x);
            assert!((p.log_rho - full).abs() < 1e-12, "{a:?} {x:?}");
            assert!(
                (p.g[1][0] - g1[0]).abs() < 1e-12 && (p.g[1][1] - g1[1]).abs() < 1e-12,
                "{a:?} {x:?}: {:?} against {g1:?}",
                p.g[1]
            );
        }
    }
}
