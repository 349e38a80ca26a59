//! The transport sampler's model on the command line: `interplay train --objective nets
//! --energy NAME` learns a NETS transport for the energy −log ρ(at, x) of a target and writes its
//! checkpoint; `interplay sample-energy --model N.ckpt` runs walkers with it (or without it,
//! --no-drift: annealing alone) and writes them with their log-weights.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use interplay_core::annealing::{Energy, density_bins, energy_time, exact_log_z};
use interplay_core::metrics::weighted_histogram_tv;
use interplay_core::{Rng, Target};
use interplay_nn::nets::{NetsConfig, NetsTrainer, run_walkers};
use interplay_nn::nets_checkpoint::{NETS_MAGIC, NetsCheckpoint, NetsHeader};
use interplay_nn::spec::TargetSpec;

use crate::args::parse_target;
use crate::csvio;
use crate::error::CliError;
use crate::model::{self, DeviceArg};
use crate::train::TrainArgs;

fn failed(e: impl ToString) -> CliError {
    CliError::failed(e.to_string())
}

/// Whether `interplay train` is asked for a transport.
pub fn is_nets(a: &TrainArgs) -> bool {
    a.objective == "nets"
}

/// The energy the flags name: `--energy NAME` (a target's name or file form), at `--at` or the
/// target's energy time.
fn energy(a: &TrainArgs) -> Result<(Target, f64), CliError> {
    let name = a.energy.as_deref().ok_or_else(|| {
        CliError::usage(
            "--objective nets needs --energy NAME: a target whose exact density is the energy \
             (gmm, rings, checkerboard, moons, spirals, or drawn:FILE)",
        )
    })?;
    let target = parse_target(name, "--energy")?;
    let at = a.at.unwrap_or_else(|| energy_time(&target));
    Energy::of(&target, at).map_err(|e| CliError::usage(format!("--energy {name}: {e}")))?;
    Ok((target, at))
}

/// Runs `interplay train --objective nets`.
pub fn train(a: &TrainArgs) -> Result<(), CliError> {
    for (given, flag) in [
        (a.config.is_some(), "--config"),
        (a.resume.is_some(), "--resume"),
        (a.distill.is_some(), "--distill"),
        (a.second.is_some(), "--second"),
    ] {
        if given {
            return Err(CliError::usage(format!(
                "{flag} is not a setting of --objective nets"
            )));
        }
    }
    if a.steps == 0 {
        return Err(CliError::usage("--steps must be at least 1"));
    }
    let (target, at) = energy(a)?;
    let defaults = NetsConfig::default();
    let config = NetsConfig {
        net: crate::train::net_config(a)?,
        batch: a.batch,
        lr: a.lr.unwrap_or(defaults.lr),
        eps: if a.common.eps > 0.0 {
            a.common.eps
        } else {
            defaults.eps
        },
        seed: a.common.seed,
        ..defaults
    };
    let backend = model::backend(a.device)?;
    let energy = Energy::of(&target, at).map_err(CliError::usage)?;
    let start = Instant::now();
    let mut trainer = pollster::block_on(NetsTrainer::new(energy, config, &backend.device))
        .map_err(|e| CliError::usage(e.to_string()))?;
    for k in 1..=a.steps {
        let loss = pollster::block_on(trainer.train_step()).map_err(failed)?;
        if k % 100 == 0 || k == a.steps {
            let loss = pollster::block_on(interplay_nn::read_scalar(loss)).map_err(failed)?;
            eprintln!(
                "step {k}/{} loss {loss:.4} ({:.1} s)",
                a.steps,
                start.elapsed().as_secs_f64()
            );
        }
    }
    let header = NetsHeader::of(&trainer, TargetSpec::from(&target), at);
    let ck =
        pollster::block_on(NetsCheckpoint::of(header, &trainer.transport())).map_err(failed)?;
    csvio::write_bytes(&a.out, &ck.to_bytes())?;
    eprintln!(
        "wrote {} (a transport for −log ρ({at}, x) of {}, {} steps)",
        a.out.display(),
        TargetSpec::from(&target).name,
        a.steps
    );
    Ok(())
}

/// `interplay sample-energy` flags.
#[derive(Args, Debug)]
pub struct SampleEnergyArgs {
    /// A transport checkpoint (`interplay train --objective nets`).
    #[arg(long, value_name = "CKPT")]
    pub model: PathBuf,
    /// Walkers.
    #[arg(long, default_value = "4000")]
    pub n: usize,
    /// Annealing steps from τ = 0 to 1.
    #[arg(long, default_value = "100")]
    pub steps: usize,
    /// Langevin noise ε of the walkers (it may differ from training's).
    #[arg(long, default_value = "1")]
    pub eps: f64,
    /// Run the walkers without the learned drift (b̂ = 0: annealing alone), for comparison.
    #[arg(long)]
    pub no_drift: bool,
    /// Seed of the walkers.
    #[arg(long, default_value = "0")]
    pub seed: u64,
    /// Where the walkers run.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceArg,
    /// Output CSV: the walkers at τ = 1 with their log-weights, header `x,y,log_w`.
    #[arg(long, value_name = "CSV")]
    pub out: PathBuf,
}

/// Reads a transport checkpoint; one of another kind is named.
fn load(path: &Path) -> Result<NetsCheckpoint, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::usage(format!("--model {}: cannot read it: {e}", path.display())))?;
    if bytes.get(..8) != Some(&NETS_MAGIC[..]) && model::kind_of(path).is_some() {
        let what = match bytes.get(..8) {
            Some(m) if m == interplay_nn::checkpoint::MAGIC => {
                "a velocity or score model: sample it with interplay sample --model"
            }
            Some(m) if m == interplay_nn::flow_map::FLOW_MAP_MAGIC => {
                "a flow map: sample it with interplay sample --model --steps K"
            }
            Some(m) if m == interplay_nn::multi_train::MULTI_MAGIC => {
                "a multimarginal model: sample it with interplay sample --model --alphas"
            }
            _ => "no transport (it does not start with \"IPLYNETS\")",
        };
        return Err(CliError::usage(format!(
            "--model {}: this checkpoint holds {what}; sample-energy reads a transport from interplay train --objective nets",
            path.display()
        )));
    }
    NetsCheckpoint::from_bytes(&bytes)
        .map_err(|e| CliError::usage(format!("--model {}: {e}", path.display())))
}

/// Runs `interplay sample-energy`.
pub fn sample(a: &SampleEnergyArgs) -> Result<(), CliError> {
    if !(a.eps > 0.0 && a.eps.is_finite()) {
        return Err(CliError::usage(
            "--eps: the walkers need Langevin noise, ε > 0 (try --eps 1)",
        ));
    }
    if a.n == 0 || a.steps == 0 {
        return Err(CliError::usage("--n and --steps must be at least 1"));
    }
    let ck = load(&a.model)?;
    let energy = ck.energy().map_err(|e| CliError::usage(e.to_string()))?;
    let backend = model::backend(a.device)?;
    let transport = ck.transport(&backend.device).map_err(failed)?;
    let config = NetsConfig {
        walkers: a.n,
        steps: a.steps,
        eps: a.eps,
        seed: a.seed,
        ..ck.header.config.clone()
    };
    let drift = (!a.no_drift).then_some(&transport);
    let mut rng = Rng::new(a.seed ^ interplay_core::sampling::streams::NETS_SEED);
    let (w, record, _) = pollster::block_on(run_walkers(
        &energy,
        drift,
        &backend.device,
        &config,
        &mut rng,
    ))
    .map_err(failed)?;
    let rows: Vec<Vec<f64>> =
        w.x.iter()
            .zip(&w.log_w)
            .map(|(x, l)| vec![x[0], x[1], *l])
            .collect();
    if rows.iter().flatten().any(|v| !v.is_finite()) {
        return Err(CliError::failed(
            "a walker or its weight is not finite: try more --steps or a smaller --eps (nothing was written)",
        ));
    }
    csvio::write_rows(&a.out, "x,y,log_w", &rows)?;
    let end = record.last().copied().unwrap_or_else(|| w.stats());
    let tv = weighted_histogram_tv(&w.x, &w.weights(), &density_bins(energy.field(), 16));
    println!("ess {:.4}", end.ess);
    println!("log_z {:.4} (exact {:.4})", end.log_z, exact_log_z());
    println!("tv {tv:.4}");
    eprintln!(
        "wrote {} ({} walkers, {} steps, ε = {}, {})",
        a.out.display(),
        a.n,
        a.steps,
        a.eps,
        if a.no_drift {
            "no drift: annealing alone".to_owned()
        } else {
            format!("the drift of {} training steps", ck.header.steps)
        }
    );
    Ok(())
}
