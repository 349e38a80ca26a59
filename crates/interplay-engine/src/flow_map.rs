//! The flow map's two views in the engine: its K jumps beside the exact ODE from the same
//! starts, and its error against the exact map on a grid of (s, t) that fills in one row per
//! request. The exact side is solved once and kept with the run (`crate::map_run`).

use std::cell::RefCell;

use interplay_core::flow_map::{JUMPS, exact_flow_map_at};
use interplay_core::sampling::{initial_particles, interpolant_samples, streams};
use interplay_nn::flow_map::eval::mean_distance;
use interplay_nn::sampler::points_tensor;

use crate::effort::Effort;
use crate::map_run::{ExactPaths, ExactRow};
use crate::protocol::{MapErrors, MapJumps};
use crate::session::{EngineError, Outcome, Session};

fn refused(e: impl std::fmt::Display) -> EngineError {
    EngineError::refused(e)
}

/// `k` must be one of [`JUMPS`]; the message says which are.
pub(crate) fn check_jumps(k: u32) -> Outcome<usize> {
    if JUMPS.contains(&k) {
        Ok(k as usize)
    } else {
        Err(EngineError::refused(format!(
            "{k} jumps: the flow map jumps 1, 2, 4 or 8 times from t = 0 to t = 1"
        )))
    }
}

/// The map's `k` jumps from `n` starting points (`seed`) of ρ(0), beside the exact ODE's flow
/// from the same points at the same times.
pub(crate) async fn jumps(cell: &RefCell<Session>, k: u32, n: u32, seed: u32) -> Outcome<MapJumps> {
    let k = check_jumps(k)?;
    let (learned, times, exact, generation, model_steps) = {
        let mut st = cell.borrow_mut();
        let n = n.clamp(1, Effort::of(&st.backend).particles as u32);
        let (generation, model_steps) = (st.generation, st.steps());
        let device = st.backend.device.clone();
        let run = st.map_run()?;
        let field = run.trainer.field();
        let times = field.grid(k);
        let key = (n, seed);
        if run.paths.as_ref().is_none_or(|p| p.key != key) {
            // One solve through the times of every K, so switching K costs no solve.
            let mut all: Vec<f64> = JUMPS.iter().flat_map(|&j| field.grid(j as usize)).collect();
            all.sort_by(f64::total_cmp);
            all.dedup();
            let x0 = initial_particles(
                &field.schedule,
                run.exact.target(),
                n as usize,
                u64::from(seed),
            );
            let mut at = vec![x0.clone()];
            at.extend(exact_flow_map_at(&run.exact, &x0, all[0], &all[1..]).map_err(refused)?);
            run.paths = Some(ExactPaths {
                key,
                times: all,
                at,
            });
        }
        let paths = run
            .paths
            .as_ref()
            .ok_or_else(|| refused("no exact paths"))?;
        let exact: Vec<f32> = times
            .iter()
            .flat_map(|t| {
                let i = paths.times.iter().position(|u| u == t).unwrap_or(0);
                paths.at[i].iter().flat_map(|p| [p[0] as f32, p[1] as f32])
            })
            .collect();
        // The learned side: the same starts, jump by jump, each stop kept.
        let mut x = points_tensor(&paths.at[0], &device);
        let mut learned = vec![x.clone()];
        for w in times.windows(2) {
            x = field.jump(w[0], w[1], x);
            learned.push(x.clone());
        }
        let learned = burn::tensor::Tensor::cat(learned, 0);
        (learned, times, exact, generation, model_steps)
    };
    let learned = interplay_nn::read_values(learned).await.map_err(refused)?;
    let target = cell.borrow().target();
    let n = exact.len() / 2 / times.len();
    let in_squares = |v: &[f32]| {
        let end = &v[v.len() - 2 * n..];
        let inside = end
            .chunks(2)
            .filter(|p| {
                interplay_core::metrics::in_support(&target, [f64::from(p[0]), f64::from(p[1])])
            })
            .count();
        inside as f64 / n as f64
    };
    Ok(MapJumps {
        k: k as u32,
        n: n as u32,
        times,
        in_squares: [in_squares(&learned), in_squares(&exact)],
        learned,
        exact,
        generation,
        model_steps,
    })
}

/// The map's error E|X̂_{s,t}(x_s) − X_{s,t}(x_s)| on the grid's cells s < t, over the rows
/// solved so far: each request solves at most one more row of the exact map, so the grid fills
/// in over the first requests, then every request is only the network's jumps.
pub(crate) async fn errors(cell: &RefCell<Session>) -> Outcome<MapErrors> {
    let (jumps, rows, times, generation, model_steps) = {
        let mut st = cell.borrow_mut();
        let points = (Effort::of(&st.backend).metrics.0 / 2) as usize;
        let (generation, model_steps) = (st.generation, st.steps());
        let device = st.backend.device.clone();
        let run = st.map_run()?;
        let times = run.grid();
        let next = run.rows.len();
        if next + 1 < times.len() {
            let s = times[next];
            let seed = streams::FLOW_MAP_SEED ^ next as u64;
            let xs = interpolant_samples(run.exact.schedule(), run.exact.target(), s, points, seed);
            let ends =
                exact_flow_map_at(&run.exact, &xs, s, &times[next + 1..]).map_err(refused)?;
            let moved = ends.iter().map(|e| mean_distance(e, &xs)).collect();
            run.rows.push(ExactRow { s, xs, ends, moved });
        }
        let field = run.trainer.field();
        let mut jumps = Vec::new();
        for (i, row) in run.rows.iter().enumerate() {
            let x = points_tensor(&row.xs, &device);
            for j in 0..row.ends.len() {
                jumps.push(field.jump(row.s, times[i + 1 + j], x.clone()));
            }
        }
        (jumps, run.rows.len(), times, generation, model_steps)
    };
    // One read for the whole grid (one wait for the device on WebGPU).
    let mut out = MapErrors {
        times,
        s: Vec::new(),
        t: Vec::new(),
        error: Vec::new(),
        moved: Vec::new(),
        generation,
        model_steps,
    };
    if jumps.is_empty() {
        return Ok(out);
    }
    let got = interplay_nn::read_points(burn::tensor::Tensor::cat(jumps, 0))
        .await
        .map_err(refused)?;
    // The exact rows as they were when the jumps were queued (a later request only adds rows).
    let mut st = cell.borrow_mut();
    if st.generation != generation {
        return Err(EngineError::Replaced);
    }
    let run = st.map_run()?;
    let mut from = 0;
    for (i, row) in run.rows.iter().take(rows).enumerate() {
        for (j, (want, moved)) in row.ends.iter().zip(&row.moved).enumerate() {
            let got = &got[from..from + row.xs.len()];
            from += row.xs.len();
            out.s.push(row.s);
            out.t.push(out.times[i + 1 + j]);
            out.error.push(mean_distance(got, want));
            out.moved.push(*moved);
        }
    }
    Ok(out)
}
