//! The multi-marginal interpolant on the command line: `interplay train --objective
//! multimarginal --second TARGET` learns g_k(α, x) for N(0, I), --target and --second, and
//! `interplay sample --model MM.ckpt --alphas A0,A1,A2;…` carries samples of ρ(α) along a path on
//! the triangle with the learned velocity Σ_k α̇_k g_k.

use std::time::Instant;

use interplay_core::multimarginal::{Alpha, sample_targets};
use interplay_core::{ExactTarget, Rng};
use interplay_nn::multi::{TrianglePath, carry};
use interplay_nn::multi_train::{MULTI_MAGIC, MultiCheckpoint, MultiTrainer};
use interplay_nn::spec::RunConfig;

use crate::args::parse_target;
use crate::csvio;
use crate::error::CliError;
use crate::model;
use crate::sample::SampleArgs;
use crate::train::TrainArgs;

/// The second target when --second is not given: rings, whose components are isotropic.
pub const DEFAULT_SECOND: &str = "rings";

/// Runs `interplay train --objective multimarginal`.
pub fn train(a: &TrainArgs, rc: &RunConfig) -> Result<(), CliError> {
    let first = rc.target.target().map_err(CliError::usage)?;
    let backend = model::backend(a.device)?;
    let mut trainer = match &a.resume {
        None => {
            let second = parse_target(a.second.as_deref().unwrap_or(DEFAULT_SECOND), "--second")?;
            MultiTrainer::new(rc.train.clone(), first, second, &backend.device)
                .map_err(|e| CliError::usage(e.to_string()))?
        }
        Some(path) => {
            // The flags' settings and --target; --second defaults to the checkpoint's.
            let ck = load(path, "--resume")?;
            let second = match &a.second {
                Some(s) => parse_target(s, "--second")?,
                None => ck.header.second.target().map_err(CliError::usage)?,
            };
            MultiTrainer::resume_with(rc.train.clone(), first, second, &ck, &backend.device)
                .map_err(|e| CliError::usage(format!("--resume: {e}")))?
        }
    };
    let every = (rc.steps / 20).max(1);
    let start = Instant::now();
    let mut last = f64::NAN;
    for k in 1..=rc.steps {
        let loss = trainer.step();
        if k % every == 0 || k == rc.steps {
            last = pollster::block_on(interplay_nn::read_scalar(loss))
                .map(f64::from)
                .map_err(|e| CliError::failed(e.to_string()))?;
            if !last.is_finite() {
                return Err(CliError::failed(format!(
                    "the loss became {last} at step {k}: lower --lr (now {}); nothing was written",
                    rc.train.lr
                )));
            }
            let rate = k as f64 / start.elapsed().as_secs_f64();
            eprintln!("step {k}/{} {rate:.1} steps/s loss_g {last:+.4}", rc.steps);
        }
    }
    let ck =
        pollster::block_on(trainer.checkpoint()).map_err(|e| CliError::failed(e.to_string()))?;
    let bytes = ck.to_bytes();
    csvio::write_bytes(&a.out, &bytes)?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "trained {} steps in {secs:.1} s ({:.1} steps/s): loss_g = {last:.5}",
        rc.steps,
        rc.steps as f64 / secs
    );
    println!("wrote {} ({} bytes)", a.out.display(), bytes.len());
    Ok(())
}

fn load(path: &std::path::Path, flag: &str) -> Result<MultiCheckpoint, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::usage(format!("{flag} {}: cannot read it: {e}", path.display())))?;
    MultiCheckpoint::from_bytes(&bytes)
        .map_err(|e| CliError::usage(format!("{flag} {}: {e}", path.display())))
}

/// Whether the file at `path` is a multi-marginal checkpoint (by its first bytes).
pub fn is_multi(path: &std::path::Path) -> bool {
    model::kind_of(path) == Some(*MULTI_MAGIC)
}

/// Parses `A0,A1,A2;B0,B1,B2;…` (points of the triangle; two or more).
pub fn parse_alphas(s: &str) -> Result<TrianglePath, CliError> {
    let knots = s
        .split(';')
        .map(|p| {
            let v: Vec<f64> = p
                .split(',')
                .map(|x| x.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|_| format!("'{p}' is not three numbers a0,a1,a2"))?;
            let a =
                <Alpha>::try_from(v).map_err(|_| format!("'{p}' is not three numbers a0,a1,a2"))?;
            // Weights written to a few decimals (0.333,0.333,0.333) are rescaled, as the page does.
            let sum: f64 = a.iter().sum();
            Ok(
                if (sum - 1.0).abs() <= 2e-3 && a.iter().all(|x| *x >= 0.0) {
                    a.map(|x| x / sum)
                } else {
                    a
                },
            )
        })
        .collect::<Result<Vec<Alpha>, String>>()
        .and_then(TrianglePath::new);
    knots.map_err(|e| CliError::usage(format!("--alphas {s}: {e}")))
}

/// Runs `interplay sample --model MM.ckpt --alphas …`: --n samples of ρ(α(0)) drawn directly,
/// carried along the path with RK4 (--steps per leg), written as x,y.
pub fn sample(a: &SampleArgs, path: &std::path::Path) -> Result<(), CliError> {
    if a.common.eps > 0.0 || a.euler_steps.is_some() || a.solver.is_some() {
        return Err(CliError::usage(
            "a multimarginal model carries samples along its path with RK4 (the ODE): drop \
             --eps, --solver and --euler-steps",
        ));
    }
    let Some(alphas) = &a.alphas else {
        return Err(CliError::usage(
            "--model holds a multimarginal model, which samples along a path on the triangle: \
             give --alphas A0,A1,A2;B0,B1,B2 (the weights of N(0, I), its first and its second \
             target at each point)",
        ));
    };
    let route = parse_alphas(alphas)?;
    if a.n == 0 || a.steps == 0 {
        return Err(CliError::usage("--n and --steps must be at least 1"));
    }
    let ck = load(path, "--model")?;
    let backend = model::backend(a.device)?;
    let field = ck
        .field(&backend.device)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let [first, second] = ck.targets().map_err(|e| CliError::usage(e.to_string()))?;
    let (start, _) = route.ends();
    let mut rng = Rng::new(a.common.seed);
    let starts = sample_targets(
        &ExactTarget::new(&first),
        &ExactTarget::new(&second),
        start,
        &mut rng,
        a.n,
    );
    let frames = pollster::block_on(carry(&field, &route, &starts, a.steps))
        .map_err(|e| CliError::failed(e.to_string()))?;
    let xs = frames.last().cloned().unwrap_or_default();
    csvio::write_samples(&a.out, &xs, "try more --steps")
}
