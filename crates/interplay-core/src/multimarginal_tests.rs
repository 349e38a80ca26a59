//! The multi-marginal interpolant against its identities: Σα_k g_k = x, the continuity equations
//! by finite differences, the tower property by Monte Carlo, the vertices, and the edge from ρ0
//! to ρ1 against the two-marginal exact field.

use super::*;
use crate::mixture::Component;
use crate::schedule::{GammaFamily, Path, Schedule};
use crate::targets::{ExactTarget, Target};
use crate::{ExactField, Rng};

fn mm() -> Multimarginal {
    let gmm = Target::Gmm.mixture().expect("a mixture");
    // A second target of a few isotropic and one tilted component.
    let second = Mixture::new(vec![
        Component {
            weight: 0.5,
            mean: [0.0, 2.5],
            cov: Sym2::iso(0.3),
        },
        Component {
            weight: 0.3,
            mean: [-2.0, -1.0],
            cov: Sym2 {
                a: 0.5,
                b: 0.2,
                c: 0.3,
            },
        },
        Component {
            weight: 0.2,
            mean: [2.5, 0.0],
            cov: Sym2::iso(0.15),
        },
    ]);
    Multimarginal::new(gmm, second)
}

const ALPHAS: [Alpha; 4] = [
    [0.6, 0.3, 0.1],
    [0.2, 0.5, 0.3],
    [1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0],
    [0.1, 0.1, 0.8],
];
const POINTS: [P2; 4] = [[0.3, -0.2], [-1.5, 1.0], [2.0, 2.0], [0.0, -2.5]];

#[test]
fn the_fields_recombine_to_x() {
    let m = mm();
    for a in ALPHAS {
        let at = m.at(a);
        for x in POINTS {
            let p = at.eval(x);
            let back = path_velocity(&p, a);
            assert!(
                (back[0] - x[0]).abs() < 1e-10 && (back[1] - x[1]).abs() < 1e-10,
                "{a:?} {x:?}: {back:?}"
            );
        }
    }
}

#[test]
fn each_continuity_equation_holds_by_finite_differences() {
    // ∂_{α_k} log ρ + ∇·g_k + g_k·∇ log ρ = 0 for k = 0, 1, 2 (α off the triangle too).
    let m = mm();
    let h = 1e-5;
    for a in ALPHAS {
        for x in POINTS {
            let at = m.at(a);
            let p = at.eval(x);
            let dx = |i: usize, s: f64| {
                let mut y = x;
                y[i] += s;
                at.eval(y)
            };
            let grad = [0, 1].map(|i| (dx(i, h).log_rho - dx(i, -h).log_rho) / (2.0 * h));
            for k in 0..3 {
                let mut ap = a;
                let mut am = a;
                ap[k] += h;
                am[k] -= h;
                let da = (m.at(ap).eval(x).log_rho - m.at(am).eval(x).log_rho) / (2.0 * h);
                let div = (0..2)
                    .map(|i| (dx(i, h).g[k][i] - dx(i, -h).g[k][i]) / (2.0 * h))
                    .sum::<f64>();
                let flux = p.g[k][0] * grad[0] + p.g[k][1] * grad[1];
                let r = da + div + flux;
                assert!(
                    r.abs() < 1e-5 * (1.0 + da.abs() + div.abs()),
                    "α {a:?}, x {x:?}, k {k}: residual {r}"
                );
            }
        }
    }
}

#[test]
fn monte_carlo_agrees_with_the_conditional_means() {
    // The tower property, E[g_k(X)] = E[x_k] and E[g_k(X)·X] = E[x_k·X], on 200 000 draws.
    let m = mm();
    let a = [0.4, 0.35, 0.25];
    let n = 200_000;
    let mut rng = Rng::new(11);
    let x0 = rng.normals(n);
    let x1 = m.first.sample(&mut rng, n);
    let x2 = m.second.sample(&mut rng, n);
    let at = m.at(a);
    let (mut lhs, mut rhs) = ([[0.0; 3]; 3], [[0.0; 3]; 3]);
    let (mut sq, mut cnt) = ([[0.0; 3]; 3], 0.0);
    for i in 0..n {
        let xs = [x0[i], x1[i], x2[i]];
        let x = [0, 1].map(|d| a[0] * xs[0][d] + a[1] * xs[1][d] + a[2] * xs[2][d]);
        let p = at.eval(x);
        for k in 0..3 {
            let f = [p.g[k][0], p.g[k][1], p.g[k][0] * x[0] + p.g[k][1] * x[1]];
            let e = [xs[k][0], xs[k][1], xs[k][0] * x[0] + xs[k][1] * x[1]];
            for j in 0..3 {
                lhs[k][j] += f[j];
                rhs[k][j] += e[j];
                sq[k][j] += (f[j] - e[j]).powi(2);
            }
        }
        cnt += 1.0;
    }
    for k in 0..3 {
        for j in 0..3 {
            let diff = (lhs[k][j] - rhs[k][j]) / cnt;
            let se = (sq[k][j] / cnt).sqrt() / cnt.sqrt();
            assert!(
                diff.abs() < 4.0 * se + 1e-9,
                "k {k}, moment {j}: {diff} against SE {se}"
            );
        }
    }
}

#[test]
fn the_vertices_are_the_marginals() {
    let m = mm();
    for x in POINTS {
        let r0 = m.at([1.0, 0.0, 0.0]).eval(x).log_rho;
        let normal = -LN_2PI - 0.5 * (x[0] * x[0] + x[1] * x[1]);
        assert!((r0 - normal).abs() < 1e-12);
        let r1 = m.at([0.0, 1.0, 0.0]).eval(x).log_rho;
        assert!((r1 - m.first.log_density(x)).abs() < 1e-10);
        let r2 = m.at([0.0, 0.0, 1.0]).eval(x).log_rho;
        assert!((r2 - m.second.log_density(x)).abs() < 1e-10);
    }
}

#[test]
fn the_edge_from_noise_to_the_first_target_is_the_one_sided_linear_interpolant() {
    // α(t) = (1 − t, t, 0): x(α) = (1 − t)x0 + t x1, whose velocity is the exact b of the
    // one-sided linear path (γ ≡ 0) on the same target.
    let m = mm();
    let schedule = Schedule {
        gamma: GammaFamily::Zero,
        ..Schedule::preset(Path::OneSidedLinear)
    };
    let field = ExactField::from_parts(schedule, ExactTarget::Mixture(m.first.clone()));
    for t in [0.2, 0.5, 0.8] {
        let at = m.at([1.0 - t, t, 0.0]);
        let exact = field.at(t);
        for x in POINTS {
            let b = path_velocity(&at.eval(x), [-1.0, 1.0, 0.0]);
            let want = exact.velocity(x);
            assert!(
                (b[0] - want[0]).abs() < 1e-9 && (b[1] - want[1]).abs() < 1e-9,
                "t {t}, x {x:?}: {b:?} against {want:?}"
            );
        }
    }
}

#[test]
fn direct_samples_have_the_mixture_moments() {
    let m = mm();
    let a = [0.5, 0.2, 0.3];
    let xs = m.sample(a, &mut Rng::new(5), 100_000);
    let (m1, _) = m.first.moments();
    let (m2, _) = m.second.moments();
    for d in 0..2 {
        let mean = xs.iter().map(|x| x[d]).sum::<f64>() / xs.len() as f64;
        let want = a[1] * m1[d] + a[2] * m2[d];
        assert!((mean - want).abs() < 0.02, "{d}: {mean} against {want}");
    }
}
