//! The losses: the tensor forward pass matches the host formulas, and the exact fields (all
//! built from one posterior through the identities of docs/math.md §2) minimise every objective.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{cpu, read1};
use interplay_core::ObjectiveKind;
use interplay_core::posterior::identity;
use interplay_core::targets::ExactTarget;
use interplay_core::{ExactField, P2, Path, Rng, Schedule, Target};
use interplay_nn::batch::{Col, PairCol, PairNet, TimeDraw, draw_batch, host_loss};
use interplay_nn::net::NetConfig;
use interplay_nn::objective::Objective;
use interplay_nn::trainer::tensor_losses;

fn objectives(target: &ExactTarget) -> Vec<Objective> {
    ObjectiveKind::ALL
        .into_iter()
        .filter_map(|k| Objective::of(k, target))
        .collect()
}

/// [`objectives`] as trained on plain sample targets (no batch posterior).
fn plain_objectives(target: &ExactTarget) -> Vec<Objective> {
    objectives(target)
        .into_iter()
        .map(|o| o.for_refs(0))
        .collect()
}

#[test]
fn tensor_losses_match_the_host_formulas() {
    let target = ExactTarget::new(&Target::Checkerboard);
    let sched = Schedule::default();
    let device = cpu();
    let cfg = NetConfig {
        width: 16,
        depth: 2,
        ..NetConfig::default()
    };
    for obj in objectives(&target) {
        let mut rng = Rng::new(3);
        let nets: Vec<_> = obj
            .nets()
            .iter()
            .map(|_| cfg.init(&device, &mut rng))
            .collect();
        let batch = draw_batch(
            &obj,
            &sched,
            &target,
            64,
            TimeDraw::uniform(1e-3),
            0,
            &mut rng,
        );
        let tensor: Vec<f64> = tensor_losses(&obj, &nets, &batch, &device)
            .into_iter()
            .map(read1)
            .collect();
        let predict = |k: usize, u: f64, x: P2| -> P2 {
            let ut = burn::tensor::Tensor::<2>::from_floats([[u as f32]], &device);
            let xt = burn::tensor::Tensor::<2>::from_floats([[x[0] as f32, x[1] as f32]], &device);
            common::read2(nets[k].forward(ut, xt))[0]
        };
        let host = host_loss(&obj, &batch, &predict);
        for (a, b) in tensor.iter().zip(&host) {
            assert!(
                (a - b).abs() < 1e-4 * (1.0 + b.abs()),
                "{}: tensor {tensor:?} vs host {host:?}",
                obj.name()
            );
        }
    }
}

/// The exact predictor of each network of `obj`, from the exact posterior.
fn exact_predictor<'a>(
    obj: &'a Objective,
    sched: &'a Schedule,
    target: &'a ExactTarget,
) -> impl Fn(usize, f64, P2) -> P2 + 'a {
    let field = ExactField::from_parts(*sched, target.clone());
    move |k: usize, u: f64, x: P2| -> P2 {
        match obj {
            Objective::ScheduleFree { log_lambda, .. } => {
                // u encodes ln λ; the input is c_in·y with (σ, β) = (λ, 1).
                let lam = (log_lambda.0 + u * (log_lambda.1 - log_lambda.0)).exp();
                let at = obj.sf_at(lam, 1.0).expect("schedule-free");
                let y = [x[0] / at.c_in, x[1] / at.c_in];
                let g1 = target.posterior(y, 1.0, lam, false).g1;
                let skip = at.skip.apply(y);
                [(g1[0] - skip[0]) / at.c_out, (g1[1] - skip[1]) / at.c_out]
            }
            _ => {
                // The network sees c_in·x and gives (field − skip·x)/scale (identity unless
                // preconditioned).
                let aff = obj.affine(k, &sched.at(u));
                let x = x.map(|v| v / aff.c_in);
                let at = field.at(u);
                let p = at.posterior(x, false);
                let st = at.st;
                let f = match (obj, k) {
                    (Objective::VelocityScore { .. }, 0) => identity::velocity(&st, p.g1, p.score),
                    (Objective::VScore, 0) => identity::v(&st, p.g1, p.score),
                    (Objective::Denoiser, 0) => identity::velocity(&st, p.g1, p.score),
                    (Objective::Denoiser, _) => {
                        if sched.has_gamma() {
                            identity::eta(&st, p.score)
                        } else {
                            identity::g0(&st, p.score)
                        }
                    }
                    _ => p.score,
                };
                [0, 1].map(|d| (f[d] - aff.skip * x[d]) / aff.scale)
            }
        }
    }
}

#[test]
fn the_exact_fields_minimise_every_objective() {
    // L(f + κh) − L(f) = ½κ²E|h|² exactly in expectation when f is the minimiser (docs/math.md §9
    // test 8):
    // perturbing the exact predictor must raise each loss by about that much, never lower it.
    let target = ExactTarget::new(&Target::Checkerboard);
    for sched in [Schedule::default(), Schedule::preset(Path::OneSidedLinear)] {
        for obj in plain_objectives(&target) {
            let batch = draw_batch(
                &obj,
                &sched,
                &target,
                60_000,
                TimeDraw::uniform(1e-2),
                0,
                &mut Rng::new(5),
            );
            let exact = exact_predictor(&obj, &sched, &target);
            let base = host_loss(&obj, &batch, &exact);
            let h = |_: P2| [0.3, -0.2];
            for kappa in [0.5, 1.0] {
                let pert = |k: usize, u: f64, x: P2| {
                    let (e, d) = (exact(k, u, x), h(x));
                    [e[0] + kappa * d[0], e[1] + kappa * d[1]]
                };
                let raised = host_loss(&obj, &batch, &pert);
                for (k, (r, b)) in raised.iter().zip(&base).enumerate() {
                    // Rows of a pair loss are weighted by q (1 unless the network hardly
                    // shapes the field there), those of the schedule-free loss by the
                    // narrowing w.
                    let q = [(PairNet::B, 0), (PairNet::S, 1)]
                        .iter()
                        .filter(|(_, net)| *net == k)
                        .find_map(|(pair, _)| batch.col(Col::Pair(*pair, PairCol::Q)))
                        .or_else(|| batch.col(Col::W))
                        .filter(|_| !matches!((&obj, k), (Objective::Denoiser, 1)))
                        .filter(|_| !matches!((&obj, k), (Objective::VScore, 0)))
                        .map_or(1.0, |(v, _)| {
                            v.iter().map(|&q| f64::from(q)).sum::<f64>() / v.len() as f64
                        });
                    let expected = 0.5 * kappa * kappa * q * (0.3f64.powi(2) + 0.2f64.powi(2));
                    let rise = r - b;
                    assert!(
                        rise > 0.0,
                        "{} net {k} ({sched:?}): the exact field is not the minimum ({b} → {r})",
                        obj.name()
                    );
                    assert!(
                        (rise - expected).abs() < 0.25 * expected,
                        "{} net {k}: rise {rise}, expected ≈ {expected}",
                        obj.name()
                    );
                }
            }
        }
    }
}

#[test]
fn identities_link_the_objectives() {
    // On the exact field the objectives' minimisers are one posterior seen four ways:
    // b = v − γγ̇ s, s = −η/γ, and D(σ/β, x/β) = g1.
    let target = ExactTarget::new(&Target::Checkerboard);
    let sched = Schedule::default();
    let objs = objectives(&target);
    let (vs, vv, den, sf) = (&objs[0], &objs[1], &objs[2], &objs[3]);
    let (pb, pv, pe, pd) = (
        exact_predictor(vs, &sched, &target),
        exact_predictor(vv, &sched, &target),
        exact_predictor(den, &sched, &target),
        exact_predictor(sf, &sched, &target),
    );
    let Objective::ScheduleFree { log_lambda, .. } = sf else {
        unreachable!()
    };
    let mut rng = Rng::new(9);
    for _ in 0..50 {
        let t = 0.05 + 0.9 * rng.uniform();
        let x = rng.normal2().map(|v| 2.0 * v);
        let st = sched.at(t);
        // The preconditioned b and s networks, turned back into fields.
        let field_of = |k: usize| {
            let aff = vs.affine(k, &st);
            let f = pb(k, t, x.map(|v| aff.c_in * v));
            [0, 1].map(|d| aff.skip * x[d] + aff.scale * f[d])
        };
        let (b, s) = (field_of(0), field_of(1));
        let (v, eta) = (pv(0, t, x), pe(1, t, x));
        assert!((0..2).all(|i| (pe(0, t, x)[i] - b[i]).abs() < 1e-9));
        let close = |a: P2, c: P2| (0..2).all(|i| (a[i] - c[i]).abs() < 1e-8 * (1.0 + c[i].abs()));
        assert!(close(identity::velocity_from_v_score(&st, v, s), b));
        assert!(close(identity::score_from_eta(&st, eta), s));
        let at = sf
            .sf_at(st.sigma2().sqrt(), st.beta)
            .expect("schedule-free");
        let f = pd(0, at.u, [at.c_in * x[0], at.c_in * x[1]]);
        let skip = at.skip.apply(x);
        let g1 = [skip[0] + at.c_out * f[0], skip[1] + at.c_out * f[1]];
        let lam = st.sigma2().sqrt() / st.beta;
        if lam < log_lambda.1.exp() {
            assert!(
                close(identity::score(&st, x, g1), s),
                "t={t}: D gives {g1:?}"
            );
        }
    }
}

/// Per row of `batch`: (u, the network's input, the exact minimiser's residual q·F* − r, or
/// F* − target for the schedule-free loss) for network `k`.
fn residuals(
    obj: &Objective,
    batch: &interplay_nn::batch::HostBatch,
    exact: &dyn Fn(usize, f64, P2) -> P2,
    k: usize,
) -> Vec<(f64, P2, P2)> {
    let n = batch.n;
    let col = |c: Col| batch.col(c).expect("column").0.to_vec();
    let pt = |v: &[f32], i: usize| [f64::from(v[2 * i]), f64::from(v[2 * i + 1])];
    let u = col(Col::U);
    if let Objective::ScheduleFree { .. } = obj {
        let (x, t) = (col(Col::X), col(Col::Target));
        return (0..n)
            .map(|i| {
                let (xi, f, ti) = (pt(&x, i), exact(0, f64::from(u[i]), pt(&x, i)), pt(&t, i));
                (f64::from(u[i]), xi, [f[0] - ti[0], f[1] - ti[1]])
            })
            .collect();
    }
    let pair = [PairNet::B, PairNet::S][k];
    let (x, q, r) = (
        col(Col::Pair(pair, PairCol::In)),
        col(Col::Pair(pair, PairCol::Q)),
        col(Col::Pair(pair, PairCol::R)),
    );
    (0..2 * n)
        .map(|j| {
            let uj = f64::from(u[j % n]);
            let (xj, rj, qj) = (pt(&x, j), pt(&r, j), f64::from(q[j]));
            let f = exact(k, uj, xj);
            (uj, xj, [qj * f[0] - rj[0], qj * f[1] - rj[1]])
        })
        .collect()
}

#[test]
fn batch_posterior_targets_keep_the_minimiser_and_cut_the_noise() {
    // The batch-posterior target T has E[T | x] = E[plain target | x] (docs/math.md §3.5), so
    // the exact minimiser's residual is uncorrelated with any function of the input, while its
    // size falls wherever x says little about x1. The rows of one batch share reference samples,
    // so the unbiasedness is judged across independent batches. A plain and a posterior batch
    // drawn with the same seed have the same rows (the posterior draws no random numbers), so
    // the residuals' sizes compare row by row.
    let target = ExactTarget::new(&Target::Checkerboard);
    let sched = Schedule::default();
    let tests: [&dyn Fn(P2) -> f64; 4] = [&|_| 1.0, &|x| x[0], &|x| x[1].sin(), &|x| {
        (x[0] * x[1]).tanh()
    }];
    for obj in [&objectives(&target)[0], &objectives(&target)[3]] {
        let exact = exact_predictor(obj, &sched, &target);
        let draw = |refs, seed| {
            draw_batch(
                obj,
                &sched,
                &target,
                256,
                TimeDraw::uniform(1e-2),
                refs,
                &mut Rng::new(seed),
            )
        };
        let early: &dyn Fn(f64) -> bool = match obj {
            // The largest λ, or the smallest t: inputs far from every target feature.
            Objective::ScheduleFree { .. } => &|u| u > 0.75,
            _ => &|u| u < 0.15,
        };
        for k in 0..obj.nets().len() {
            // Per batch, the mean of residual·φ(input) for each test function and coordinate.
            let mut stats: Vec<[f64; 8]> = Vec::new();
            // Sums of residual² of the plain and posterior targets: all rows, early rows.
            let mut sq = [[0.0f64; 2]; 2];
            for seed in 0..150 {
                let (plain, post) = (draw(0, seed), draw(256, seed));
                let (rp, rq) = (
                    residuals(obj, &plain, &exact, k),
                    residuals(obj, &post, &exact, k),
                );
                let mut st = [0.0; 8];
                for (_, x, e) in &rq {
                    for (m, phi) in tests.iter().enumerate() {
                        for d in 0..2 {
                            st[2 * m + d] += e[d] * phi(*x) / rq.len() as f64;
                        }
                    }
                }
                stats.push(st);
                for (which, r) in [&rp, &rq].into_iter().enumerate() {
                    for (u, _, e) in r {
                        let e2 = e[0] * e[0] + e[1] * e[1];
                        sq[which][0] += e2;
                        if early(*u) {
                            sq[which][1] += e2;
                        }
                    }
                }
            }
            let nb = stats.len() as f64;
            for j in 0..8 {
                let mean = stats.iter().map(|s| s[j]).sum::<f64>() / nb;
                let var = stats.iter().map(|s| (s[j] - mean).powi(2)).sum::<f64>() / (nb - 1.0);
                let se = (var / nb).sqrt();
                assert!(
                    mean.abs() < 4.0 * se,
                    "{} net {k}, φ{} coordinate {}: residual mean {mean} ± {se}",
                    obj.name(),
                    j / 2,
                    j % 2
                );
            }
            let ([all_p, early_p], [all_q, early_q]) = (sq[0], sq[1]);
            assert!(
                all_q < 0.7 * all_p,
                "{} net {k}: residual² {all_q} against the plain {all_p}",
                obj.name()
            );
            assert!(
                early_q < 0.05 * early_p,
                "{} net {k}: early residual² {early_q} against the plain {early_p}",
                obj.name()
            );
        }
    }
}

#[test]
fn the_narrowing_spares_small_lambda_is_floored_at_large_and_absent_from_old_checkpoints() {
    use interplay_nn::objective::{
        NARROW_FLOOR, NARROW_LAMBDA, WEIGHT_POWER, narrowing, precondition,
    };
    for (floor, at_infinity) in [(None, 1.0 / 16.0), (Some(NARROW_FLOOR), 1.0 / 64.0)] {
        let h = |l: f64| narrowing(l, Some(NARROW_LAMBDA), floor);
        // Near the data (λ → 0) D keeps its EDM scale; far from it the scale falls like λ0/λ
        // down to the floor: 1/√M of the plain batch posterior's noise, or a quarter of it
        // with the control variate.
        assert!((h(1e-3) - 1.0).abs() < 3e-3, "{}", h(1e-3));
        let f = floor.unwrap_or(1.0 / 256.0);
        assert!((h(NARROW_LAMBDA) - (f + 0.5f64).sqrt()).abs() < 1e-12);
        assert!((h(1e9) - at_infinity).abs() < 1e-9);
        let grid: Vec<f64> = (0..60)
            .map(|k| h(10f64.powf(-3.0 + 0.1 * f64::from(k))))
            .collect();
        assert!(grid.windows(2).all(|w| w[1] < w[0]), "h falls with λ");
    }
    assert_eq!(narrowing(3.0, None, None), 1.0);
    // A checkpoint written before the narrowing names no λ0 and reads as the EDM scale, with
    // the isotropic skip and unit weights.
    let old: Objective = serde_json::from_str(
        r#"{"kind":"schedule-free","sigma_data":2.3,"log_lambda":[-6.9,5.7]}"#,
    )
    .expect("an old objective parses");
    let Objective::ScheduleFree {
        sigma_data,
        log_lambda,
        narrow,
        floor,
        weight_power,
        moments,
    } = old.clone()
    else {
        panic!("{old:?}")
    };
    assert_eq!(
        (narrow, floor, weight_power, moments),
        (None, None, None, None)
    );
    for (s, b) in [(0.9, 0.1), (0.5, 0.5), (0.05, 0.99)] {
        let (a, c_in, c, u) = precondition(s, b, sigma_data, log_lambda);
        let at = old.sf_at(s, b).expect("schedule-free");
        assert_eq!(at.skip.scalar(), Some(a));
        assert_eq!((at.c_in, at.c_out, at.u, at.weight), (c_in, c, u, 1.0));
    }
    // One narrowed before the floor and the moments (the shipped checkpoint's kind) keeps the
    // floor 1/M, the isotropic skip and the weight h.
    let mid: Objective = serde_json::from_str(
        r#"{"kind":"schedule-free","sigma_data":2.3,"log_lambda":[-6.9,5.7],"narrow":0.5}"#,
    )
    .expect("parses");
    let at = mid.sf_at(9.5, 1.0).expect("schedule-free");
    let h = narrowing(9.5, Some(0.5), None);
    assert!((at.weight - h).abs() < 1e-15 && at.skip.scalar().is_some());
    assert!((h * h - (1.0 / 256.0 + 1.0 / (1.0 + 19.0f64.powi(2)))).abs() < 1e-15);
    // The new default narrows to the lower floor, weights rows by h^p, skips with the
    // target's moments, and says so in what it saves.
    let new = Objective::of(
        ObjectiveKind::ScheduleFree,
        &ExactTarget::new(&Target::Checkerboard),
    )
    .expect("known");
    let json = serde_json::to_string(&new).expect("json");
    for key in [
        "\"narrow\":0.5",
        "\"floor\":",
        "\"weight_power\":",
        "\"moments\":",
    ] {
        assert!(json.contains(key), "{key} in {json}");
    }
    let at = new.sf_at(9.5, 1.0).expect("schedule-free");
    let h = narrowing(9.5, Some(0.5), Some(NARROW_FLOOR));
    assert!((at.weight - h.powf(WEIGHT_POWER)).abs() < 1e-15);
    assert!(
        at.skip.scalar().is_none(),
        "the checkerboard's skip has its covariance"
    );
    // Trained on plain sample targets (no batch posterior, so no control variate), it keeps
    // the floor 1/M and the weight h, and the moments' skip.
    assert_eq!(new.clone().for_refs(256), new);
    let plain = new
        .clone()
        .for_refs(0)
        .sf_at(9.5, 1.0)
        .expect("schedule-free");
    let h = narrowing(9.5, Some(0.5), None);
    assert!((plain.weight - h).abs() < 1e-15 && plain.skip == at.skip);
}
