//! The learned flow map: its network's t-derivative against finite differences, the evaluation
//! against the exact map (exact for a Gaussian target, where the stand-in is the whole map),
//! checkpoints that round-trip and refuse other kinds by name, and a short run whose one jump
//! beats one Euler step of a velocity by a wide margin.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{cpu, now, read2};
use interplay_core::sampling::streams;
use interplay_core::{ExactField, ObjectiveKind, Rng, Schedule, Target};
use interplay_nn::flow_map::eval::{few_step, grid_errors, tangent_errors};
use interplay_nn::flow_map::field::END;
use interplay_nn::flow_map::gauss::GaussMap;
use interplay_nn::flow_map::net::{MapNet, shapes};
use interplay_nn::flow_map::{Distill, MapCheckpoint, MapField, MapTrainer};
use interplay_nn::net::NetConfig;
use interplay_nn::sampler::points_tensor;
use interplay_nn::trainer::{LrDecay, TrainConfig};
use interplay_nn::{Checkpoint, NnError};

fn config(steps: u64, batch: usize) -> TrainConfig {
    TrainConfig {
        objective: ObjectiveKind::FlowMap,
        batch,
        lr: 1e-2,
        decay: LrDecay::Cosine {
            steps,
            min_ratio: 0.02,
        },
        t_power: 1.0,
        ..TrainConfig::default()
    }
}

fn st(s: f64, t: f64, n: usize) -> burn::tensor::Tensor<2> {
    let v: Vec<[f64; 2]> = vec![[s, t]; n];
    points_tensor(&v, &cpu())
}

#[test]
fn the_networks_t_derivative_is_the_finite_difference_of_its_values() {
    let net = MapNet::init(&NetConfig::default(), &cpu(), &mut Rng::new(7));
    let xs = [[0.3, -1.2], [2.5, 0.7], [-3.1, -2.2]];
    let x = points_tensor(&xs, &cpu());
    for (s, t) in [(0.0, 0.4), (0.2, 0.9), (0.5, 0.5)] {
        let (f, df) = net.forward_dt(st(s, t, 3), x.clone());
        assert_eq!(read2(f), read2(net.forward(st(s, t, 3), x.clone())));
        let h = 1e-3;
        let up = read2(net.forward(st(s, t + h, 3), x.clone()));
        let down = read2(net.forward(st(s, t - h, 3), x.clone()));
        for (i, d) in read2(df).iter().enumerate() {
            for k in 0..2 {
                let fd = (up[i][k] - down[i][k]) / (2.0 * h);
                assert!(
                    (fd - d[k]).abs() < 2e-3 * (1.0 + d[k].abs()),
                    "({s}, {t}) row {i}: {fd} vs {}",
                    d[k]
                );
            }
        }
    }
}

/// A map network whose output is zero: the learned map is then the Gaussian stand-in's.
fn zero_map(net: &NetConfig) -> MapNet {
    let mut rng = Rng::new(1);
    let sh = shapes(net);
    let params: Vec<Vec<f32>> = sh
        .iter()
        .enumerate()
        .flat_map(|(k, &(i, o))| {
            let last = k + 1 == sh.len();
            let mut draw = |len: usize| -> Vec<f32> {
                (0..len)
                    .map(|_| {
                        if last {
                            0.0
                        } else {
                            (rng.uniform() - 0.5) as f32
                        }
                    })
                    .collect()
            };
            [draw(i * o), draw(o)]
        })
        .collect();
    MapNet::from_params(net, &params, &cpu()).expect("shapes")
}

#[test]
fn a_gaussian_targets_map_is_its_stand_in_and_the_evaluation_says_so() {
    // One tube of a drawing is an isotropic Gaussian: its stand-in is its exact flow map, so a
    // map with a zero residual must agree with the exact ODE solve to the solver's accuracy,
    // cell by cell and in its tangent.
    let target = Target::Drawn(vec![[1.5, -0.5]]);
    let exact_target = interplay_core::ExactTarget::new(&target);
    for schedule in [
        Schedule::default(),
        Schedule::preset(interplay_core::Path::OneSidedTrig),
    ] {
        let exact = ExactField::new(schedule, &target);
        let map = MapField::new(
            zero_map(&NetConfig::default()),
            GaussMap::new(schedule, &exact_target),
            schedule,
            cpu(),
        );
        let grid = [0.0, 0.3, 0.7, END];
        let cells = now(grid_errors(&map, &exact, &grid, 500, 3)).expect("grid");
        assert_eq!(cells.len(), 6, "every s < t of the grid");
        for c in &cells {
            assert!(
                c.moved > 0.05,
                "the cell ({}, {}) moves the points",
                c.s,
                c.t
            );
            // f32 on the device: a few 1e-6 of the points' scale.
            assert!(
                c.error < 2e-5 * (1.0 + c.moved) * 10.0,
                "({}, {}): {}",
                c.s,
                c.t,
                c.error
            );
        }
        for e in now(tangent_errors(&map, &exact, &[0.1, 0.5, 0.9], 500, 3)).expect("tangent") {
            assert!(
                e.error < 1e-4 * (1.0 + e.speed),
                "t {}: {} (speed {})",
                e.t,
                e.error,
                e.speed
            );
        }
    }
    // And a non-Gaussian target is not: the same zero residual is far from the checkerboard's map.
    let schedule = Schedule::default();
    let exact = ExactField::new(schedule, &Target::Checkerboard);
    let map = MapField::new(
        zero_map(&NetConfig::default()),
        GaussMap::new(schedule, exact.target()),
        schedule,
        cpu(),
    );
    let cells = now(grid_errors(&map, &exact, &[0.0, END], 500, 3)).expect("grid");
    assert!(cells[0].error > 0.3, "{}", cells[0].error);
}

#[test]
fn checkpoints_round_trip_and_refuse_other_kinds_by_name() {
    let cfg = TrainConfig {
        net: NetConfig {
            width: 16,
            depth: 2,
            fourier: 1,
            spatial: 2,
            ..NetConfig::default()
        },
        ..config(3, 64)
    };
    let mut trainer = MapTrainer::new(
        cfg,
        Distill::Lagrangian,
        Schedule::default(),
        Target::Gmm,
        &cpu(),
    )
    .expect("trainer");
    for _ in 0..3 {
        trainer.step();
    }
    let ck = now(trainer.checkpoint()).expect("checkpoint");
    let bytes = ck.to_bytes();
    assert!(bytes.starts_with(b"IPLYFMAP"));
    let back = MapCheckpoint::from_bytes(&bytes).expect("round trip");
    assert_eq!(back, ck);
    assert_eq!(back.header.steps, 3);
    // The same samples from the saved map as from the trainer's.
    let x = points_tensor(&[[0.1, 0.2], [-1.0, 2.0]], &cpu());
    let a = read2(trainer.field().sample(x.clone(), 2));
    let b = read2(back.field(&cpu()).expect("field").sample(x, 2));
    assert_eq!(a, b);
    // A velocity model's loader refuses a map, and the other way round, each naming its kind.
    let why = |r: Result<Checkpoint, NnError>| r.expect_err("refused").to_string();
    assert!(why(Checkpoint::from_bytes(&bytes)).contains("not an Interplay checkpoint"));
    let e = MapCheckpoint::from_bytes(b"IPLYCKPT\x01\x00\x00\x00").expect_err("refused");
    assert!(e.to_string().contains("not a flow-map checkpoint"), "{e}");
    // Truncated and corrupted maps are refused with a reason.
    let e = MapCheckpoint::from_bytes(&bytes[..bytes.len() - 9]).expect_err("truncated");
    assert!(e.to_string().contains("truncated"), "{e}");
    let mut bad = bytes.clone();
    let at = bad.len() - 6;
    bad[at] ^= 0x40;
    let e = MapCheckpoint::from_bytes(&bad).expect_err("corrupted");
    assert!(e.to_string().contains("checksum"), "{e}");
}

#[test]
fn the_trainer_refuses_what_a_map_cannot_learn() {
    let refuse = |cfg: TrainConfig, target: Target| {
        MapTrainer::new(
            cfg,
            Distill::Lagrangian,
            Schedule::default(),
            target,
            &cpu(),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
    };
    assert!(refuse(config(1, 64), Target::Line("gmm".into())).contains("in the plane"));
    assert!(refuse(config(1, 1), Target::Gmm).contains("at least 2"));
    let ot = TrainConfig {
        coupling: interplay_nn::coupling::Coupling::Ot,
        objective: ObjectiveKind::Denoiser,
        ..config(1, 64)
    };
    assert!(refuse(ot, Target::Gmm).contains("independent"));
}

#[test]
fn a_short_run_jumps_in_one_step_far_better_than_one_euler_step() {
    // 600 steps of batch 512 (seconds) on the one-sided linear path (rectified flow, the flow
    // maps' usual interpolant): the map's one jump against one Euler step of its own velocity
    // v̂_{t,t}, a flow-matching velocity trained on the same rows, from the same starts.
    let steps = 600;
    let schedule = Schedule::preset(interplay_core::Path::OneSidedLinear);
    let mut trainer = MapTrainer::new(
        config(steps, 512),
        Distill::Lagrangian,
        schedule,
        Target::Checkerboard,
        &cpu(),
    )
    .expect("trainer");
    for _ in 0..steps {
        trainer.step();
    }
    let map = trainer.field();
    let exact = ExactField::new(schedule, &Target::Checkerboard);
    let rows = now(few_step(&map, &exact, &[1], 4000, streams::FLOW_MAP_SEED)).expect("few step");
    let one = &rows[0];
    eprintln!(
        "one jump {:.3} in the squares, TV {:.3}; one Euler step {:.3}, TV {:.3}",
        one.map.in_support, one.map.tv, one.euler.in_support, one.euler.tv
    );
    assert!(one.map.in_support > one.euler.in_support + 0.2, "{one:?}");
    assert!(one.map.tv < one.euler.tv - 0.4, "{one:?}");
}

#[test]
fn a_k_jump_sampler_goes_from_the_start_to_the_end_in_shorter_jumps_towards_t_1() {
    let schedule = Schedule::default();
    let exact = ExactField::new(schedule, &Target::Gmm);
    let map = MapField::new(
        zero_map(&NetConfig::default()),
        GaussMap::new(schedule, exact.target()),
        schedule,
        cpu(),
    );
    assert_eq!(map.grid(1), vec![0.0, END]);
    for k in [2, 4, 8] {
        let g = map.grid(k);
        assert_eq!(g.len(), k + 1);
        assert_eq!((g[0], g[k]), (0.0, END));
        let jumps: Vec<f64> = g.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(jumps.windows(2).all(|j| j[1] < j[0]), "k {k}: {jumps:?}");
    }
    // With a zero residual the map is the stand-in's, a flow: K jumps compose to the one jump,
    // whatever the grid.
    let x = points_tensor(&[[0.4, -0.9], [1.7, 2.2]], &cpu());
    let one = read2(map.sample(x.clone(), 1));
    let eight = read2(map.sample(x, 8));
    for (a, b) in one.iter().zip(&eight) {
        assert!(
            (a[0] - b[0]).abs() < 1e-4 && (a[1] - b[1]).abs() < 1e-4,
            "{a:?} vs {b:?}"
        );
    }
}

#[test]
fn pairs_stay_ordered_and_the_warp_draws_more_of_them_near_t_1() {
    use interplay_nn::batch::TimeDraw;
    use interplay_nn::flow_map::train::draw_pair;
    let late = |power: f64| {
        let times = TimeDraw { t_min: 1e-3, power };
        let mut rng = Rng::new(3);
        let n = 20_000;
        let mut late = 0;
        for _ in 0..n {
            let (s, t) = draw_pair(&mut rng, 0.0, &times);
            assert!((0.0..END).contains(&s) && s < t && t <= END, "({s}, {t})");
            late += usize::from(s > 0.875);
        }
        late as f64 / n as f64
    };
    // Uniform on the triangle, the pairs with s > 7/8 are (1/8)² of it; warped with p = 2, s > 7/8
    // where the unwarped s > 1 − √(1/8), (√(1/8))² = 1/8 of the triangle.
    assert!((late(1.0) - 1.0 / 64.0).abs() < 0.004, "{}", late(1.0));
    assert!((late(2.0) - 1.0 / 8.0).abs() < 0.01, "{}", late(2.0));
    // The defaults: p = 2, but uniform for the flow map on a path with a latent γ.
    use interplay_nn::trainer::default_t_power;
    assert_eq!(default_t_power(ObjectiveKind::FlowMap, true), 1.0);
    assert_eq!(default_t_power(ObjectiveKind::FlowMap, false), 2.0);
    assert_eq!(default_t_power(ObjectiveKind::VelocityScore, true), 2.0);
}
