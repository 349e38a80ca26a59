//! The loss of each network of an objective on a host batch: as tensors through burn's graph
//! ([`net_loss`], the trainer's step on the CPU backend), and written per row for the fused step's
//! kernels ([`LossRows`], on a GPU). `batch::host_loss` computes the same numbers on the host in
//! f64; tests check that the three agree.

use burn::tensor::{Device, Tensor, TensorData};

use crate::batch::{Col, HostBatch, PairCol, PairNet};
use crate::net::FieldNet;
use crate::objective::Objective;

/// Appends a row: `u`, `x` (its first two numbers), `q`, `r`, `c`.
type Push<'a> = &'a mut dyn FnMut(f32, &[f32], [f32; 2], [f32; 2], f32);

/// The numbers of a row of [`LossRows`].
pub const ROW: usize = 8;

/// A network's loss on a batch written per row: inputs `u, x₁, x₂` and the terms `q₁, q₂, r₁,
/// r₂, c` of `Σ_c ½ q_c f_c² − r_c f_c + c`, whose mean over `norm` rows is the trainer's loss.
#[derive(Clone, Debug, PartialEq)]
pub struct LossRows {
    /// `ROW` numbers per row.
    pub data: Vec<f32>,
    /// Rows.
    pub rows: usize,
    /// What the rows' sum is divided by (the rows of the whole batch's mean, for a shard).
    pub norm: f64,
}

impl LossRows {
    /// The rows of network `k`'s loss (in [`Objective::nets`] order) on `batch`: the same
    /// loss as [`net_loss`].
    pub fn of(objective: &Objective, k: usize, batch: &HostBatch) -> Self {
        let col = |c: Col| {
            batch
                .col(c)
                .unwrap_or_else(|| panic!("the batch of this objective has no column {c:?}"))
                .0
        };
        let u = col(Col::U);
        let n = batch.n;
        let mut data = Vec::new();
        let mut push = |u: f32, x: &[f32], q: [f32; 2], r: [f32; 2], c: f32| {
            data.extend([u, x[0], x[1], q[0], q[1], r[0], r[1], c]);
        };
        let pair = |net: PairNet, push: Push<'_>| {
            let (x, q, r) = (
                col(Col::Pair(net, PairCol::In)),
                col(Col::Pair(net, PairCol::Q)),
                col(Col::Pair(net, PairCol::R)),
            );
            for j in 0..2 * n {
                let r = [r[2 * j], r[2 * j + 1]];
                push(u[j % n], &x[2 * j..], [q[j]; 2], r, 0.0);
            }
        };
        let plain = |target: Col, push: Push<'_>| {
            let (x, t) = (col(Col::Xp), col(target));
            for i in 0..n {
                push(u[i], &x[2 * i..], [1.0; 2], [t[2 * i], t[2 * i + 1]], 0.0);
            }
        };
        match (objective, k) {
            (Objective::VelocityScore { .. }, 0) | (Objective::Denoiser, 0) => {
                pair(PairNet::B, &mut push)
            }
            (Objective::VelocityScore { .. }, _) | (Objective::VScore, 1) => {
                pair(PairNet::S, &mut push)
            }
            (Objective::VScore, _) => plain(Col::Tv, &mut push),
            (Objective::Denoiser, _) => plain(Col::Te, &mut push),
            (Objective::ScheduleFree { .. }, _) => {
                // ½w|f − T|² = Σ_c ½w f_c² − wT_c f_c + ½w|T|².
                let (x, t) = (col(Col::X), col(Col::Target));
                let w = batch.col(Col::W).map(|(w, _)| w);
                for i in 0..n {
                    let wi = w.map_or(1.0, |w| w[i]);
                    let (t0, t1) = (t[2 * i], t[2 * i + 1]);
                    let c = 0.5 * wi * (t0 * t0 + t1 * t1);
                    push(u[i], &x[2 * i..], [wi; 2], [wi * t0, wi * t1], c);
                }
            }
        }
        let rows = data.len() / ROW;
        Self {
            data,
            rows,
            norm: rows as f64 / batch.share(),
        }
    }
}

/// The loss of each network on a host batch, as tensors on `device` (the trainer's forward
/// pass; `batch::host_loss` computes the same numbers on the host).
pub fn tensor_losses(
    objective: &Objective,
    nets: &[FieldNet],
    batch: &HostBatch,
    device: &Device,
) -> Vec<Tensor<1>> {
    nets.iter()
        .enumerate()
        .map(|(k, net)| net_loss(objective, k, net, batch, device))
        .collect()
}

/// The loss of network `k` (in [`Objective::nets`] order) on a host batch: each depends on its
/// own network alone.
pub fn net_loss(
    objective: &Objective,
    k: usize,
    net: &FieldNet,
    batch: &HostBatch,
    device: &Device,
) -> Tensor<1> {
    // Column `col` of the batch, stacked `copies` times (on the host: one upload, no copy on
    // the device). Every objective's batch holds the columns its losses read (`draw_batch`).
    let stacked = |col: Col, copies: usize| -> Tensor<2> {
        let (v, w) = batch
            .col(col)
            .unwrap_or_else(|| panic!("the batch of this objective has no column {col:?}"));
        let rows = copies * v.len() / w;
        Tensor::from_data(TensorData::new(v.repeat(copies), [rows, w]), device)
    };
    let col = |c: Col| stacked(c, 1);
    let half_sq = |y: Tensor<2>| y.square() * 0.5;
    // The mean over rows of the row sums, as one reduction (one kernel on WebGPU, not two).
    // A shard's rows count as their share of the whole batch's (so the shards' losses sum to it).
    let mean_rows = |y: Tensor<2>| {
        let rows = y.dims()[0] as f64 / batch.share();
        y.sum() / rows
    };
    // ½ of the antithetic pair loss ½q|F(x₊)|² − r₊·F(x₊) + ½q|F(x₋)|² − r₋·F(x₋) of a network
    // on the pair columns of `pair` (one pass over both halves).
    let pair_loss = |net: &FieldNet, pair: PairNet| {
        let c = |part: PairCol| col(Col::Pair(pair, part));
        let f = net.forward(stacked(Col::U, 2), c(PairCol::In));
        let l = half_sq(f.clone()) * c(PairCol::Q) - c(PairCol::R) * f;
        // The mean over 2n rows is already ½ of the mean pair sum.
        mean_rows(l)
    };
    match (objective, k) {
        (Objective::VelocityScore { .. }, 0) | (Objective::Denoiser, 0) => {
            pair_loss(net, PairNet::B)
        }
        (Objective::VelocityScore { .. }, _) | (Objective::VScore, 1) => pair_loss(net, PairNet::S),
        (Objective::VScore, _) => {
            let v = net.forward(col(Col::U), col(Col::Xp));
            mean_rows(half_sq(v.clone()) - col(Col::Tv) * v)
        }
        (Objective::Denoiser, _) => {
            let eta = net.forward(col(Col::U), col(Col::Xp));
            mean_rows(half_sq(eta.clone()) - col(Col::Te) * eta)
        }
        (Objective::ScheduleFree { .. }, _) => {
            let f = net.forward(col(Col::U), col(Col::X));
            let l = half_sq(f - col(Col::Target));
            // Rows weighted by the output scale's narrowing, where the objective has one.
            mean_rows(if batch.col(Col::W).is_some() {
                l * col(Col::W)
            } else {
                l
            })
        }
    }
}
