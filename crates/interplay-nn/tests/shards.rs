//! Training on several workers: a batch's rows are the same whichever shard draws them, and K
//! trainers that each take a shard's gradients and apply the sum train the model one trainer
//! does, up to the order of the sums.
#![allow(clippy::disallowed_methods)]

mod common;

use burn::module::Module;
use common::{cpu, now};
use interplay_core::ObjectiveKind;
use interplay_core::{Schedule, Target};
use interplay_nn::checkpoint::read_params;
use interplay_nn::net::NetConfig;
use interplay_nn::trainer::{LrDecay, TrainConfig, Trainer};

fn config(objective: &str) -> TrainConfig {
    TrainConfig {
        objective: ObjectiveKind::parse(objective).expect("an objective"),
        net: NetConfig {
            width: 32,
            depth: 2,
            ..NetConfig::default()
        },
        batch: 300,
        lr: 1e-2,
        decay: LrDecay::Constant,
        t_min: 1e-3,
        seed: 11,
        ema: 0.99,
        warmup: 0,
        t_power: 2.0,
        posterior_refs: 64,
        coupling: interplay_nn::coupling::Coupling::Independent,
        weight_anneal: 0,
    }
}

fn trainer(c: &TrainConfig) -> Trainer {
    Trainer::new(c.clone(), Schedule::default(), Target::Checkerboard, &cpu()).expect("a run")
}

/// Every parameter of the trainer's networks (raw and averaged), in order.
fn params(t: &Trainer) -> Vec<f32> {
    let mut out = Vec::new();
    for net in t.nets().iter().map(|n| n.valid()).chain(t.model()) {
        for p in now(read_params(&net)).expect("params") {
            out.extend(p);
        }
    }
    out
}

fn read(t: burn::tensor::Tensor<1>) -> Vec<f32> {
    now(interplay_nn::read_floats(t)).expect("read")
}

/// K trainers of one run, stepped `steps` times on shards of each batch (the last shard may be
/// larger than the others).
fn team_steps(c: &TrainConfig, k: usize, steps: usize) -> Vec<Trainer> {
    let mut team: Vec<Trainer> = (0..k).map(|_| trainer(c)).collect();
    for _ in 0..steps {
        let mut sum: Option<Vec<f32>> = None;
        for (i, t) in team.iter_mut().enumerate() {
            let rows = c.batch * i / k..c.batch * (i + 1) / k;
            let g = read(t.shard_gradients(rows).expect("CPU").grads);
            sum = Some(match sum {
                None => g,
                Some(s) => s.iter().zip(&g).map(|(a, b)| a + b).collect(),
            });
        }
        let sum = sum.expect("one shard at least");
        for t in &mut team {
            t.apply(&sum).expect("the sum fits the networks");
        }
    }
    team
}

fn relative(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len());
    let d: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum();
    let n: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum();
    (d / n).sqrt()
}

#[test]
fn k_workers_train_the_model_one_trains() {
    for objective in ["schedule-free", "velocity-score", "denoiser"] {
        let c = config(objective);
        let mut one = trainer(&c);
        for _ in 0..4 {
            one.step();
        }
        let want = params(&one);
        // One shard is the whole batch, through the same flattened gradient: the same bits.
        let solo = team_steps(&c, 1, 4);
        assert_eq!(
            params(&solo[0]),
            want,
            "{objective}: one shard differs from a step"
        );
        for k in [2, 3] {
            let team = team_steps(&c, k, 4);
            let first = params(&team[0]);
            for t in &team[1..] {
                assert_eq!(
                    params(t),
                    first,
                    "{objective}: the members of a team of {k} drifted apart"
                );
            }
            let r = relative(&first, &want);
            assert!(
                r < 1e-5,
                "{objective}: {k} workers differ from one by {r:.2e} (relative)"
            );
            assert_eq!(team[0].steps(), 4);
        }
    }
}

#[test]
fn a_row_is_the_same_whichever_shard_draws_it() {
    use interplay_nn::batch::Col;
    let c = config("schedule-free");
    let t = trainer(&c);
    let whole = t.batch_rows(0..c.batch);
    let parts = [t.batch_rows(0..120), t.batch_rows(120..c.batch)];
    assert_eq!((parts[0].n, parts[0].total), (120, c.batch));
    for col in [Col::U, Col::X, Col::Target] {
        let (all, w) = whole.col(col).expect("the column");
        let joined: Vec<f32> = parts
            .iter()
            .flat_map(|p| p.col(col).expect("the column").0.to_vec())
            .collect();
        assert_eq!(joined, all, "column {col:?} (width {w})");
    }
}

#[test]
fn shard_losses_sum_to_the_batch_loss_and_a_wrong_gradient_is_refused() {
    let c = config("velocity-score");
    let mut t = trainer(&c);
    let whole = read(t.shard_gradients(0..c.batch).expect("CPU").losses);
    let halves: Vec<Vec<f32>> = [0..100, 100..300]
        .into_iter()
        .map(|r| read(t.shard_gradients(r).expect("CPU").losses))
        .collect();
    for n in 0..whole.len() {
        let sum = halves[0][n] + halves[1][n];
        assert!(
            (sum - whole[n]).abs() <= 1e-5 * whole[n].abs().max(1.0),
            "network {n}: shards sum to {sum}, the batch's loss is {}",
            whole[n]
        );
    }
    let e = t
        .apply(&[0.0; 7])
        .expect_err("a gradient of the wrong size");
    assert!(e.to_string().contains("7 numbers"), "{e}");
    assert_eq!(t.steps(), 0, "a refused gradient takes no step");
}

#[test]
fn shards_join_and_slice_into_the_rows_of_the_batch() {
    // The pair losses' columns hold 2n rows (the plus halves first): velocity-score has them.
    for objective in ["schedule-free", "velocity-score", "denoiser"] {
        let c = config(objective);
        let t = trainer(&c);
        let whole = t.batch_rows(0..c.batch);
        let joined = interplay_nn::batch::HostBatch::join(vec![
            t.batch_rows(0..17),
            t.batch_rows(17..17),
            t.batch_rows(17..c.batch),
        ]);
        let sliced = whole.slice(40..131);
        let direct = t.batch_rows(40..131);
        assert_eq!((joined.n, joined.total), (c.batch, c.batch));
        assert_eq!((sliced.n, sliced.total), (91, c.batch));
        assert!(!whole.cols.is_empty());
        for (col, values, w) in &whole.cols {
            assert_eq!(
                joined.col(*col),
                Some((values.as_slice(), *w)),
                "{objective}: joined {col:?}"
            );
            let want = direct.col(*col).expect("the column");
            assert_eq!(sliced.col(*col), Some(want), "{objective}: sliced {col:?}");
        }
    }
}

/// Every number of a shard's gradients and losses.
fn shard(t: &mut Trainer, rows: std::ops::Range<usize>) -> (Vec<f32>, Vec<f32>) {
    let g = t.shard_gradients(rows).expect("CPU");
    (read(g.grads), read(g.losses))
}

#[test]
fn rows_drawn_ahead_give_the_shard_a_step_would_draw() {
    for objective in ["schedule-free", "velocity-score"] {
        let c = config(objective);
        let (mut plain, mut ahead) = (trainer(&c), trainer(&c));
        // Drawn ahead, then asked for: the same rows, a split that moved either way, rows
        // that do not overlap, a batch of another step; the shard must be the same bits.
        let cases = [
            (0, 0..150, 0..150),
            (0, 0..150, 0..161),
            (0, 20..150, 0..141),
            (0, 150..300, 133..290),
            (0, 0..100, 200..300),
            (1, 0..150, 0..150),
        ];
        for _ in 0..2 {
            for (later, drawn, asked) in cases.clone() {
                let step = ahead.steps() + later;
                ahead.draw_ahead(step, drawn.clone()).expect("CPU");
                assert_eq!(
                    shard(&mut ahead, asked.clone()),
                    shard(&mut plain, asked.clone()),
                    "{objective}: rows {asked:?} after {drawn:?} drawn ahead for step {step}"
                );
            }
            // A step with those rows drawn ahead of it steps the same too.
            ahead.draw_ahead(ahead.steps(), 0..c.batch).expect("CPU");
            plain.step();
            ahead.step();
            assert_eq!(
                params(&ahead),
                params(&plain),
                "{objective}: a step drawn ahead"
            );
        }
        // Rows drawn ahead are used once: the next shard of that step draws them again.
        ahead.draw_ahead(ahead.steps(), 0..150).expect("CPU");
        shard(&mut ahead, 0..150);
        assert_eq!(shard(&mut ahead, 0..150), shard(&mut plain, 0..150));
    }
}
