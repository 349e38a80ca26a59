//! Training objectives: which networks exist, what each regresses, and the host-side batch
//! that feeds them (math §3).
//!
//! Every loss is written in the paper's normalisation, E[½|f̂|² − target·f̂] (math §3.1), whose
//! minimiser is f = E[target | x_t] and whose excess over the minimum is ½E|f̂ − f|². Losses
//! with a factor 1/σ² or γ̇ use antithetic pairs (math §3.3), averaged (not summed) so the
//! reported value keeps that normalisation. Batches are drawn on the host with `interplay-core`
//! (seeded, identical on every backend) and uploaded as a few small tensors.

use interplay_core::fields::ExactTarget;
use interplay_core::{P2, Rng, Schedule};
use serde::{Deserialize, Serialize};

/// What the networks learn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Objective {
    /// Two networks, b(t, x) and s(t, x) (the reference set-up): L_b with the γ̇z term and L_s,
    /// both antithetic.
    VelocityScore,
    /// Two networks, v(t, x) = E[α̇x0 + β̇x1 | x_t] and s(t, x); b = v − γγ̇ s (no γ̇ in a loss).
    VScore,
    /// Two networks, b(t, x) and the denoiser η(t, x) = E[z | x_t] (the README sign:
    /// s = −η/γ), or E[x0 | x_t] with s = −η/α when the schedule has no γ (the reference's
    /// `checker-with-denoiser` set-up). b is learned directly because b from η alone,
    /// b = β̇(x + σ²s)/β − σσ̇s, divides the network's error by β → 0 at t = 0.
    Denoiser,
    /// One schedule-free network D(λ, y) = E[x1 | x1 + λξ = y] (math §8.4), preconditioned as
    /// D = c_skip·y + c_out·F(c_in·y, ln λ) with the target's scale σ_d. Then
    /// g1(t, x) = D(σ/β, x/β) for every α, β, γ, and b, s follow without retraining.
    ScheduleFree {
        /// σ_d, the target's per-coordinate standard deviation.
        sigma_data: f64,
        /// ln λ is drawn uniformly from this range in training.
        log_lambda: (f64, f64),
    },
}

/// The names of [`Objective`] kinds, as the CLI spells them.
pub const OBJECTIVE_NAMES: [&str; 4] = ["velocity-score", "v-score", "denoiser", "schedule-free"];

/// Default λ range of the schedule-free objective: it covers t ∈ [0.003, 0.999] for linear +
/// Brownian and t ≤ 0.999 for one-sided linear (λ = (1 − t)/t).
pub const LAMBDA_RANGE: (f64, f64) = (1e-3, 300.0);

impl Objective {
    /// The objective called `name`, prepared for `target`.
    pub fn from_name(name: &str, target: &ExactTarget) -> Option<Self> {
        Some(match name {
            "velocity-score" => Objective::VelocityScore,
            "v-score" => Objective::VScore,
            "denoiser" => Objective::Denoiser,
            "schedule-free" => Objective::ScheduleFree {
                sigma_data: sigma_data(target),
                log_lambda: (LAMBDA_RANGE.0.ln(), LAMBDA_RANGE.1.ln()),
            },
            _ => return None,
        })
    }

    /// The CLI name.
    pub fn name(&self) -> &'static str {
        match self {
            Objective::VelocityScore => "velocity-score",
            Objective::VScore => "v-score",
            Objective::Denoiser => "denoiser",
            Objective::ScheduleFree { .. } => "schedule-free",
        }
    }

    /// The networks, in checkpoint order.
    pub fn nets(&self) -> &'static [&'static str] {
        match self {
            Objective::VelocityScore => &["b", "s"],
            Objective::VScore => &["v", "s"],
            Objective::Denoiser => &["b", "eta"],
            Objective::ScheduleFree { .. } => &["D"],
        }
    }

    /// Whether the learned fields depend on the schedule they were trained with.
    pub fn needs_schedule(&self) -> bool {
        !matches!(self, Objective::ScheduleFree { .. })
    }
}

/// σ_d = √(tr Cov(x1)/2) from 20 000 seeded target samples.
pub fn sigma_data(target: &ExactTarget) -> f64 {
    let xs = target.sample(&mut Rng::stream(0, 0x5d), 20_000);
    let (_, c) = interplay_core::metrics::moments(&xs);
    (0.5 * (c[0] + c[2])).sqrt().max(1e-3)
}

/// The EDM preconditioning coefficients of D at (σ, β) with λ = σ/β, written so that β = 0 is
/// fine: D(x) = a·x + c·F(b·x, u) with a = σ_d²β/(σ² + β²σ_d²), b = 1/√(σ² + β²σ_d²) and
/// c = σσ_d/√(σ² + β²σ_d²); u is ln λ scaled to [0, 1] (clamped to the trained range).
pub fn precondition(
    sigma: f64,
    beta: f64,
    sigma_data: f64,
    log_lambda: (f64, f64),
) -> (f64, f64, f64, f64) {
    let sd2 = sigma_data * sigma_data;
    let den = sigma * sigma + beta * beta * sd2;
    let root = den.sqrt();
    let lam = if beta > 0.0 {
        (sigma / beta).ln()
    } else {
        log_lambda.1
    };
    let u = ((lam - log_lambda.0) / (log_lambda.1 - log_lambda.0)).clamp(0.0, 1.0);
    (sd2 * beta / den, 1.0 / root, sigma * sigma_data / root, u)
}

/// A training λ for the schedule-free objective: with probability 0.7 the λ = σ/β of linear +
/// Brownian at t ~ U[0.001, 0.999] (where sampling with the default schedule spends its time,
/// concentrated around λ ≈ 1), otherwise log-uniform over the whole range (so every schedule's
/// λ(t) is covered).
fn draw_lambda(rng: &mut Rng, log_lambda: (f64, f64)) -> f64 {
    let (u, v) = (rng.uniform(), rng.uniform());
    let ll = if u < 0.7 {
        let t = 1e-3 + (1.0 - 2e-3) * v;
        ((1.0 - t).sqrt() / t).ln()
    } else {
        log_lambda.0 + (log_lambda.1 - log_lambda.0) * v
    };
    ll.clamp(log_lambda.0, log_lambda.1).exp()
}

/// One host-side batch, flattened row-major as f32 (`[B, 1]` columns and `[B, 2]` points).
#[derive(Clone, Debug, Default)]
pub struct HostBatch {
    /// Rows.
    pub n: usize,
    /// Named columns: (name, values, width 1 or 2).
    pub cols: Vec<(&'static str, Vec<f32>, usize)>,
}

impl HostBatch {
    fn push(&mut self, name: &'static str, values: Vec<f32>, width: usize) {
        debug_assert_eq!(values.len(), self.n * width);
        self.cols.push((name, values, width));
    }
    /// The column called `name`.
    pub fn col(&self, name: &str) -> Option<(&[f32], usize)> {
        self.cols
            .iter()
            .find(|c| c.0 == name)
            .map(|c| (c.1.as_slice(), c.2))
    }
}

fn flat(points: &[P2]) -> Vec<f32> {
    points
        .iter()
        .flat_map(|p| [p[0] as f32, p[1] as f32])
        .collect()
}

/// Draws a batch of `n` triples for `objective` under `schedule`, with t ∈ [t_min, 1 − t_min].
pub fn draw_batch(
    objective: &Objective,
    schedule: &Schedule,
    target: &ExactTarget,
    n: usize,
    t_min: f64,
    rng: &mut Rng,
) -> HostBatch {
    let x1 = target.sample(rng, n);
    let mut b = HostBatch {
        n,
        cols: Vec::new(),
    };
    if let Objective::ScheduleFree {
        sigma_data,
        log_lambda,
    } = objective
    {
        let (mut u, mut xin, mut tgt) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for x1 in &x1 {
            let lam = draw_lambda(rng, *log_lambda);
            let xi = rng.normal2();
            // y = x1 + λξ, i.e. (σ, β) = (λ, 1) in the preconditioning.
            let (a, bb, c, uu) = precondition(lam, 1.0, *sigma_data, *log_lambda);
            let y = [x1[0] + lam * xi[0], x1[1] + lam * xi[1]];
            u.push(uu as f32);
            xin.push([bb * y[0], bb * y[1]]);
            tgt.push([(x1[0] - a * y[0]) / c, (x1[1] - a * y[1]) / c]);
        }
        b.push("u", u, 1);
        b.push("x", flat(&xin), 2);
        b.push("target", flat(&tgt), 2);
        return b;
    }
    let has_gamma = schedule.has_gamma();
    let (mut u, mut xp, mut xm, mut xm_n) = (vec![], vec![], vec![], vec![]);
    let (mut tb_p, mut tb_m, mut ts, mut tv, mut te) = (vec![], vec![], vec![], vec![], vec![]);
    for x1 in &x1 {
        let t = t_min + (1.0 - 2.0 * t_min) * rng.uniform();
        let (x0, z) = (rng.normal2(), rng.normal2());
        let st = schedule.at(t);
        let s2 = st.sigma2();
        let i = [0, 1].map(|d| st.alpha * x0[d] + st.beta * x1[d]);
        let di = [0, 1].map(|d| st.d_alpha * x0[d] + st.d_beta * x1[d]);
        let n = [0, 1].map(|d| st.alpha * x0[d] + st.gamma * z[d]);
        u.push(t as f32);
        xp.push([0, 1].map(|d| i[d] + st.gamma * z[d]));
        xm.push([0, 1].map(|d| i[d] - st.gamma * z[d]));
        xm_n.push([0, 1].map(|d| st.beta * x1[d] - n[d]));
        tb_p.push([0, 1].map(|d| di[d] + st.d_gamma * z[d]));
        tb_m.push([0, 1].map(|d| di[d] - st.d_gamma * z[d]));
        ts.push([0, 1].map(|d| n[d] / s2));
        tv.push(di);
        te.push(if has_gamma { z } else { x0 });
    }
    b.push("u", u, 1);
    b.push("xp", flat(&xp), 2);
    match objective {
        Objective::VelocityScore => {
            b.push("xm", flat(&xm), 2);
            b.push("xm_n", flat(&xm_n), 2);
            b.push("tb_p", flat(&tb_p), 2);
            b.push("tb_m", flat(&tb_m), 2);
            b.push("ts", flat(&ts), 2);
        }
        Objective::Denoiser => {
            b.push("xm", flat(&xm), 2);
            b.push("tb_p", flat(&tb_p), 2);
            b.push("tb_m", flat(&tb_m), 2);
            b.push("te", flat(&te), 2);
        }
        Objective::VScore => {
            b.push("xm_n", flat(&xm_n), 2);
            b.push("tv", flat(&tv), 2);
            b.push("ts", flat(&ts), 2);
        }
        Objective::ScheduleFree { .. } => unreachable!("handled above"),
    }
    b
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
    let pt = |name: &str, i: usize| -> P2 {
        let (v, _) = batch.col(name).unwrap_or((&[], 2));
        [f64::from(v[2 * i]), f64::from(v[2 * i + 1])]
    };
    let u = |i: usize| f64::from(batch.col("u").map_or(0.0, |(v, _)| v[i]));
    let dot = |a: P2, b: P2| a[0] * b[0] + a[1] * b[1];
    let half_sq = |a: P2| 0.5 * dot(a, a);
    let mean = |f: &dyn Fn(usize) -> f64| (0..n).map(f).sum::<f64>() / n as f64;
    let b_loss = || {
        mean(&|i| {
            let (bp, bm) = (predict(0, u(i), pt("xp", i)), predict(0, u(i), pt("xm", i)));
            0.5 * (half_sq(bp) - dot(pt("tb_p", i), bp) + half_sq(bm) - dot(pt("tb_m", i), bm))
        })
    };
    let s_loss = || {
        mean(&|i| {
            let (sp, sm) = (
                predict(1, u(i), pt("xp", i)),
                predict(1, u(i), pt("xm_n", i)),
            );
            let ts = pt("ts", i);
            0.5 * (half_sq(sp) + dot(ts, sp) + half_sq(sm) - dot(ts, sm))
        })
    };
    match objective {
        Objective::VelocityScore => vec![b_loss(), s_loss()],
        Objective::VScore => {
            let v = mean(&|i| {
                let v = predict(0, u(i), pt("xp", i));
                half_sq(v) - dot(pt("tv", i), v)
            });
            vec![v, s_loss()]
        }
        Objective::Denoiser => {
            let e = mean(&|i| {
                let e = predict(1, u(i), pt("xp", i));
                half_sq(e) - dot(pt("te", i), e)
            });
            vec![b_loss(), e]
        }
        Objective::ScheduleFree { .. } => vec![mean(&|i| {
            let f = predict(0, u(i), pt("x", i));
            let d = [f[0] - pt("target", i)[0], f[1] - pt("target", i)[1]];
            half_sq(d)
        })],
    }
}
