//! Training on the CPU backend: losses fall, the learned field approaches the exact one, and
//! checkpoints round-trip bit for bit and reject bad input with a reason.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{cpu, now, read1, read2};
use interplay_core::ObjectiveKind;
use interplay_core::sampling::interpolant_samples;
use interplay_core::{ExactField, ExactTarget, P2, Path, Rng, Schedule, Target};
use interplay_nn::batch::draw_batch;
use interplay_nn::checkpoint::{Checkpoint, FORMAT_VERSION, Header};
use interplay_nn::field::DeviceField;
use interplay_nn::net::NetConfig;
use interplay_nn::sampler::points_tensor;
use interplay_nn::trainer::{LrDecay, TrainConfig, Trainer, tensor_losses};

fn small(objective: &str, seed: u64) -> TrainConfig {
    TrainConfig {
        objective: ObjectiveKind::parse(objective).expect("an objective"),
        net: NetConfig {
            width: 48,
            depth: 2,
            ..NetConfig::default()
        },
        batch: 256,
        lr: 3e-3,
        decay: LrDecay::Constant,
        t_min: 1e-3,
        seed,
        ema: 0.0,
        warmup: 0,
        t_power: 1.0,
        posterior_refs: 0,
        coupling: interplay_nn::coupling::Coupling::Independent,
        weight_anneal: 0,
    }
}

/// ½E|f̂ − f*|² over t ∈ [0.1, 0.9] and x ~ ρ(t) (an excess loss, docs/math.md §3.4) for the field
/// an
/// objective learns most directly: b for the velocity objectives, g1 = E[x1 | x_t] for the
/// denoising ones (whose b carries an extra factor σσ̇β/σ² of their error).
fn excess(trainer: &Trainer) -> f64 {
    let field = trainer.field();
    let exact = ExactField::new(trainer.schedule, &trainer.target);
    let target = ExactTarget::new(&trainer.target);
    let mut total = 0.0;
    let ts = [0.1, 0.3, 0.5, 0.7, 0.9];
    for (k, &t) in ts.iter().enumerate() {
        let xs = interpolant_samples(&trainer.schedule, &target, t, 400, 77 + k as u64);
        let direct_b = matches!(trainer.objective.name(), "velocity-score" | "v-score");
        let pts = points_tensor(&xs, &cpu());
        let learned = read2(if direct_b {
            field.eval(t, pts, false).b
        } else {
            field.posterior_mean(t, pts)
        });
        let at = exact.at(t);
        total += xs
            .iter()
            .zip(&learned)
            .map(|(x, b)| {
                let e = if direct_b { at.velocity(*x) } else { at.g1(*x) };
                0.5 * ((b[0] - e[0]).powi(2) + (b[1] - e[1]).powi(2))
            })
            .sum::<f64>()
            / xs.len() as f64;
    }
    total / ts.len() as f64
}

/// Each network's loss on one fixed batch of 4096 triples (the same before and after training).
fn fixed_batch_loss(tr: &Trainer) -> Vec<f64> {
    let exact = ExactTarget::new(&tr.target);
    let batch = draw_batch(
        &tr.objective,
        &tr.schedule,
        &exact,
        4096,
        interplay_nn::batch::TimeDraw::uniform(1e-3),
        0,
        &mut Rng::new(1234),
    );
    let nets = tr.model();
    tensor_losses(&tr.objective, &nets, &batch, &cpu())
        .into_iter()
        .map(read1)
        .collect()
}

#[test]
fn every_objective_lowers_its_loss_and_approaches_the_exact_field() {
    for objective in ["velocity-score", "v-score", "denoiser", "schedule-free"] {
        let mut tr = Trainer::new(
            small(objective, 1),
            Schedule::default(),
            Target::Checkerboard,
            &cpu(),
        )
        .expect("trainer");
        let (excess0, loss0) = (excess(&tr), fixed_batch_loss(&tr));
        for _ in 0..300 {
            let l = tr.step();
            assert!(
                l.losses.into_iter().map(read1).all(f64::is_finite),
                "{objective}: non-finite loss"
            );
        }
        assert_eq!(tr.steps(), 300);
        let (excess1, loss1) = (excess(&tr), fixed_batch_loss(&tr));
        for (k, (a, b)) in loss0.iter().zip(&loss1).enumerate() {
            assert!(
                b < a,
                "{objective} net {k}: loss on a fixed batch {a:.4} → {b:.4}"
            );
        }
        assert!(
            excess1 < 0.8 * excess0,
            "{objective}: excess loss against the exact field {excess0:.4} → {excess1:.4}"
        );
    }
}

#[test]
fn checkpoints_round_trip_bit_for_bit() {
    let mut tr = Trainer::new(
        small("velocity-score", 2),
        Schedule::preset(Path::Trig),
        Target::Gmm,
        &cpu(),
    )
    .expect("trainer");
    for _ in 0..5 {
        tr.step();
    }
    let ck = now(Checkpoint::of(Header::of(&tr), &tr.model())).expect("read params");
    let bytes = ck.to_bytes();
    let back = Checkpoint::from_bytes(&bytes).expect("decodes");
    assert_eq!(back, ck);
    assert_eq!(back.to_bytes(), bytes, "re-encoding gives the same bytes");
    // The loaded networks compute exactly what the trained ones do.
    let field = back.field(&cpu()).expect("field");
    let xs: Vec<P2> = Rng::new(1).normals(64);
    for t in [0.2, 0.8] {
        let (a, b) = (
            field.eval(t, points_tensor(&xs, &cpu()), false),
            tr.field().eval(t, points_tensor(&xs, &cpu()), false),
        );
        assert_eq!(read2(a.b), read2(b.b));
        assert_eq!(read2(a.s), read2(b.s));
    }
    assert_eq!(
        back.header.schedule.schedule().expect("schedule"),
        Schedule::preset(Path::Trig)
    );
    assert_eq!(back.header.target.target().expect("target"), Target::Gmm);
}

#[test]
fn bad_checkpoints_are_refused_with_a_reason() {
    let tr = Trainer::new(
        small("schedule-free", 3),
        Schedule::default(),
        Target::Checkerboard,
        &cpu(),
    )
    .expect("trainer");
    let bytes = now(Checkpoint::of(Header::of(&tr), &tr.model()))
        .expect("params")
        .to_bytes();
    let msg = |b: &[u8]| {
        Checkpoint::from_bytes(b)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    // Every truncation fails cleanly (no panic) and says so.
    for len in (0..bytes.len())
        .step_by(97)
        .chain([bytes.len() - 1, 7, 8, 12, 15, 16])
    {
        let m = msg(&bytes[..len]);
        assert!(
            m.contains("truncated")
                || m.contains("not an Interplay checkpoint")
                || m.contains("malformed"),
            "len {len}: {m}"
        );
    }
    assert!(msg(b"PK\x03\x04 a zip file").contains("not an Interplay checkpoint"));
    let mut v = bytes.clone();
    v[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    assert!(
        msg(&v).contains(&format!("version {}", FORMAT_VERSION + 1)),
        "{}",
        msg(&v)
    );
    let mut v = bytes.clone();
    let last = v.len() - 10;
    v[last] ^= 0x40;
    assert!(msg(&v).contains("checksum"), "{}", msg(&v));
    let mut v = bytes.clone();
    v.push(0);
    assert!(msg(&v).contains("unexpected"), "{}", msg(&v));
    // A header that claims another architecture than the parameters fit.
    let mut ck = Checkpoint::from_bytes(&bytes).expect("ok");
    ck.header.net.width = 64;
    assert!(
        msg(&ck.to_bytes()).contains("parameters"),
        "{}",
        msg(&ck.to_bytes())
    );
    // Loading into an expected architecture names both.
    let ck = Checkpoint::from_bytes(&bytes).expect("ok");
    let want = NetConfig {
        width: 256,
        ..ck.header.net.clone()
    };
    let e = ck
        .expect_architecture(&want)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("2×48") && e.contains("2×256") || e.contains("48") && e.contains("256"),
        "{e}"
    );
}

#[test]
fn the_moving_average_is_what_is_sampled_and_saved() {
    let cfg = TrainConfig {
        ema: 0.9,
        ..small("schedule-free", 4)
    };
    let mut tr =
        Trainer::new(cfg, Schedule::default(), Target::Checkerboard, &cpu()).expect("trainer");
    for _ in 0..20 {
        tr.step();
    }
    let raw = now(interplay_nn::checkpoint::read_params(&tr.nets()[0])).expect("raw");
    let avg = now(interplay_nn::checkpoint::read_params(&tr.model()[0])).expect("average");
    assert_ne!(raw, avg, "the average lags the raw weights");
    // Each averaged weight lies between its initial value and the raw one (a convex blend).
    let fresh = Trainer::new(
        TrainConfig {
            ema: 0.9,
            ..small("schedule-free", 4)
        },
        Schedule::default(),
        Target::Checkerboard,
        &cpu(),
    )
    .expect("trainer");
    let init = now(interplay_nn::checkpoint::read_params(&fresh.nets()[0])).expect("init");
    let moved = |a: &[Vec<f32>]| {
        a.iter()
            .flatten()
            .zip(init.iter().flatten())
            .map(|(x, y)| f64::from((x - y).abs()))
            .sum::<f64>()
    };
    assert!(
        moved(&avg) < moved(&raw),
        "the average moved less than the raw weights"
    );
    let ck = now(Checkpoint::of(Header::of(&tr), &tr.model())).expect("params");
    assert_eq!(ck.params[0], avg);
}

#[test]
fn training_resumes_from_a_checkpoint() {
    let mut tr = Trainer::new(
        small("v-score", 5),
        Schedule::default(),
        Target::Checkerboard,
        &cpu(),
    )
    .expect("trainer");
    for _ in 0..10 {
        tr.step();
    }
    let ck = now(Checkpoint::of(Header::of(&tr), &tr.model())).expect("params");
    let mut again = Trainer::resume(
        tr.config.clone(),
        tr.objective.clone(),
        tr.schedule,
        tr.target.clone(),
        &ck.params,
        10,
        &cpu(),
    )
    .expect("resume");
    let before = fixed_batch_loss(&again);
    for _ in 0..50 {
        again.step();
    }
    assert_eq!(again.steps(), 60);
    let after = fixed_batch_loss(&again);
    assert!(
        after[0] < before[0],
        "training continues to lower the loss: {before:?} → {after:?}"
    );
    let wrong = Trainer::resume(
        tr.config.clone(),
        tr.objective.clone(),
        tr.schedule,
        tr.target.clone(),
        &ck.params[..1],
        10,
        &cpu(),
    );
    assert!(wrong.is_err());
}

#[test]
fn two_networks_step_alike_on_one_thread_and_on_two() {
    // Natively the b and s networks of a step run on two threads at once; each network's step
    // depends on its own loss alone, so the weights must come out bit for bit as on one thread.
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a pool");
        pool.install(|| {
            let mut tr = Trainer::new(
                small("velocity-score", 9),
                Schedule::default(),
                Target::Checkerboard,
                &cpu(),
            )
            .expect("trainer");
            let losses: Vec<Vec<f64>> = (0..4)
                .map(|_| tr.step().losses.into_iter().map(read1).collect())
                .collect();
            let params: Vec<Vec<Vec<f32>>> = tr
                .nets()
                .iter()
                .map(|n| {
                    pollster::block_on(interplay_nn::checkpoint::read_params(n)).expect("params")
                })
                .collect();
            (losses, params)
        })
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one.0, two.0, "losses differ between one thread and two");
    assert_eq!(one.1, two.1, "weights differ between one thread and two");
    assert_ne!(one.1[0], one.1[1], "the two networks are distinct");
}

#[test]
fn the_schedule_free_row_weight_anneals_from_h_to_flat() {
    let config = TrainConfig {
        weight_anneal: 4,
        posterior_refs: interplay_nn::posterior::REFS,
        ..small("schedule-free", 5)
    };
    let mut tr = Trainer::new(
        config.clone(),
        Schedule::default(),
        Target::Checkerboard,
        &cpu(),
    )
    .expect("trainer");
    // The weight of a row at λ = 1, where h = √(floor + 1/(1 + 4)) is well below 1.
    let weight = |tr: &Trainer| tr.batch_objective().sf_at(1.0, 1.0).expect("sf").weight;
    let own = tr.objective.sf_at(1.0, 1.0).expect("sf");
    let h = interplay_nn::objective::narrowing(
        1.0,
        Some(interplay_nn::objective::NARROW_LAMBDA),
        Some(interplay_nn::objective::NARROW_FLOOR),
    );
    assert!(
        (own.weight - 1.0).abs() < 1e-12,
        "the final weight is flat: {}",
        own.weight
    );
    assert!(
        (weight(&tr) - h).abs() < 1e-12,
        "step 0: {} against h = {h}",
        weight(&tr)
    );
    tr.step();
    tr.step();
    assert!(
        (weight(&tr) - h.sqrt()).abs() < 1e-12,
        "half way: {} against √h = {}",
        weight(&tr),
        h.sqrt()
    );
    tr.step();
    tr.step();
    assert_eq!(
        weight(&tr),
        own.weight,
        "after the anneal the run's own weight"
    );
    // Everything but the weight is the run's own, and so is what a checkpoint saves.
    let mut at0 = tr.objective.sf_at(0.3, 0.8).expect("sf");
    at0.weight = 0.0;
    let mut fresh =
        Trainer::new(config, Schedule::default(), Target::Checkerboard, &cpu()).expect("trainer");
    let mut at = fresh.batch_objective().sf_at(0.3, 0.8).expect("sf");
    at.weight = 0.0;
    assert_eq!(at, at0);
    fresh.step();
    assert_eq!(fresh.objective, tr.objective);
}
