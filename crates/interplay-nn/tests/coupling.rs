//! Minibatch optimal-transport couplings: what they need (the denoiser objective, γ > 0) and
//! what they buy (a learned flow whose map moves the mass less far than the independent one's).
#![allow(clippy::disallowed_methods)]

mod common;

use common::{cpu, read2};
use interplay_core::ObjectiveKind;
use interplay_core::integrate::{OdeSolver, Span};
use interplay_core::sampling::initial_particles;
use interplay_core::{ExactTarget, GammaFamily, Schedule, Target};
use interplay_nn::coupling::{Coupling, transport_cost};
use interplay_nn::few_step::{FEW_STEPS, STRAIGHTNESS_STEPS, few_step, straightness};
use interplay_nn::net::NetConfig;
use interplay_nn::sampler::{ode, points_tensor};
use interplay_nn::trainer::{LrDecay, TrainConfig, Trainer};

fn config(coupling: Coupling) -> TrainConfig {
    TrainConfig {
        objective: ObjectiveKind::Denoiser,
        net: NetConfig {
            width: 64,
            depth: 2,
            spatial: 0,
            ..NetConfig::default()
        },
        batch: 256,
        lr: 3e-3,
        decay: LrDecay::Constant,
        seed: 5,
        coupling,
        ..TrainConfig::default()
    }
}

#[test]
fn ot_needs_the_denoiser_and_noise_and_says_why() {
    let e = TrainConfig {
        objective: ObjectiveKind::VelocityScore,
        ..config(Coupling::Ot)
    }
    .validate()
    .expect_err("refused");
    assert!(
        e.starts_with("coupling 'ot' pairs x0 with x1") && e.contains("use the denoiser"),
        "{e}"
    );
    let quiet = Schedule {
        gamma: GammaFamily::Zero,
        ..Schedule::default()
    };
    let e = Trainer::new(config(Coupling::Ot), quiet, Target::Gmm, &cpu())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("minibatch OT needs γ > 0"), "{e}");
}

#[test]
fn an_ot_coupled_flow_moves_the_mass_less_far_on_straighter_paths() {
    let schedule = Schedule::default();
    let target = Target::Gmm;
    let exact = ExactTarget::new(&target);
    let x0 = initial_particles(&schedule, &exact, 2000, 9);
    let (mut cost, mut straight, mut few) = (Vec::new(), Vec::new(), Vec::new());
    for coupling in [Coupling::Independent, Coupling::Ot] {
        let mut tr =
            Trainer::new(config(coupling), schedule, target.clone(), &cpu()).expect("trainer");
        for _ in 0..400 {
            tr.step();
        }
        let field = tr.field();
        let span = Span::new(0.0, 1.0 - 1e-3, 40);
        let (x1, _) = ode(&field, points_tensor(&x0, &cpu()), span, OdeSolver::Rk4);
        let x1 = read2(x1);
        assert!(x1.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
        cost.push(transport_cost(&x0, &x1) / x0.len() as f64);
        let s = pollster::block_on(straightness(&field, &x0, STRAIGHTNESS_STEPS))
            .expect("straightness");
        assert_eq!(s.t_end, 1.0);
        // The Euler sums obey Cauchy–Schwarz: kinetic ≥ cost.
        assert!(s.kinetic >= s.cost - 1e-4, "{s:?}");
        straight.push(s);
        let f = pollster::block_on(few_step(&field, &exact, &x0, &FEW_STEPS)).expect("few");
        assert_eq!(f.iter().map(|r| r.steps).collect::<Vec<_>>(), FEW_STEPS);
        few.push(f);
    }
    // Seeded: 4.37 against 4.26 (the marginal flow of independent pairs is already close to a
    // monotone map in the plane; the coupling's gain is modest here: 2.5 % with these batches,
    // 5.6 % with the batches of the earlier sequential draw).
    eprintln!("E|X1 − X0|²: independent {}, OT {}", cost[0], cost[1]);
    eprintln!("straightness: {straight:?}");
    eprintln!("few-step: {few:?}");
    assert!(cost[1] < 0.99 * cost[0], "{cost:?}");
    // Straighter paths: the kinetic energy's excess over the cost shrinks, and one or two Euler
    // steps land closer to the target.
    assert!(straight[1].gap() < 0.7 * straight[0].gap(), "{straight:?}");
    assert!(
        few[1][0].tv < few[0][0].tv && few[1][1].tv < few[0][1].tv,
        "{few:?}"
    );
}
