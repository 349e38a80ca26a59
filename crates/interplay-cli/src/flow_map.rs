//! The flow map on the command line: `interplay train --objective flow-map` learns X̂_{s,t},
//! `interplay sample --model FM.ckpt --steps K` samples with K jumps of it (or K Euler steps of
//! its velocity with --euler-steps K), and `interplay error --model FM.ckpt` holds it against the
//! exact map on a grid of (s, t), with its tangent and its few-step samples (JSON).

use std::path::Path;
use std::time::Instant;

use interplay_core::ExactField;
use interplay_core::sampling::{initial_particles, streams};
use interplay_nn::flow_map::eval::{few_step, grid_errors, tangent_errors};
use interplay_nn::flow_map::field::END;
use interplay_nn::flow_map::{Distill, FLOW_MAP_MAGIC, MapCheckpoint, MapTrainer};
use interplay_nn::spec::RunConfig;

use crate::csvio;
use crate::error::CliError;
use crate::error_cmd::ErrorArgs;
use crate::model;
use crate::sample::SampleArgs;
use crate::train::TrainArgs;

/// The K of the few-step rows `interplay error` prints for a map.
pub const FEW_STEPS: [usize; 4] = [1, 2, 4, 8];

fn failed(e: impl ToString) -> CliError {
    CliError::failed(e.to_string())
}

/// Runs `interplay train --objective flow-map`.
pub fn train(a: &TrainArgs, rc: &RunConfig) -> Result<(), CliError> {
    let resumed = a
        .resume
        .as_deref()
        .map(|p| load(p, "--resume"))
        .transpose()?;
    // Without --distill a resumed run keeps its own rule.
    let distill = match a.distill.as_deref() {
        None => resumed
            .as_ref()
            .map_or(Distill::default(), |ck| ck.header.distill),
        Some(name) => Distill::from_name(name).ok_or_else(|| {
            CliError::usage(format!(
                "--distill '{name}' is unknown; use lagrangian, progressive or exact"
            ))
        })?,
    };
    let schedule = rc.schedule.schedule().map_err(CliError::usage)?;
    let target = rc.target.target().map_err(CliError::usage)?;
    let backend = model::backend(a.device)?;
    let mut trainer = match &resumed {
        None => MapTrainer::new(rc.train.clone(), distill, schedule, target, &backend.device)
            .map_err(|e| CliError::usage(e.to_string()))?,
        Some(ck) => {
            if ck.header.train.net != rc.train.net {
                return Err(CliError::usage(
                    "--resume: the checkpoint's network has another architecture than the flags ask for",
                ));
            }
            MapTrainer::resume(
                rc.train.clone(),
                distill,
                schedule,
                target,
                &ck.params,
                ck.header.steps,
                &backend.device,
            )
            .map_err(|e| CliError::usage(format!("--resume: {e}")))?
        }
    };
    let every = (rc.steps / 20).max(1);
    let start = Instant::now();
    let mut last = [f64::NAN; 2];
    for k in 1..=rc.steps {
        let losses = trainer.step();
        if k % every == 0 || k == rc.steps {
            for (slot, l) in last.iter_mut().zip([losses.diagonal, losses.distill]) {
                *slot = pollster::block_on(interplay_nn::read_scalar(l))
                    .map(f64::from)
                    .map_err(failed)?;
            }
            if last.iter().any(|v| !v.is_finite()) {
                return Err(CliError::failed(format!(
                    "the loss became {last:?} at step {k}: lower --lr (now {}); nothing was written",
                    rc.train.lr
                )));
            }
            let rate = k as f64 / start.elapsed().as_secs_f64();
            eprintln!(
                "step {k}/{} {rate:.1} steps/s loss_diagonal {:+.4} loss_{} {:+.4}",
                rc.steps,
                last[0],
                distill.name(),
                last[1]
            );
        }
    }
    let ck = pollster::block_on(trainer.checkpoint()).map_err(failed)?;
    let bytes = ck.to_bytes();
    csvio::write_bytes(&a.out, &bytes)?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "trained {} steps in {secs:.1} s ({:.1} steps/s): loss_diagonal = {:.5}, loss_{} = {:.5}",
        rc.steps,
        rc.steps as f64 / secs,
        last[0],
        distill.name(),
        last[1]
    );
    println!("wrote {} ({} bytes)", a.out.display(), bytes.len());
    Ok(())
}

fn load(path: &Path, flag: &str) -> Result<MapCheckpoint, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::usage(format!("{flag} {}: cannot read it: {e}", path.display())))?;
    MapCheckpoint::from_bytes(&bytes)
        .map_err(|e| CliError::usage(format!("{flag} {}: {e}", path.display())))
}

/// Whether the file at `path` is a flow-map checkpoint (by its first bytes).
pub fn is_flow_map(path: &Path) -> bool {
    model::kind_of(path) == Some(*FLOW_MAP_MAGIC)
}

/// Runs `interplay sample --model FM.ckpt`: --n samples of ρ(0) carried by --steps K jumps of the
/// map (or, with --euler-steps K, K Euler steps of its velocity v̂_{t,t}) to t = 1 − δ.
pub fn sample(a: &SampleArgs, path: &Path) -> Result<(), CliError> {
    if a.common.eps > 0.0 || a.solver.is_some() || a.alphas.is_some() || a.no_denoise {
        return Err(CliError::usage(
            "--model holds a flow map, which jumps along the ODE: give --steps K (K jumps) or \
             --euler-steps K (K Euler steps of its velocity), and drop --eps, --solver, --alphas \
             and --no-denoise",
        ));
    }
    if (a.delta - (1.0 - END)).abs() > 1e-12 {
        return Err(CliError::usage(format!(
            "--delta {}: a flow map ends at t = 1 − {} (where it was trained)",
            a.delta,
            1.0 - END
        )));
    }
    let k = a.euler_steps.unwrap_or(a.steps);
    if a.n == 0 || k == 0 {
        return Err(CliError::usage("--n and --steps must be at least 1"));
    }
    let ck = load(path, "--model")?;
    let backend = model::backend(a.device)?;
    let map = ck
        .field(&backend.device)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let target =
        interplay_core::ExactTarget::new(&ck.target().map_err(|e| CliError::usage(e.to_string()))?);
    if a.common.schedule()? != map.schedule {
        eprintln!(
            "note: a flow map jumps along the ODE of its own schedule ({} + {}); the schedule \
             flags are ignored",
            ck.header.schedule.path.name(),
            ck.header.schedule.gamma.name()
        );
    }
    let x0 = initial_particles(&map.schedule, &target, a.n, a.common.seed);
    let x0 = interplay_nn::sampler::points_tensor(&x0, &backend.device);
    let x = match a.euler_steps {
        Some(k) => map.euler(x0, k),
        None => map.sample(x0, k),
    };
    let xs = pollster::block_on(interplay_nn::read_points(x)).map_err(failed)?;
    csvio::write_samples(
        &a.out,
        &xs,
        "the map's samples are not finite: train it longer",
    )
}

/// Runs `interplay error --model FM.ckpt`: the map's error on the (s, t) grid of the start, --times
/// and 1 − δ; its tangent's error at --times; and its K-step samples for K = 1, 2, 4, 8 beside K
/// Euler steps of its velocity (--n points each).
pub fn error(a: &ErrorArgs, path: &Path) -> Result<(), CliError> {
    a.check()?;
    let ck = load(path, "--model")?;
    let backend = model::backend(a.device)?;
    let map = ck
        .field(&backend.device)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let target = ck.target().map_err(|e| CliError::usage(e.to_string()))?;
    let exact = ExactField::new(map.schedule, &target);
    let (start, end) = map.span();
    let mut grid = vec![start];
    grid.extend(a.times.iter().copied().filter(|t| *t > start && *t < end));
    grid.push(end);
    let seed = a.common.seed ^ streams::FLOW_MAP_SEED;
    let cells = pollster::block_on(grid_errors(&map, &exact, &grid, a.n, seed)).map_err(failed)?;
    let tangent =
        pollster::block_on(tangent_errors(&map, &exact, &a.times, a.n, seed)).map_err(failed)?;
    let steps =
        pollster::block_on(few_step(&map, &exact, &FEW_STEPS, a.n, seed)).map_err(failed)?;
    let worst = cells
        .iter()
        .max_by(|p, q| p.error.total_cmp(&q.error))
        .copied();
    let json = serde_json::json!({
        "model": path.display().to_string(),
        "kind": "flow-map",
        "distill": ck.header.distill.name(),
        "steps_trained": ck.header.steps,
        "n": a.n,
        "grid": grid,
        "cells": cells,
        "worst": worst,
        "tangent": tangent,
        "few_step": steps.iter().map(|f| serde_json::json!({
            "k": f.k,
            "map": {"in_support": f.map.in_support, "tv": f.map.tv},
            "euler": {"in_support": f.euler.in_support, "tv": f.euler.tv},
        })).collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string_pretty(&json).map_err(failed)?);
    Ok(())
}
