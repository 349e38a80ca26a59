//! The fused step's loss rows: every objective's loss written per row as
//! `Σ_c ½ q_c f_c² − r_c f_c + c` is the trainer's loss, on a whole batch and on a shard (the
//! kernels that use them run on a GPU: tests/webgpu.test.mjs checks their steps against the CPU
//! backend's in the browser).
#![allow(clippy::disallowed_methods)]

mod common;

use burn::tensor::{Tensor, TensorData};
use common::{cpu, read1, read2};
use interplay_core::ObjectiveKind;
use interplay_core::coupling::Coupling;
use interplay_core::targets::ExactTarget;
use interplay_core::{Rng, Schedule, Target};
use interplay_nn::batch::{TimeDraw, draw_rows};
use interplay_nn::losses::{LossRows, ROW};
use interplay_nn::net::{FieldNet, NetConfig};
use interplay_nn::objective::Objective;
use interplay_nn::trainer::tensor_losses;

/// The loss of `net` on `rows`, in f64 from the network's outputs.
fn rows_loss(net: &FieldNet, rows: &LossRows) -> f64 {
    let device = cpu();
    let col = |k: usize| -> Vec<f32> { rows.data.chunks(ROW).map(|r| r[k]).collect() };
    let u = Tensor::<2>::from_data(TensorData::new(col(0), [rows.rows, 1]), &device);
    let x: Vec<f32> = rows.data.chunks(ROW).flat_map(|r| [r[1], r[2]]).collect();
    let x = Tensor::<2>::from_data(TensorData::new(x, [rows.rows, 2]), &device);
    let f = read2(net.forward(u, x));
    let sum: f64 = rows
        .data
        .chunks(ROW)
        .zip(&f)
        .map(|(r, f)| {
            let t = |k: usize| f64::from(r[k]);
            (0..2)
                .map(|c| 0.5 * t(3 + c) * f[c] * f[c] - t(5 + c) * f[c])
                .sum::<f64>()
                + t(7)
        })
        .sum();
    sum / rows.norm
}

#[test]
fn loss_rows_give_the_trainers_loss_for_every_objective_and_shard() {
    let target = ExactTarget::new(&Target::Checkerboard);
    let sched = Schedule::default();
    let device = cpu();
    let cfg = NetConfig {
        width: 16,
        depth: 2,
        ..NetConfig::default()
    };
    let mut kinds = 0;
    for kind in ObjectiveKind::ALL {
        let Some(obj) = Objective::of(kind, &target) else {
            continue;
        };
        let obj = obj.for_schedule(&sched).for_refs(0);
        kinds += 1;
        let mut rng = Rng::new(5);
        let nets: Vec<_> = obj
            .nets()
            .iter()
            .map(|_| cfg.init(&device, &mut rng))
            .collect();
        for rows in [0..48, 16..40] {
            let batch = draw_rows(
                &obj,
                &sched,
                &target,
                48,
                TimeDraw::uniform(1e-3),
                0,
                Coupling::Independent,
                9,
                rows.clone(),
            );
            let want: Vec<f64> = tensor_losses(&obj, &nets, &batch, &device)
                .into_iter()
                .map(read1)
                .collect();
            for (k, net) in nets.iter().enumerate() {
                let r = LossRows::of(&obj, k, &batch);
                assert_eq!(r.data.len(), r.rows * ROW);
                let got = rows_loss(net, &r);
                assert!(
                    (got - want[k]).abs() <= 1e-5 * (1.0 + want[k].abs()),
                    "{} net {k} rows {rows:?}: rows {got} vs trainer {}",
                    obj.name(),
                    want[k]
                );
            }
        }
    }
    assert!(kinds >= 4, "every objective of a field pair was checked");
}
