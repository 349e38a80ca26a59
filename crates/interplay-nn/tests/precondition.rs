//! Preconditioned b and s: the fields are affine in their networks with the closed-form
//! coefficients, their divergence is exact, the mirror path trains them raw; the field errors
//! are zero for the exact field; the live learning-rate schedule.
#![allow(clippy::disallowed_methods)]

mod common;

use burn::tensor::{Device, Tensor};
use common::{cpu, now, read2};
use interplay_core::ObjectiveKind;
use interplay_core::posterior::identity;
use interplay_core::{ExactField, ExactTarget, P2, Path, Rng, Schedule, ScheduleAt, Target};
use interplay_nn::LearnedField;
use interplay_nn::field::{DeviceField, FieldOut};
use interplay_nn::net::NetConfig;
use interplay_nn::objective::{Objective, bs_precondition};
use interplay_nn::quality::{BOUND_T_END, ERROR_TIMES, eps_bound, field_errors};
use interplay_nn::sampler::points_tensor;
use interplay_nn::trainer::{LrDecay, TrainConfig, Trainer};

fn preconditioned() -> Objective {
    Objective::of(
        ObjectiveKind::VelocityScore,
        &ExactTarget::new(&Target::Checkerboard),
    )
    .expect("known")
}

#[test]
fn the_preconditioned_fields_are_b_and_s_of_the_networks_g1() {
    // With g1 = a·x + c·F (the EDM form), b = A_b x + K_b F and s = A_s x + K_s F must be
    // exactly the Gaussian-base identities b(g1), s(g1) for any F: check with arbitrary F.
    let Objective::VelocityScore {
        sigma_data: Some(sd),
    } = preconditioned()
    else {
        panic!("velocity-score is preconditioned for a Gaussian base")
    };
    let mut rng = Rng::new(4);
    for path in [Path::Linear, Path::Trig, Path::OneSidedLinear, Path::Vp] {
        let sched = Schedule::preset(path);
        for _ in 0..40 {
            let t = 0.01 + 0.98 * rng.uniform();
            let st = sched.at(t);
            let p = bs_precondition(&st, sd);
            let (x, f) = (rng.normal2().map(|v| 2.0 * v), rng.normal2());
            let (a, _, c, _) = interplay_nn::objective::precondition(
                st.sigma2().sqrt(),
                st.beta,
                sd,
                (1e-3f64.ln(), 300f64.ln()),
            );
            let g1 = [0, 1].map(|d| a * x[d] + c * f[d]);
            let s = identity::score(&st, x, g1);
            let b = identity::velocity(&st, g1, s);
            for d in 0..2 {
                let bb = p.a_b * x[d] + p.k_b * f[d];
                let ss = p.a_s * x[d] + p.k_s * f[d];
                assert!(
                    (bb - b[d]).abs() < 1e-9 * (1.0 + b[d].abs()),
                    "{path:?} t={t}: b"
                );
                assert!(
                    (ss - s[d]).abs() < 1e-9 * (1.0 + s[d].abs()),
                    "{path:?} t={t}: s"
                );
            }
        }
    }
}

fn learned(objective: Objective, sched: Schedule) -> LearnedField {
    let cfg = NetConfig {
        width: 24,
        depth: 2,
        ..NetConfig::default()
    };
    let mut rng = Rng::new(11);
    let nets = (0..2).map(|_| cfg.init(&cpu(), &mut rng)).collect();
    LearnedField::new(objective, sched, nets, cpu())
}

#[test]
fn the_learned_field_applies_the_affine_map_and_its_divergence_is_exact() {
    let sched = Schedule::default();
    let field = learned(preconditioned(), sched);
    let xs: Vec<P2> = Rng::new(2).normals(50);
    // Finite at both ends, where σ or β vanish (t = 1 is reachable from `interplay field`).
    for t in [0.0, 1.0] {
        let out = field.eval(t, points_tensor(&xs, &cpu()), true);
        let (b, s) = (read2(out.b), read2(out.s));
        assert!(b.iter().chain(&s).flatten().all(|v| v.is_finite()), "t={t}");
    }
    for t in [0.05, 0.5, 0.95] {
        let st = sched.at(t);
        let out = field.eval(t, points_tensor(&xs, &cpu()), true);
        let (b, s) = (read2(out.b.clone()), read2(out.s));
        for (k, got) in [(0, &b), (1, &s)] {
            let aff = field.objective.affine(k, &st);
            assert!(!aff.is_identity());
            let u = Tensor::<2>::full([xs.len(), 1], t, &cpu());
            let raw = read2(field.nets()[k].forward(u, points_tensor(&xs, &cpu()) * aff.c_in));
            for ((x, f), g) in xs.iter().zip(&raw).zip(got.iter()) {
                for d in 0..2 {
                    let want = aff.skip * x[d] + aff.scale * f[d];
                    assert!(
                        (want - g[d]).abs() < 1e-4 * (1.0 + want.abs()),
                        "t={t} net {k}"
                    );
                }
            }
        }
        // ∇·b by central differences of b.
        let div: Vec<f32> = out
            .div_b
            .expect("asked for")
            .into_data()
            .try_to_vec()
            .expect("f32");
        let h = 1e-2;
        let b_at = |pts: Vec<P2>| read2(field.eval(t, points_tensor(&pts, &cpu()), false).b);
        let shift = |d: usize, e: f64| -> Vec<P2> {
            xs.iter()
                .map(|x| {
                    let mut y = *x;
                    y[d] += e;
                    y
                })
                .collect()
        };
        let mut fd = vec![0.0; xs.len()];
        for d in 0..2 {
            let (p, m) = (b_at(shift(d, h)), b_at(shift(d, -h)));
            for i in 0..xs.len() {
                fd[i] += (p[i][d] - m[i][d]) / (2.0 * h);
            }
        }
        for i in 0..xs.len() {
            let tol = 2e-2 * (1.0 + fd[i].abs());
            assert!(
                (fd[i] - f64::from(div[i])).abs() < tol,
                "t={t}: {} vs {}",
                fd[i],
                div[i]
            );
        }
    }
}

#[test]
fn the_mirror_path_trains_raw_b_and_s() {
    let cfg = TrainConfig {
        net: NetConfig {
            width: 8,
            depth: 1,
            ..NetConfig::default()
        },
        ..TrainConfig::live(ObjectiveKind::VelocityScore)
    };
    let mirror = Schedule::preset(Path::Mirror);
    let tr = Trainer::new(cfg.clone(), mirror, Target::Checkerboard, &cpu()).expect("trainer");
    assert_eq!(tr.objective, Objective::VelocityScore { sigma_data: None });
    let tr = Trainer::new(cfg, Schedule::default(), Target::Checkerboard, &cpu()).expect("trainer");
    assert!(matches!(
        tr.objective,
        Objective::VelocityScore {
            sigma_data: Some(_)
        }
    ));
    // Checkpoints written before preconditioning existed read as raw b and s.
    let old: Objective = serde_json::from_str(r#"{"kind":"velocity-score"}"#).expect("parses");
    assert_eq!(old, Objective::VelocityScore { sigma_data: None });
}

/// The exact field as a device field, optionally with b scaled.
struct Exact(ExactField, f64);

impl DeviceField for Exact {
    fn device(&self) -> Device {
        cpu()
    }
    fn schedule_at(&self, t: f64) -> ScheduleAt {
        self.0.schedule().at(t)
    }
    fn eval(&self, t: f64, x: Tensor<2>, _want_div: bool) -> FieldOut {
        let at = self.0.at(t);
        let (b, s): (Vec<P2>, Vec<P2>) = read2(x).iter().map(|x| at.velocity_score(*x)).unzip();
        let b: Vec<P2> = b.iter().map(|v| v.map(|c| c * self.1)).collect();
        FieldOut {
            b: points_tensor(&b, &cpu()),
            s: points_tensor(&s, &cpu()),
            div_b: None,
        }
    }
}

#[test]
fn field_errors_are_relative_l2_against_the_exact_field() {
    let exact = ExactField::new(Schedule::default(), &Target::Checkerboard);
    let e = now(field_errors(
        &Exact(exact.clone(), 1.0),
        &exact,
        &ERROR_TIMES,
        500,
        3,
    ))
    .expect("errors");
    assert_eq!(e.len(), 5);
    assert!(e.iter().all(|e| e.b < 1e-5 && e.s < 1e-5), "{e:?}");
    let e = now(field_errors(
        &Exact(exact.clone(), 1.1),
        &exact,
        &[0.3, 0.7],
        500,
        3,
    ))
    .expect("errors");
    assert!(
        e.iter().all(|e| (e.b - 0.1).abs() < 1e-5 && e.s < 1e-5),
        "{e:?}"
    );
}

#[test]
fn the_live_rate_warms_up_then_decays_with_the_steps_trained() {
    let cfg = TrainConfig {
        lr: 0.01,
        warmup: 10,
        decay: LrDecay::Power {
            steps: 100,
            power: 0.5,
        },
        ..TrainConfig::live(ObjectiveKind::ScheduleFree)
    };
    assert!((cfg.lr_at(0) - 0.001 / (1.0f64 + 0.0).sqrt()).abs() < 1e-12);
    assert!((cfg.lr_at(4) - 0.005 / (1.04f64).sqrt()).abs() < 1e-12);
    assert!((cfg.lr_at(300) - 0.01 / 4.0f64.sqrt()).abs() < 1e-12);
    let cosine = TrainConfig {
        warmup: 0,
        decay: LrDecay::Cosine {
            steps: 100,
            min_ratio: 0.1,
        },
        ..cfg
    };
    assert!((cosine.lr_at(0) - 0.01).abs() < 1e-12);
    assert!((cosine.lr_at(50) - 0.0055).abs() < 1e-12);
    assert!((cosine.lr_at(500) - 0.001).abs() < 1e-12);
    let inverse = TrainConfig {
        decay: LrDecay::Power {
            steps: 50,
            power: 1.0,
        },
        ..cosine
    };
    assert!((inverse.lr_at(150) - 0.0025).abs() < 1e-12);
}

#[test]
fn the_eps_bound_weighs_the_velocity_error_against_the_score_error() {
    let exact = ExactField::new(Schedule::default(), &Target::Gmm);
    // Exact fields: no error at any ε.
    let zero = now(eps_bound(&Exact(exact.clone(), 1.0), &exact, 300, 2)).expect("bound");
    assert!(
        zero.a < 1e-9 && zero.c < 1e-9 && zero.b.abs() < 1e-9,
        "{zero:?}"
    );
    // b 10 % too large, s exact: A = 0.01·∫E|b|², nothing else, so the bound falls as 1/ε.
    let bound = now(eps_bound(&Exact(exact.clone(), 1.1), &exact, 300, 2)).expect("bound");
    let dt = BOUND_T_END / 24.0;
    let mut want = 0.0;
    for k in 0..24 {
        let t = (k as f64 + 0.5) * dt;
        let pts = interplay_core::sampling::interpolant_samples(
            exact.schedule(),
            exact.target(),
            t,
            300,
            2 + k,
        );
        let at = exact.at(t);
        want += dt
            * pts
                .iter()
                .map(|x| {
                    let b = at.velocity(*x);
                    0.01 * (b[0] * b[0] + b[1] * b[1])
                })
                .sum::<f64>()
            / 300.0;
    }
    assert!(
        (bound.a - want).abs() < 1e-4 * want,
        "{} against {want}",
        bound.a
    );
    assert!(bound.c < 1e-9 && bound.best() > 1e3, "{bound:?}");
    assert!((bound.kl(2.0) - bound.a / 8.0).abs() < 1e-9);
    // A score error as well: the minimum of A/(4ε) + B/2 + εC/4 is at √(A/C).
    let mixed = interplay_nn::quality::EpsBound {
        a: 0.4,
        b: 0.05,
        c: 0.1,
        t_end: BOUND_T_END,
    };
    let best = mixed.best();
    assert!((best - 2.0).abs() < 1e-12);
    assert!(mixed.kl(best) < mixed.kl(best * 1.1) && mixed.kl(best) < mixed.kl(best / 1.1));
}
