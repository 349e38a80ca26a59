//! Training batches: (t, x0, x1, z) drawn on the host for an objective (seeded, identical on
//! every backend), in the network's own terms (preconditioned inputs, weights and targets), and
//! the host form of every loss that the tests check the trainer's tensors against.

use std::ops::Range;

use interplay_core::sampling::streams;
use interplay_core::targets::ExactTarget;
use interplay_core::{P2, Rng, Schedule};

use crate::coupling::{Coupling, OT_BLOCK, ot_pair};
use crate::objective::{Affine, Objective};
use crate::posterior::{BatchPosterior, Centre};

/// A training λ for the schedule-free objective: with probability 0.7 the λ = σ/β of linear +
/// Brownian at t ~ U[0.001, 0.999] (where sampling with the default schedule spends its time,
/// concentrated around λ ≈ 1), otherwise log-uniform over the whole range (so every schedule's
/// λ(t) is covered).
fn draw_lambda(rng: &mut Rng, log_lambda: (f64, f64), times: TimeDraw) -> f64 {
    let (u, v) = (rng.uniform(), rng.uniform());
    let ll = if u < 0.7 {
        let t = TimeDraw {
            t_min: 1e-3,
            ..times
        }
        .at(v);
        ((1.0 - t).sqrt() / t).ln()
    } else {
        log_lambda.0 + (log_lambda.1 - log_lambda.0) * v
    };
    ll.clamp(log_lambda.0, log_lambda.1).exp()
}

/// What a column of a [`HostBatch`] holds. Each objective's batch has its own columns; a loss
/// names the ones it reads by this type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    /// The networks' time input u (t, or λ for the schedule-free D), `[n, 1]`.
    U,
    /// The schedule-free D's inputs, `[n, 2]`.
    X,
    /// The schedule-free D's regression targets, `[n, 2]`.
    Target,
    /// The schedule-free D's row weights (absent where the objective has no narrowing), `[n, 1]`.
    W,
    /// x_t of the plain (not antithetic) rows of the v-score and denoiser losses, `[n, 2]`.
    Xp,
    /// The denoiser's targets z, `[n, 2]`.
    Te,
    /// The v-score's velocity targets, `[n, 2]`.
    Tv,
    /// A column of the antithetic pair loss of network b or s, `2n` rows (the plus halves first).
    Pair(PairNet, PairCol),
}

/// The networks trained by an antithetic pair loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairNet {
    /// The velocity b (velocity-score and denoiser objectives).
    B,
    /// The score s (velocity-score and v-score objectives).
    S,
}

/// The columns of a pair loss ½q|F(x₊)|² − r₊·F(x₊) + ½q|F(x₋)|² − r₋·F(x₋).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairCol {
    /// The network's inputs x₊ and x₋, `[2n, 2]`.
    In,
    /// The weights q, `[2n, 1]`.
    Q,
    /// The linear terms r₊ and r₋, `[2n, 2]`.
    R,
}

/// One host-side batch, flattened row-major as f32 (`[B, 1]` columns and `[B, 2]` points): a
/// whole batch, or a shard of one (rows `a..b` of a batch of `total`).
#[derive(Clone, Debug, Default)]
pub struct HostBatch {
    /// Rows.
    pub n: usize,
    /// The rows of the whole batch this one is a shard of (`n` when it is the whole). A shard's
    /// losses are its rows' share of the whole batch's mean, so the shards' gradients sum to the
    /// whole batch's.
    pub total: usize,
    /// The columns: (what, values, width 1 or 2), of n rows (2n for antithetic pairs).
    pub cols: Vec<(Col, Vec<f32>, usize)>,
}

impl HostBatch {
    fn push(&mut self, col: Col, values: Vec<f32>, width: usize) {
        debug_assert!(values.len().is_multiple_of((self.n * width).max(1)));
        self.cols.push((col, values, width));
    }
    /// The whole batch's rows per row of this one (1 for a whole batch).
    pub fn share(&self) -> f64 {
        self.n.max(1) as f64 / self.total.max(self.n).max(1) as f64
    }
    /// The column `col`, with its width, if this batch has it.
    pub fn col(&self, col: Col) -> Option<(&[f32], usize)> {
        self.cols
            .iter()
            .find(|c| c.0 == col)
            .map(|c| (c.1.as_slice(), c.2))
    }
}

fn flat(points: &[P2]) -> Vec<f32> {
    points
        .iter()
        .flat_map(|p| [p[0] as f32, p[1] as f32])
        .collect()
}

/// How training draws t: t = t_min + (1 − 2t_min)·(1 − (1 − u)^power) for u ~ U[0, 1]. Power 1
/// is uniform; a power above 1 draws more times near t = 1, where the sharp features of ρ1
/// appear and the velocity network's errors are amplified most. The minimiser at each (t, x) is
/// the same for every power (only the emphasis changes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeDraw {
    /// t ∈ [t_min, 1 − t_min].
    pub t_min: f64,
    /// The exponent (1: uniform).
    pub power: f64,
}

impl TimeDraw {
    /// Uniform on [t_min, 1 − t_min].
    pub fn uniform(t_min: f64) -> Self {
        Self { t_min, power: 1.0 }
    }
    /// The time for a uniform draw u ∈ [0, 1).
    pub fn at(&self, u: f64) -> f64 {
        self.t_min + (1.0 - 2.0 * self.t_min) * self.warp(u)
    }

    /// u ∈ [0, 1] warped by u ↦ 1 − (1 − u)^power (increasing; the identity at power 1).
    pub fn warp(&self, u: f64) -> f64 {
        if self.power == 1.0 {
            u
        } else {
            1.0 - (1.0 - u).powf(self.power)
        }
    }
}

/// Draws a batch of `n` triples for `objective` under `schedule`, with t drawn by `times`.
/// With `refs` > 1, the targets of the objectives with a Gaussian base (schedule-free D,
/// preconditioned b and s) are batch posteriors over reference sets of `refs` batch samples
/// ([`BatchPosterior`]): the same minimiser, a smaller variance; the other objectives ignore it.
pub fn draw_batch(
    objective: &Objective,
    schedule: &Schedule,
    target: &ExactTarget,
    n: usize,
    times: TimeDraw,
    refs: usize,
    rng: &mut Rng,
) -> HostBatch {
    draw_coupled(
        objective,
        schedule,
        target,
        n,
        times,
        refs,
        Coupling::Independent,
        rng,
    )
}

/// [`draw_batch`] with x0 and x1 paired by `coupling`: with minibatch OT the base samples are
/// drawn first and assigned to the target samples block by block ([`ot_pair`]); the noise z and
/// the times stay independent. (The schedule-free objective has no x0 and ignores it.)
#[allow(clippy::too_many_arguments)]
pub fn draw_coupled(
    objective: &Objective,
    schedule: &Schedule,
    target: &ExactTarget,
    n: usize,
    times: TimeDraw,
    refs: usize,
    coupling: Coupling,
    rng: &mut Rng,
) -> HostBatch {
    let seed = rng.next_u64();
    draw_rows(
        objective,
        schedule,
        target,
        n,
        times,
        refs,
        coupling,
        seed,
        0..n,
    )
}

/// Rows `rows` of the batch of `n` that `seed` names ([`draw_coupled`] draws all of them). The
/// batch's target samples (and, with minibatch OT, its paired base samples) come from streams of
/// `seed`; each row's own draws (t or λ, x0, z) from a stream of its own, seeded by `seed` and
/// the row's index. So a row is the same whichever shard draws it: the batch of one worker and
/// the shards of K workers are the same rows, and their losses sum to the same loss.
#[allow(clippy::too_many_arguments)]
pub fn draw_rows(
    objective: &Objective,
    schedule: &Schedule,
    target: &ExactTarget,
    n: usize,
    times: TimeDraw,
    refs: usize,
    coupling: Coupling,
    seed: u64,
    rows: Range<usize>,
) -> HostBatch {
    let rows = rows.start.min(n)..rows.end.min(n);
    let row_rng = |row: usize| Rng::stream(seed.wrapping_add(row as u64), streams::TRAINING_ROW);
    let x1 = target.sample(&mut Rng::stream(seed, streams::X1), n);
    let paired: Option<Vec<P2>> = (coupling == Coupling::Ot).then(|| {
        let mut x0 = target.base_normals(&mut Rng::stream(seed, streams::X0), n);
        ot_pair(&mut x0, &x1, OT_BLOCK);
        x0
    });
    // The batch posterior, with the control variate where the objective knows the target's
    // scale (the ones with a Gaussian base, the only ones that use it).
    let centre = objective.sigma_d().map(|sigma_data| Centre {
        mean: target.mean(),
        sigma_data,
    });
    let mut post = (refs > 1).then(|| {
        let p = BatchPosterior::new(&x1, refs);
        match centre {
            Some(c) => p.with_centre(c),
            None => p,
        }
    });
    let mut b = HostBatch {
        n: rows.len(),
        total: n,
        cols: Vec::new(),
    };
    let n = rows.len();
    if let Objective::ScheduleFree {
        log_lambda, narrow, ..
    } = objective
    {
        let (mut u, mut xin, mut tgt, mut w) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for row in rows {
            let (rng, x1) = (&mut row_rng(row), &x1[row]);
            let lam = draw_lambda(rng, *log_lambda, times);
            let xi = target.base_normal(rng);
            // y = x1 + λξ, i.e. (σ, β) = (λ, 1) in the preconditioning.
            let at = objective.sf_at(lam, 1.0).expect("schedule-free");
            let y = [x1[0] + lam * xi[0], x1[1] + lam * xi[1]];
            let g = post.as_mut().map_or(*x1, |p| p.mean(row, y, 1.0, lam));
            let skip = at.skip.apply(y);
            u.push(at.u as f32);
            w.push(at.weight as f32);
            xin.push([at.c_in * y[0], at.c_in * y[1]]);
            tgt.push([0, 1].map(|d| (g[d] - skip[d]) / at.c_out));
        }
        b.push(Col::U, u, 1);
        b.push(Col::X, flat(&xin), 2);
        b.push(Col::Target, flat(&tgt), 2);
        if narrow.is_some() {
            b.push(Col::W, w, 1);
        }
        return b;
    }
    let has_gamma = schedule.has_gamma();
    // The antithetic pairs of a b net (x± = I ± γz, targets İ ± γ̇z) and an s net
    // (x± = βx1 ± n with n = αx0 + γz, targets ∓n/σ²), in the network's own terms (see
    // [`Affine`]): inputs c_in·x±, weights q and targets r±.
    let mut pairs: [Pairs; 2] = Default::default();
    // Which pair losses the objective has: b's (velocity-score, denoiser), s's (velocity-score,
    // v-score).
    let uses = [
        matches!(
            objective,
            Objective::VelocityScore { .. } | Objective::Denoiser
        ),
        matches!(
            objective,
            Objective::VelocityScore { .. } | Objective::VScore
        ),
    ];
    // Batch posteriors need the Gaussian-base identities, which the preconditioning marks.
    let mut post = post.filter(|_| {
        matches!(
            objective,
            Objective::VelocityScore {
                sigma_data: Some(_)
            }
        )
    });
    let (mut u, mut xp, mut tv, mut te) = (vec![], vec![], vec![], vec![]);
    for row in rows {
        let (rng, x1) = (&mut row_rng(row), &x1[row]);
        let t = times.at(rng.uniform());
        let (x0, z) = match &paired {
            Some(x0) => (x0[row], target.base_normal(rng)),
            None => (target.base_normal(rng), target.base_normal(rng)),
        };
        let st = schedule.at(t);
        let s2 = st.sigma2();
        let i = [0, 1].map(|d| st.alpha * x0[d] + st.beta * x1[d]);
        let di = [0, 1].map(|d| st.d_alpha * x0[d] + st.d_beta * x1[d]);
        let n = [0, 1].map(|d| st.alpha * x0[d] + st.gamma * z[d]);
        let x_plus = [0, 1].map(|d| i[d] + st.gamma * z[d]);
        u.push(t as f32);
        xp.push(x_plus);
        tv.push(di);
        te.push(if has_gamma { z } else { x0 });
        let [ab, as_] = objective.affines(&st);
        if let Some(p) = post.as_mut() {
            // Both networks at the b pair's points x± = I ± γz, each target from the batch
            // posterior g of x1 there: b = β̇g + (σσ̇/σ²)(x − βg), s = −(x − βg)/σ².
            let x_minus = [0, 1].map(|d| i[d] - st.gamma * z[d]);
            let sigma = s2.sqrt();
            let [(bp, sp), (bm, sm)] = [x_plus, x_minus].map(|x| {
                let g = p.mean(row, x, st.beta, sigma);
                let nn = [0, 1].map(|d| x[d] - st.beta * g[d]);
                (
                    [0, 1].map(|d| st.d_beta * g[d] + st.sigma_d_sigma() / s2 * nn[d]),
                    [0, 1].map(|d| -nn[d] / s2),
                )
            });
            pairs[0].push(ab, (x_plus, bp), (x_minus, bm));
            pairs[1].push(as_, (x_plus, sp), (x_minus, sm));
            continue;
        }
        if uses[0] {
            pairs[0].push(
                ab,
                (x_plus, [0, 1].map(|d| di[d] + st.d_gamma * z[d])),
                (
                    [0, 1].map(|d| i[d] - st.gamma * z[d]),
                    [0, 1].map(|d| di[d] - st.d_gamma * z[d]),
                ),
            );
        }
        if uses[1] {
            pairs[1].push(
                as_,
                (x_plus, [0, 1].map(|d| -n[d] / s2)),
                (
                    [0, 1].map(|d| st.beta * x1[d] - n[d]),
                    [0, 1].map(|d| n[d] / s2),
                ),
            );
        }
    }
    b.push(Col::U, u, 1);
    let [b_pairs, s_pairs] = pairs;
    match objective {
        Objective::VelocityScore { .. } => {
            b_pairs.into_batch(&mut b, PairNet::B);
            s_pairs.into_batch(&mut b, PairNet::S);
        }
        Objective::Denoiser => {
            b_pairs.into_batch(&mut b, PairNet::B);
            b.push(Col::Xp, flat(&xp), 2);
            b.push(Col::Te, flat(&te), 2);
        }
        Objective::VScore => {
            s_pairs.into_batch(&mut b, PairNet::S);
            b.push(Col::Xp, flat(&xp), 2);
            b.push(Col::Tv, flat(&tv), 2);
        }
        Objective::ScheduleFree { .. } => unreachable!("handled above"),
    }
    b
}

/// The rows of one antithetic pair loss, ½q|F(x₊)|² − r₊·F(x₊) + ½q|F(x₋)|² − r₋·F(x₋), as
/// the network sees them.
#[derive(Default)]
struct Pairs {
    inputs: [Vec<[f64; 2]>; 2],
    q: Vec<f32>,
    r: [Vec<[f64; 2]>; 2],
}

impl Pairs {
    /// Adds a row: the two halves as (point, target of the field).
    fn push(&mut self, aff: Affine, plus: (P2, P2), minus: (P2, P2)) {
        let w = aff.weight();
        self.q.push((w * aff.scale * aff.scale) as f32);
        for (k, (x, target)) in [plus, minus].into_iter().enumerate() {
            self.inputs[k].push(x.map(|v| aff.c_in * v));
            self.r[k].push([0, 1].map(|d| w * aff.scale * (target[d] - aff.skip * x[d])));
        }
    }
    /// The pair columns of `net`, of 2n rows, the plus halves first: inputs, q and r.
    fn into_batch(self, b: &mut HostBatch, net: PairNet) {
        let [ip, im] = self.inputs;
        let [rp, rm] = self.r;
        let mut q = self.q.clone();
        q.extend(self.q);
        b.push(Col::Pair(net, PairCol::In), flat(&[ip, im].concat()), 2);
        b.push(Col::Pair(net, PairCol::Q), q, 1);
        b.push(Col::Pair(net, PairCol::R), flat(&[rp, rm].concat()), 2);
    }
}

/// The loss of each network on `batch`, computed on the host in f64 with `predict(net, u, x)`
/// standing for the networks. Mirrors the tensor losses of the trainer exactly (a test checks
/// both agree), and lets tests plug in the exact fields.
pub fn host_loss(
    objective: &Objective,
    batch: &HostBatch,
    predict: &dyn Fn(usize, f64, P2) -> P2,
) -> Vec<f64> {
    let n = batch.n;
    let pt = |col: Col, i: usize| -> P2 {
        let (v, _) = batch.col(col).unwrap_or((&[], 2));
        [f64::from(v[2 * i]), f64::from(v[2 * i + 1])]
    };
    let u = |i: usize| f64::from(batch.col(Col::U).map_or(0.0, |(v, _)| v[i]));
    let dot = |a: P2, b: P2| a[0] * b[0] + a[1] * b[1];
    let half_sq = |a: P2| 0.5 * dot(a, a);
    let mean = |f: &dyn Fn(usize) -> f64| (0..n).map(f).sum::<f64>() / n as f64;
    let q = |col: Col, i: usize| f64::from(batch.col(col).map_or(1.0, |(v, _)| v[i]));
    // ½ of the antithetic pair loss of network k on the pair columns of `net` (row i's halves
    // are rows i and n + i).
    let pair_loss = |k: usize, net: PairNet| {
        let c = |part: PairCol| Col::Pair(net, part);
        mean(&|i| {
            let half = |j: usize| {
                let f = predict(k, u(i), pt(c(PairCol::In), j));
                q(c(PairCol::Q), j) * half_sq(f) - dot(pt(c(PairCol::R), j), f)
            };
            0.5 * (half(i) + half(n + i))
        })
    };
    let b_loss = || pair_loss(0, PairNet::B);
    let s_loss = || pair_loss(1, PairNet::S);
    match objective {
        Objective::VelocityScore { .. } => vec![b_loss(), s_loss()],
        Objective::VScore => {
            let v = mean(&|i| {
                let v = predict(0, u(i), pt(Col::Xp, i));
                half_sq(v) - dot(pt(Col::Tv, i), v)
            });
            vec![v, s_loss()]
        }
        Objective::Denoiser => {
            let e = mean(&|i| {
                let e = predict(1, u(i), pt(Col::Xp, i));
                half_sq(e) - dot(pt(Col::Te, i), e)
            });
            vec![b_loss(), e]
        }
        Objective::ScheduleFree { .. } => vec![mean(&|i| {
            let f = predict(0, u(i), pt(Col::X, i));
            let d = [f[0] - pt(Col::Target, i)[0], f[1] - pt(Col::Target, i)[1]];
            q(Col::W, i) * half_sq(d)
        })],
    }
}
