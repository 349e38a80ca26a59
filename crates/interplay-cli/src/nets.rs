//! `interplay nets`: sampling an energy known only up to its normalisation (docs/math.md §8.8).
//! Annealed Langevin walkers with Jarzynski weights, and the same walkers with a transport learned
//! by NETS, from the same seed, held against the exact normalisation and density (JSON).

use std::time::Instant;

use clap::Args;
use interplay_core::annealing::{Energy, Walkers, WeightStats, density_bins, exact_log_z};
use interplay_core::metrics::weighted_histogram_tv;
use interplay_core::{ExactField, Rng};
use interplay_nn::nets::{NetsConfig, NetsTrainer, run_walkers};

use crate::args::Common;
use crate::error::CliError;
use crate::model::{self, DeviceArg};

/// `interplay nets` flags.
#[derive(Args, Debug)]
pub struct NetsArgs {
    /// The energy is −log ρ(T, x), the exact density of the interpolant of --target at time T
    /// (T < 1 blurs the target; 0.99 keeps it sharp but finite everywhere).
    #[arg(long, value_name = "T", default_value = "0.99")]
    pub at: f64,
    /// Walkers.
    #[arg(long, default_value = "4000")]
    pub walkers: usize,
    /// Annealing steps from τ = 0 to 1.
    #[arg(long, default_value = "100")]
    pub steps: usize,
    /// Training steps of the transport (0: annealing alone).
    #[arg(long, default_value = "600")]
    pub train_steps: u64,
    /// Where the transport is trained.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceArg,
    #[command(flatten)]
    pub common: Common,
}

fn summary(w: &Walkers, s: &WeightStats, field: &interplay_core::FieldAt) -> serde_json::Value {
    let weights = w.weights();
    serde_json::json!({
        "ess": s.ess,
        "log_z": s.log_z,
        "log_z_error": s.log_z - exact_log_z(),
        "tv_16": weighted_histogram_tv(&w.x, &weights, &density_bins(field, 16)),
        "tv_32": weighted_histogram_tv(&w.x, &weights, &density_bins(field, 32)),
    })
}

/// Runs `interplay nets`.
pub fn run(a: &NetsArgs) -> Result<(), CliError> {
    if !(a.at > 0.0 && a.at < 1.0) {
        return Err(CliError::usage(format!(
            "--at {}: T must be in (0, 1)",
            a.at
        )));
    }
    let eps = a.common.eps;
    if eps <= 0.0 {
        return Err(CliError::usage(
            "--eps: the walkers need Langevin noise, ε > 0 (try --eps 1)",
        ));
    }
    if a.walkers == 0 || a.steps == 0 {
        return Err(CliError::usage("--walkers and --steps must be at least 1"));
    }
    let target = a.common.target()?;
    if matches!(target, interplay_core::Target::Line(_)) {
        return Err(CliError::usage(
            "--target: the walkers live in the plane; choose a target in the plane",
        ));
    }
    let schedule = a.common.schedule()?;
    let field = ExactField::new(schedule, &target);
    let energy = || Energy::new(field.at(a.at));
    let config = NetsConfig {
        walkers: a.walkers,
        steps: a.steps,
        eps,
        seed: a.common.seed,
        ..NetsConfig::default()
    };
    let backend = model::backend(a.device)?;
    let failed = |e: interplay_nn::NnError| CliError::failed(e.to_string());
    let start = Instant::now();
    let mut trainer =
        pollster::block_on(NetsTrainer::new(energy(), config.clone(), &backend.device))
            .map_err(failed)?;
    let mut loss = f64::NAN;
    for k in 1..=a.train_steps {
        let l = pollster::block_on(trainer.train_step()).map_err(failed)?;
        if k % 100 == 0 || k == a.train_steps {
            loss = pollster::block_on(interplay_nn::read_scalar(l))
                .map(f64::from)
                .map_err(failed)?;
            eprintln!("step {k}/{} loss {loss:.4}", a.train_steps);
        }
    }
    let train_s = start.elapsed().as_secs_f64();
    let plain_device = backend.device.clone();
    let e = energy();
    let seed = a.common.seed ^ interplay_core::sampling::streams::NETS_SEED;
    let (wp, plain, _) = pollster::block_on(run_walkers(
        &e,
        None,
        &plain_device,
        &config,
        &mut Rng::new(seed),
    ))
    .map_err(failed)?;
    let mut json = serde_json::json!({
        "target": a.common.target,
        "at": a.at,
        "walkers": a.walkers,
        "steps": a.steps,
        "eps": eps,
        "exact_log_z": exact_log_z(),
        "annealing": summary(&wp, &plain[a.steps], e.field()),
    });
    if a.train_steps > 0 {
        let t = trainer.transport();
        let (wl, learned, _) = pollster::block_on(run_walkers(
            &e,
            Some(&t),
            &plain_device,
            &config,
            &mut Rng::new(seed),
        ))
        .map_err(failed)?;
        json["learned"] = summary(&wl, &learned[a.steps], e.field());
        json["train_steps"] = a.train_steps.into();
        json["train_seconds"] = train_s.into();
        json["final_loss"] = loss.into();
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&json).map_err(|e| CliError::failed(e.to_string()))?
    );
    Ok(())
}
