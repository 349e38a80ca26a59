//! A learned flow map held against the exact one: E|X̂_{s,t}(x_s) − X_{s,t}(x_s)| over
//! x_s ~ ρ(s) on a grid of (s, t), the tangent's error E|v̂_{t,t} − b_t| over ρ(t), and the
//! quality of K-step samples beside K Euler steps of the map's own velocity.

use interplay_core::flow_map::exact_flow_map_at;
use interplay_core::metrics::{self, Metrics};
use interplay_core::sampling::{initial_particles, interpolant_samples};
use interplay_core::{ExactField, P2};
use serde::Serialize;

use super::field::MapField;
use crate::sampler::points_tensor;
use crate::{NnError, read_points};

/// The map's error at one (s, t).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CellError {
    /// The start time.
    pub s: f64,
    /// The end time.
    pub t: f64,
    /// E|X̂_{s,t}(x_s) − X_{s,t}(x_s)|.
    pub error: f64,
    /// E|X_{s,t}(x_s) − x_s|, how far the exact map moves the points (the error's scale).
    pub moved: f64,
}

/// The tangent's error at one t.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TangentError {
    /// The time.
    pub t: f64,
    /// E|v̂_{t,t}(x_t) − b_t(x_t)| over x_t ~ ρ(t).
    pub error: f64,
    /// E|b_t(x_t)|.
    pub speed: f64,
}

/// The mean distance between the points of `a` and `b`, pair by pair.
pub fn mean_distance(a: &[P2], b: &[P2]) -> f64 {
    let sum: f64 = a
        .iter()
        .zip(b)
        .map(|(p, q)| (p[0] - q[0]).hypot(p[1] - q[1]))
        .sum();
    sum / a.len().max(1) as f64
}

/// The error of every cell s < t of `times` (increasing, within the map's span), `n` points per
/// start time drawn from ρ(s) with `seed`. `exact` must be the exact field of the map's schedule
/// and target. One exact solve per start time serves its whole row.
pub async fn grid_errors(
    map: &MapField,
    exact: &ExactField,
    times: &[f64],
    n: usize,
    seed: u64,
) -> Result<Vec<CellError>, NnError> {
    let mut out = Vec::new();
    for (i, &s) in times.iter().enumerate() {
        let ts = &times[i + 1..];
        if ts.is_empty() {
            break;
        }
        let xs = interpolant_samples(exact.schedule(), exact.target(), s, n, seed);
        let rows = exact_flow_map_at(exact, &xs, s, ts).map_err(NnError::Config)?;
        let x = points_tensor(&xs, &map.device());
        for (&t, want) in ts.iter().zip(&rows) {
            let got = read_points(map.jump(s, t, x.clone())).await?;
            out.push(CellError {
                s,
                t,
                error: mean_distance(&got, want),
                moved: mean_distance(want, &xs),
            });
        }
    }
    Ok(out)
}

/// The tangent's error at each of `times`, `n` points of ρ(t) each.
pub async fn tangent_errors(
    map: &MapField,
    exact: &ExactField,
    times: &[f64],
    n: usize,
    seed: u64,
) -> Result<Vec<TangentError>, NnError> {
    let mut out = Vec::with_capacity(times.len());
    for &t in times {
        let xs = interpolant_samples(exact.schedule(), exact.target(), t, n, seed);
        let got = read_points(map.velocity(t, points_tensor(&xs, &map.device()))).await?;
        let at = exact.at(t);
        let want: Vec<P2> = xs.iter().map(|&x| at.velocity(x)).collect();
        let zero = vec![[0.0, 0.0]; n];
        out.push(TangentError {
            t,
            error: mean_distance(&got, &want),
            speed: mean_distance(&want, &zero),
        });
    }
    Ok(out)
}

/// What K steps give: the map's K jumps and K Euler steps of its velocity, from the same starts.
#[derive(Clone, Debug, PartialEq)]
pub struct FewStep {
    /// K.
    pub k: usize,
    /// Samples of the map's K jumps, scored against the target.
    pub map: Metrics,
    /// Samples of K Euler steps of v̂_{t,t}, scored the same way.
    pub euler: Metrics,
}

/// The K-step samplers for each K of `ks`, `n` samples each from the same starts (`seed`).
pub async fn few_step(
    map: &MapField,
    exact: &ExactField,
    ks: &[usize],
    n: usize,
    seed: u64,
) -> Result<Vec<FewStep>, NnError> {
    let x0 = initial_particles(exact.schedule(), exact.target(), n, seed);
    let x0 = points_tensor(&x0, &map.device());
    let mut out = Vec::with_capacity(ks.len());
    for &k in ks {
        let m = read_points(map.sample(x0.clone(), k)).await?;
        let e = read_points(map.euler(x0.clone(), k)).await?;
        out.push(FewStep {
            k,
            map: metrics::evaluate(exact.target(), &m, seed),
            euler: metrics::evaluate(exact.target(), &e, seed),
        });
    }
    Ok(out)
}
