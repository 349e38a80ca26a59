//! The multi-marginal network against the exact fields of `interplay_core::multimarginal`
//! (two Gaussian-mixture targets): its skip is exact for Gaussian marginals, training brings
//! g_k close to the exact fields, the learned fields satisfy the continuity equation along the
//! triangle, the flow they give carries ρ(α) to ρ(α′), and checkpoints round-trip and refuse
//! bad bytes with a reason.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{cpu, now};
use interplay_core::ObjectiveKind;
use interplay_core::metrics::sliced_w2;
use interplay_core::mixture::{Component, Mixture, Sym2};
use interplay_core::multimarginal::{Alpha, Multimarginal};
use interplay_core::targets::ExactTarget;
use interplay_core::{P2, Rng, Target};
use interplay_nn::multi::{MultiField, MultiSkip, TrianglePath, carry};
use interplay_nn::multi_train::{EDGE_SHARE, MultiCheckpoint, MultiTrainer, draw_alpha};
use interplay_nn::net::NetConfig;
use interplay_nn::trainer::{LrDecay, TrainConfig};

fn exact() -> Multimarginal {
    Multimarginal::new(
        Target::Gmm.mixture().expect("a mixture"),
        Target::Moons.mixture().expect("a mixture"),
    )
}

fn config(steps: u64) -> TrainConfig {
    TrainConfig {
        objective: ObjectiveKind::Multimarginal,
        net: NetConfig {
            width: 96,
            depth: 3,
            fourier: 2,
            spatial: 3,
            ..NetConfig::default()
        },
        batch: 1024,
        lr: 1e-2,
        decay: LrDecay::Cosine {
            steps,
            min_ratio: 0.05,
        },
        warmup: 20,
        ..TrainConfig::default()
    }
}

fn trained(steps: u64) -> MultiTrainer {
    let mut tr = MultiTrainer::new(config(steps), Target::Gmm, Target::Moons, &cpu()).expect("run");
    for _ in 0..steps {
        tr.step();
    }
    tr
}

/// Steps of the test run (about 20 s in a debug build).
const STEPS: u64 = 1500;

const ALPHAS: [Alpha; 5] = [
    [0.5, 0.3, 0.2],
    [0.2, 0.4, 0.4],
    [0.15, 0.7, 0.15],
    [0.0, 0.5, 0.5],
    [0.5, 0.0, 0.5],
];

/// ‖ĝ_k − g_k‖ / ‖g_k‖ over x ~ ρ(α) for each k, pooled over `alphas`.
fn rel_errors(mm: &Multimarginal, f: impl Fn(Alpha, &[P2]) -> Vec<[P2; 3]>) -> [f64; 3] {
    let mut num = [0.0; 3];
    let mut den = [0.0; 3];
    let mut rng = Rng::new(17);
    for a in ALPHAS {
        let xs = mm.sample(a, &mut rng, 600);
        let at = mm.at(a);
        for (x, g) in xs.iter().zip(f(a, &xs)) {
            let e = at.eval(*x).g;
            for k in 0..3 {
                num[k] += (g[k][0] - e[k][0]).powi(2) + (g[k][1] - e[k][1]).powi(2);
                den[k] += e[k][0].powi(2) + e[k][1].powi(2);
            }
        }
    }
    std::array::from_fn(|k| (num[k] / den[k]).sqrt())
}

#[test]
fn alphas_cover_the_triangle_and_its_edges() {
    let mut rng = Rng::new(5);
    let n = 20_000;
    let draws: Vec<Alpha> = (0..n).map(|_| draw_alpha(&mut rng)).collect();
    assert!(draws.iter().all(|a| interplay_nn::multi::on_triangle(*a)));
    let edges = draws.iter().filter(|a| a.contains(&0.0)).count() as f64 / n as f64;
    assert!((edges - EDGE_SHARE).abs() < 0.015, "edge share {edges}");
    for k in 0..3 {
        let mean = draws.iter().map(|a| a[k]).sum::<f64>() / n as f64;
        assert!((mean - 1.0 / 3.0).abs() < 0.01, "E[α{k}] = {mean}");
    }
}

#[test]
fn the_skip_is_the_exact_field_of_gaussian_marginals() {
    // Two isotropic Gaussians: the stand-in is the interpolant itself.
    let g = |mean: P2, var: f64| {
        Mixture::new(vec![Component {
            weight: 1.0,
            mean,
            cov: Sym2::iso(var),
        }])
    };
    let (m1, m2) = (g([1.5, -0.5], 0.7), g([-2.0, 1.0], 2.5));
    let mm = Multimarginal::new(m1.clone(), m2.clone());
    let skip = MultiSkip::new(&ExactTarget::Mixture(m1), &ExactTarget::Mixture(m2));
    for a in [
        [0.6, 0.3, 0.1],
        [0.0, 0.5, 0.5],
        [0.2, 0.2, 0.6],
        [0.0, 1.0, 0.0],
    ] {
        let at = mm.at(a);
        for x in [[0.3, -0.2], [-1.5, 1.0], [2.0, 2.0]] {
            let (s, e) = (skip.eval(a, x), at.eval(x).g);
            for k in 0..3 {
                for d in 0..2 {
                    assert!((s[k][d] - e[k][d]).abs() < 1e-12, "{a:?} {x:?} g{k}");
                }
            }
            // Σ α_k skip_k = x for any marginals.
            let back = [0, 1].map(|d| (0..3).map(|k| a[k] * s[k][d]).sum::<f64>());
            assert!((back[0] - x[0]).abs() < 1e-12 && (back[1] - x[1]).abs() < 1e-12);
        }
    }
}

#[test]
fn training_learns_the_exact_fields_and_their_continuity_equation() {
    let mm = exact();
    let tr = trained(STEPS);
    let field = tr.field();
    let learned = rel_errors(&mm, |a, xs| now(field.g_at(a, xs)).expect("read"));
    let skip = MultiSkip::new(
        &ExactTarget::new(&Target::Gmm),
        &ExactTarget::new(&Target::Moons),
    );
    let stand_in = rel_errors(&mm, |a, xs| xs.iter().map(|x| skip.eval(a, *x)).collect());
    eprintln!("relative error of g0, g1, g2: learned {learned:?}, the skip alone {stand_in:?}");
    for k in 0..3 {
        assert!(
            learned[k] < [0.25, 0.1, 0.2][k] && learned[k] < 0.5 * stand_in[k],
            "g{k}: learned {:.3} against the skip's {:.3}",
            learned[k],
            stand_in[k]
        );
    }
    continuity(&mm, &field, &skip);
    carry_and_checkpoint(&mm, &tr, &field);
}

/// ∂_d ρ + ∇·(g_d ρ) = 0 along tangent directions d of the triangle (g_d = Σ d_k g_k), on a
/// grid: the residual of the learned g_k as a share of |∂_d ρ|, against the exact g_k's and the
/// skip's.
fn continuity(mm: &Multimarginal, field: &MultiField, skip: &MultiSkip) {
    let a: Alpha = [0.4, 0.35, 0.25];
    let (n, lo, hi) = (60usize, -4.5, 4.5);
    let step = (hi - lo) / n as f64;
    let grid: Vec<P2> = (0..n * n)
        .map(|i| {
            [
                lo + (i % n) as f64 * step + 0.5 * step,
                lo + (i / n) as f64 * step + 0.5 * step,
            ]
        })
        .collect();
    let at = mm.at(a);
    let rho = |x: P2| at.eval(x).log_rho.exp();
    let h = 0.02;
    let shifted: Vec<Vec<P2>> = [[h, 0.0], [-h, 0.0], [0.0, h], [0.0, -h]]
        .iter()
        .map(|s| grid.iter().map(|x| [x[0] + s[0], x[1] + s[1]]).collect())
        .collect();
    let learned: Vec<Vec<[P2; 3]>> = shifted
        .iter()
        .map(|pts| now(field.g_at(a, pts)).expect("read"))
        .collect();
    for d in [[-1.0, 1.0, 0.0], [-1.0, 0.0, 1.0], [0.0, -1.0, 1.0]] {
        let eps = 1e-4;
        let ap: Alpha = std::array::from_fn(|k| a[k] + eps * d[k]);
        let am: Alpha = std::array::from_fn(|k| a[k] - eps * d[k]);
        let (atp, atm) = (mm.at(ap), mm.at(am));
        let gd = |g: &[P2; 3]| [0, 1].map(|c| (0..3).map(|k| d[k] * g[k][c]).sum::<f64>());
        // Residual of a field given by `g` at the four shifted grids.
        let residual = |g: &dyn Fn(usize, usize) -> P2| -> f64 {
            let mut num = 0.0;
            let mut den = 0.0;
            for (i, x) in grid.iter().enumerate() {
                let dt = (atp.eval(*x).log_rho.exp() - atm.eval(*x).log_rho.exp()) / (2.0 * eps);
                let flux = |s: usize| {
                    let p = shifted[s][i];
                    let v = g(s, i);
                    [v[0] * rho(p), v[1] * rho(p)]
                };
                let div = (flux(0)[0] - flux(1)[0] + flux(2)[1] - flux(3)[1]) / (2.0 * h);
                num += (dt + div).abs();
                den += dt.abs();
            }
            num / den
        };
        let r_exact = residual(&|s, i| gd(&at.eval(shifted[s][i]).g));
        let r_learned = residual(&|s, i| gd(&learned[s][i]));
        let r_skip = residual(&|s, i| gd(&skip.eval(a, shifted[s][i])));
        eprintln!(
            "d = {d:?}: residual exact {r_exact:.2e}, learned {r_learned:.3}, skip {r_skip:.3}"
        );
        assert!(r_exact < 1e-3, "the exact fields' residual {r_exact}");
        assert!(
            r_learned < 0.45 && r_learned < 0.5 * r_skip,
            "d = {d:?}: learned residual {r_learned:.3} against the skip's {r_skip:.3}"
        );
    }
}

/// The learned flow carries samples of ρ(α(0)) to ρ(α(1)) along a path, and checkpoints
/// round-trip bit for bit and refuse bad bytes with a reason.
fn carry_and_checkpoint(mm: &Multimarginal, tr: &MultiTrainer, field: &MultiField) {
    let mut rng = Rng::new(9);
    // From near the Gaussian vertex through the middle to the moons' edge.
    let path =
        TrianglePath::new(vec![[0.8, 0.1, 0.1], [0.3, 0.3, 0.4], [0.1, 0.2, 0.7]]).expect("a path");
    let (start, end) = path.ends();
    let starts = mm.sample(start, &mut rng, 3000);
    let frames = now(carry(field, &path, &starts, 20)).expect("carry");
    assert_eq!(frames.len(), 1 + 2 * 20);
    let carried = frames.last().expect("frames");
    let direct = mm.sample(end, &mut rng, 3000);
    let w = |a: &[P2], b: &[P2]| sliced_w2(a, b, 32, &mut Rng::new(3));
    let (moved, before) = (w(carried, &direct), w(&starts, &direct));
    let noise = w(&mm.sample(end, &mut rng, 3000), &direct);
    eprintln!(
        "sliced W2 to ρ(α(1)): carried {moved:.4}, unmoved {before:.4}, two samples {noise:.4}"
    );
    assert!(
        moved < 0.25 * before && moved < 2.5 * noise,
        "carried {moved}, unmoved {before}, noise {noise}"
    );

    // Checkpoints: bit for bit, the same field, and bad bytes refused with a reason.
    let ck = now(tr.checkpoint()).expect("checkpoint");
    let bytes = ck.to_bytes();
    let back = MultiCheckpoint::from_bytes(&bytes).expect("decodes");
    assert_eq!(back, ck);
    let again = back.field(&cpu()).expect("field");
    let pts = [[0.5, -1.0], [2.0, 1.0]];
    let (g1, g2) = (
        now(field.g_at([0.3, 0.3, 0.4], &pts)).expect("read"),
        now(again.g_at([0.3, 0.3, 0.4], &pts)).expect("read"),
    );
    assert_eq!(g1, g2);
    let resumed = MultiTrainer::resume(&back, &cpu()).expect("resume");
    assert_eq!(resumed.steps(), STEPS);
    let reason = |b: &[u8]| match MultiCheckpoint::from_bytes(b) {
        Ok(_) => panic!("bad bytes were accepted"),
        Err(e) => e.to_string(),
    };
    assert!(reason(b"IPLYCKPT").contains("not a multimarginal checkpoint"));
    assert!(reason(&bytes[..bytes.len() - 9]).contains("truncated"));
    let mut flipped = bytes.clone();
    let last = flipped.len() - 20;
    flipped[last] ^= 0x40;
    assert!(reason(&flipped).contains("checksum"));
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(reason(&longer).contains("unexpected bytes"));
}

#[test]
fn bad_settings_and_paths_are_refused_with_a_reason() {
    let e = TrianglePath::new(vec![[0.5, 0.5, 0.0]]).expect_err("one point");
    assert!(e.contains("at least two"), "{e}");
    let e = TrianglePath::new(vec![[1.0, 0.0, 0.0], [0.7, 0.7, -0.4]]).expect_err("off");
    assert!(e.contains("not on the triangle"), "{e}");
    let mut c = config(10);
    c.ema = 0.99;
    let e = MultiTrainer::new(c, Target::Gmm, Target::Moons, &cpu())
        .err()
        .expect("ema refused");
    assert!(e.to_string().contains("moving average"), "{e}");
    let line = Target::line("bars").expect("a line target");
    let e = MultiTrainer::new(config(10), Target::Checkerboard, line, &cpu())
        .err()
        .expect("line refused");
    assert!(e.to_string().contains("plane"), "{e}");
}
