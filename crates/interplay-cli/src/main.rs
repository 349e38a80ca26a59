//! `interplay`: the native command line of Interplay (README, "The command line").
//!
//! `field`, `sample` and `eval` work on the exact fields or on trained models (`train`); every
//! subcommand takes the same
//! schedule, ε, target and seed flags. Errors go to stderr with a non-zero exit and name the
//! flag, file or line at fault; no partial output file is ever left behind.

mod args;
mod bench;
mod csvio;
mod error;
mod error_cmd;
mod field;
mod figure;
mod figure_source;
mod flow_map;
mod model;
mod multi;
mod nets;
mod nets_model;
mod png_figure;
mod sample;
mod scene;
mod straight;
mod svg;
mod train;
mod ttq;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use interplay_core::metrics;

use crate::args::Common;
use crate::error::CliError;

/// Stochastic interpolants from the command line: exact fields, samples and metrics.
#[derive(Parser, Debug)]
#[command(name = "interplay", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The exact field (velocity, score, density or posterior mean) at given points.
    Field(field::FieldArgs),
    /// Samples at t = 1 from ρ0 pushed by the ODE or SDE.
    Sample(sample::SampleArgs),
    /// Trains networks (velocity and score, a denoiser, the schedule-free D, a multimarginal
    /// field or a flow map) and writes a checkpoint.
    Train(train::TrainArgs),
    /// Metrics of a sample CSV against the target, as JSON.
    Eval(EvalArgs),
    /// A trained model's velocity and score error against the exact fields (relative L2 over
    /// ρ(t) at t = 0.1, 0.3, 0.5, 0.7, 0.9), or a flow map's error against the exact map on a
    /// grid of (s, t), as JSON.
    Error(error_cmd::ErrorArgs),
    /// How straight a trained model's flow is (kinetic energy against transport cost) and how well
    /// it samples in 1, 2, 4 and 8 Euler steps, as JSON.
    Straightness(straight::StraightnessArgs),
    /// The density and the particles of the exact fields at several times, as one PNG.
    Figure(figure::FigureArgs),
    /// Throughput of the exact fields and integrators.
    Bench(bench::BenchArgs),
    /// Sampling an energy known up to its normalisation: annealed walkers with Jarzynski weights,
    /// with and without a learned transport (NETS), against the exact log Z and density, as JSON.
    Nets(nets::NetsArgs),
    /// Walkers annealed to the energy of a transport checkpoint (--objective nets), moved by its
    /// drift (or by none, --no-drift), written with their log-weights; prints the ESS and the
    /// log Z estimate beside the exact value.
    SampleEnergy(nets_model::SampleEnergyArgs),
}

/// `interplay eval`.
#[derive(clap::Args, Debug)]
struct EvalArgs {
    /// Samples (CSV with header x,y; a log_w column of log-weights, as sample-energy writes,
    /// makes them weighted samples).
    input: PathBuf,
    #[command(flatten)]
    common: Common,
}

fn eval(a: &EvalArgs) -> Result<(), CliError> {
    let target = a.common.exact_target()?;
    let (points, weights) = csvio::read_weighted(&a.input)
        .map_err(|e| CliError::usage(format!("{}: {e}", a.input.display())))?;
    if points.is_empty() {
        return Err(CliError::usage(format!(
            "{}: no samples",
            a.input.display()
        )));
    }
    // Weighted samples (a log_w column): the weighted numbers directly, and every other metric
    // of a systematic resample of them (as many points), an unweighted sample of the same
    // distribution.
    let xs = match &weights {
        Some(w) => metrics::resample(
            &points,
            w,
            points.len(),
            &mut interplay_core::Rng::stream(
                a.common.seed,
                interplay_core::sampling::streams::RESAMPLE,
            ),
        ),
        None => points.clone(),
    };
    let m = metrics::evaluate(&target, &xs, a.common.seed);
    let mut json = serde_json::json!({
        "target": a.common.target,
        "n": m.n,
        "non_finite": m.non_finite,
        "in_support": m.in_support,
        "in_support_reference": m.in_support_reference,
        "sliced_w2": m.sliced_w2,
        "tv": m.tv,
        "tv_fine": m.tv_fine,
        "energy": m.energy,
        "nll_kde": m.nll_kde,
        "mean": m.mean,
        "cov": [[m.cov[0], m.cov[1]], [m.cov[1], m.cov[2]]],
    });
    if let Some(w) = &weights {
        let total: f64 = w.iter().sum();
        let normalised: Vec<f64> = w.iter().map(|v| v / total).collect();
        let inside: f64 = points
            .iter()
            .zip(&normalised)
            .filter(|(x, _)| metrics::in_support(&target, **x))
            .map(|(_, v)| v)
            .sum();
        json["weighted"] = serde_json::json!({
            "ess": metrics::ess(w),
            "in_support": inside,
            "tv": metrics::weighted_histogram_tv(&points, &normalised, &metrics::tv_reference(&target)),
            "note": "the other metrics are those of a systematic resample of the weighted points",
        });
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&json).map_err(|e| CliError::failed(e.to_string()))?
    );
    Ok(())
}

/// Training frees and re-allocates the same activations every step; mimalloc reuses them where
/// the system allocator returns them to the kernel and faults them in again.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its option 15 in the pinned libmimalloc-sys 0.1.49,
/// mimalloc v3's `mi_option_e`).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory mapped. By default mimalloc hands memory it has not reused within 10 ms
/// back to the kernel; a training step at batch 4096 frees and allocates hundreds of MB of
/// activations, so the next step faulted them in again, each fault zeroing a 2 MB huge page
/// (about 160 faults per step; BENCHMARKS.md, "Native CPU training against
/// PyTorch at batch 4096"). The process never
/// holds more than its peak.
fn keep_freed_memory() {
    // SAFETY: mi_option_set only stores an integer in mimalloc's option table; the option is
    // read when memory is purged, and setting it at any time is supported.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
    }
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Field(a) => field::run(a),
        // A multi-marginal model or run goes to its own module; the others never see it.
        Command::Sample(a) => match a.model.as_deref() {
            Some(path) if multi::is_multi(path) => multi::sample(a, path),
            Some(path) if flow_map::is_flow_map(path) => flow_map::sample(a, path),
            _ => sample::run(a),
        },
        Command::Train(a) if nets_model::is_nets(a) => nets_model::train(a),
        Command::Train(a) => train::run_config(a).and_then(|rc| match rc.train.objective {
            interplay_core::ObjectiveKind::Multimarginal => multi::train(a, &rc),
            interplay_core::ObjectiveKind::FlowMap => flow_map::train(a, &rc),
            _ => train::run(a, rc),
        }),
        Command::Eval(a) => eval(a),
        Command::Error(a) if flow_map::is_flow_map(&a.model) => flow_map::error(a, &a.model),
        Command::Error(a) => error_cmd::run(a),
        Command::Straightness(a) => straight::run(a),
        Command::Figure(a) => figure::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Nets(a) => nets::run(a),
        Command::SampleEnergy(a) => nets_model::sample(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.code as u8)
        }
    }
}
