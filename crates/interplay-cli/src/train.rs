//! `interplay train`: trains networks on the CPU (or a GPU) and writes a checkpoint.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use interplay_core::ObjectiveKind;
use interplay_nn::checkpoint::{Checkpoint, Header};
use interplay_nn::spec::RunConfig;
use interplay_nn::{Activation, LrDecay, NetConfig, TrainConfig, Trainer};

use crate::args::Common;
use crate::error::CliError;
use crate::model::{self, DeviceArg};

/// `interplay train` flags.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Optimisation steps.
    #[arg(long, default_value = "3000")]
    pub steps: u64,
    /// Triples (t, x0, x1, z) per step.
    #[arg(long, default_value = "1024")]
    pub batch: usize,
    /// Adam learning rate, decayed by a cosine to 2 % of it over the run (default: 0.03 for
    /// schedule-free, 0.02 for velocity-score, 0.002 for the other objectives).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Units per hidden layer.
    #[arg(long, default_value = "128")]
    pub width: usize,
    /// Hidden layers.
    #[arg(long, default_value = "3")]
    pub depth: usize,
    /// Hidden nonlinearity: relu, silu, gelu or tanh.
    #[arg(long, default_value = "silu")]
    pub activation: String,
    /// Fourier pairs of the time input.
    #[arg(long, default_value = "3")]
    pub fourier: usize,
    /// Exponential moving average of the weights for sampling (0 turns it off).
    #[arg(long, default_value = "0")]
    pub ema: f64,
    /// Steps of a linear learning-rate warm-up (0: none).
    #[arg(long, default_value = "0")]
    pub warmup: u64,
    /// Steps over which the schedule-free D's row weight moves from h (the board's edges
    /// sooner) to the flat weight (the velocity near t = 0) (0: flat from the start; the page
    /// trains with 1000).
    #[arg(long, value_name = "STEPS", default_value = "0")]
    pub weight_anneal: u64,
    /// How t is drawn: t = 1 − (1 − u)^P (1: uniform; 2 draws more times near t = 1, where the
    /// target's edges form). Default 2, and 1 for --objective flow-map (whose diagonal learns
    /// best from uniform times).
    #[arg(long, value_name = "P")]
    pub t_power: Option<f64>,
    /// Batch-posterior targets: each row's target is the posterior mean of x1 over a reference
    /// set of N batch samples (the same minimiser, less variance at small t; schedule-free and
    /// velocity-score only). 0 or 1: the plain sample targets.
    #[arg(long, value_name = "N", default_value_t = interplay_nn::posterior::REFS)]
    pub posterior_refs: usize,
    /// How a batch pairs x0 with x1: independent, or ot (an exact assignment minimising
    /// Σ|x0 − x1|² in blocks of 128, for straighter paths; needs --objective denoiser).
    #[arg(long, default_value = "independent", value_parser = ["independent", "ot"])]
    pub coupling: String,
    /// Octaves of Fourier features of the position (periods 8, 4, 2, 1, … in plot units).
    #[arg(long, default_value = "6")]
    pub spatial: usize,
    /// What to learn: velocity-score (b and s), v-score (v and s), denoiser (η),
    /// schedule-free (D(λ, y), which serves every schedule), multimarginal (g_k(α, x) of the
    /// interpolant of N(0, I), --target and --second on the triangle) or flow-map (X̂_{s,t}, the
    /// ODE's jump from s to t, for sampling in one or a few steps) or nets (a transport drift
    /// that samples --energy without data; its walkers' noise is --eps, 1 if 0).
    #[arg(long, default_value = "schedule-free")]
    pub objective: String,
    /// The energy of --objective nets: a target whose exact density −log ρ(T, x) is the energy
    /// (gmm, rings, checkerboard, moons, spirals, drawn:FILE, points:FILE).
    #[arg(long, value_name = "NAME")]
    pub energy: Option<String>,
    /// The time T of the density of --energy, in (0, 1) (default 0.9 for the checkerboard,
    /// blurred; 0.99 for the others).
    #[arg(long, value_name = "T")]
    pub at: Option<f64>,
    /// The second target of --objective multimarginal (same forms as --target).
    #[arg(long, value_name = "TARGET")]
    pub second: Option<String>,
    /// How --objective flow-map learns the map away from the diagonal: lagrangian (∂_t X̂_{s,t}
    /// against the map's own velocity at its end point), progressive (X̂_{s,t} against
    /// X̂_{u,t} ∘ X̂_{s,u}) or exact (a reference: against the exact map and the exact b).
    #[arg(long, value_name = "RULE", value_parser = ["lagrangian", "progressive", "exact"])]
    pub distill: Option<String>,
    /// A run configuration (JSON, as exported by the page); replaces the flags above and the
    /// schedule and target flags.
    #[arg(long, value_name = "FILE.json")]
    pub config: Option<PathBuf>,
    /// Continue from this checkpoint (same architecture and objective).
    #[arg(long, value_name = "CKPT")]
    pub resume: Option<PathBuf>,
    /// Where to run.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceArg,
    /// Output checkpoint.
    #[arg(long, value_name = "CKPT")]
    pub out: PathBuf,
    #[command(flatten)]
    pub common: Common,
}

/// The network the flags describe (`--width`, `--depth`, `--activation`, `--fourier`,
/// `--spatial`).
pub fn net_config(a: &TrainArgs) -> Result<NetConfig, CliError> {
    let activation = Activation::from_name(&a.activation).ok_or_else(|| {
        CliError::usage(format!(
            "--activation '{}' is unknown; use relu, silu, gelu or tanh",
            a.activation
        ))
    })?;
    Ok(NetConfig {
        width: a.width,
        depth: a.depth,
        activation,
        fourier: a.fourier,
        spatial: a.spatial,
    })
}

/// The run the flags (or `--config`) describe, checked; what `interplay train` trains.
pub fn run_config(a: &TrainArgs) -> Result<RunConfig, CliError> {
    let rc = described_run(a)?;
    if rc.steps == 0 {
        return Err(CliError::usage("--steps must be at least 1"));
    }
    Ok(rc)
}

fn described_run(a: &TrainArgs) -> Result<RunConfig, CliError> {
    if let Some(path) = &a.config {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::usage(format!("--config {}: cannot read it: {e}", path.display()))
        })?;
        let rc: RunConfig = serde_json::from_str(&text)
            .map_err(|e| CliError::usage(format!("--config {}: {e}", path.display())))?;
        rc.train
            .validate()
            .map_err(|e| CliError::usage(format!("--config {}: {e}", path.display())))?;
        return Ok(rc);
    }
    let objective =
        ObjectiveKind::parse(&a.objective).map_err(|e| CliError::usage(format!("--{e}")))?;
    if a.distill.is_some() && objective != ObjectiveKind::FlowMap {
        return Err(CliError::usage(format!(
            "--distill is how --objective flow-map learns its map, not a setting of {}",
            a.objective
        )));
    }
    let multi = objective == ObjectiveKind::Multimarginal;
    if a.second.is_some() && !multi {
        return Err(CliError::usage(format!(
            "--second is the second target of --objective multimarginal, not of {}",
            a.objective
        )));
    }
    if a.energy.is_some() || a.at.is_some() {
        return Err(CliError::usage(format!(
            "--energy and --at name the energy of --objective nets, not a setting of {}",
            a.objective
        )));
    }
    let train = TrainConfig {
        objective,
        net: net_config(a)?,
        batch: a.batch,
        lr: a
            .lr
            .unwrap_or_else(|| interplay_nn::trainer::default_lr(objective)),
        decay: LrDecay::Cosine {
            steps: a.steps,
            min_ratio: 0.02,
        },
        t_min: 1e-3,
        seed: a.common.seed,
        ema: a.ema,
        warmup: a.warmup,
        t_power: a.t_power.unwrap_or_else(|| {
            let s = &a.common;
            let latent = s.schedule().is_ok_and(|s| {
                s.gamma != interplay_core::GammaFamily::Zero && s.gamma_scale != 0.0
            });
            interplay_nn::trainer::default_t_power(objective, latent)
        }),
        posterior_refs: a.posterior_refs,
        coupling: interplay_nn::coupling::Coupling::from_name(&a.coupling).unwrap_or_default(),
        weight_anneal: a.weight_anneal,
    };
    train
        .validate()
        .map_err(|e| CliError::usage(format!("--{}", flag_of(&e) + &e)))?;
    let schedule = a.common.schedule()?;
    let target = a.common.target()?;
    Ok(RunConfig {
        train,
        schedule: (&schedule).into(),
        target: (&target).into(),
        steps: a.steps,
    })
}

/// The flag a validation message is about ("width 0 must …" → "width ").
fn flag_of(msg: &str) -> String {
    let word = msg.split_whitespace().next().unwrap_or("");
    match word {
        "learning" => "lr: ".into(),
        w => format!("{}: ", w.replace('_', "-")),
    }
}

/// Runs `interplay train` for the run `rc` ([`run_config`]) of any objective but the
/// multi-marginal one (`crate::multi::train`).
pub fn run(a: &TrainArgs, rc: RunConfig) -> Result<(), CliError> {
    let schedule = rc.schedule.schedule().map_err(CliError::usage)?;
    let target = rc.target.target().map_err(CliError::usage)?;
    let backend = model::backend(a.device)?;
    let mut trainer = match &a.resume {
        None => Trainer::new(rc.train.clone(), schedule, target, &backend.device)
            .map_err(|e| CliError::usage(e.to_string()))?,
        Some(path) => {
            let ck = model::load(path, "--resume")?;
            ck.expect_architecture(&rc.train.net)
                .map_err(|e| CliError::usage(format!("--resume: {e}")))?;
            if ck.header.objective.kind() != rc.train.objective {
                return Err(CliError::usage(format!(
                    "--resume: the checkpoint was trained with --objective {}, not {}",
                    ck.header.objective.name(),
                    rc.train.objective
                )));
            }
            Trainer::resume(
                rc.train.clone(),
                ck.header.objective.clone(),
                schedule,
                target,
                &ck.params,
                ck.header.steps,
                &backend.device,
            )
            .map_err(|e| CliError::usage(format!("--resume: {e}")))?
        }
    };
    let names = trainer.objective.nets();
    let tty = std::io::stderr().is_terminal();
    let every = if tty { 10 } else { (rc.steps / 20).max(1) };
    let start = Instant::now();
    let mut last = vec![f64::NAN; names.len()];
    for k in 1..=rc.steps {
        let losses = trainer.step();
        if k % every == 0 || k == rc.steps {
            last = losses
                .losses
                .into_iter()
                .map(|l| pollster::block_on(interplay_nn::read_scalar(l)).map(f64::from))
                .collect::<Result<_, _>>()
                .map_err(|e| CliError::failed(e.to_string()))?;
            if last.iter().any(|v| !v.is_finite()) {
                return Err(CliError::failed(format!(
                    "the loss became {last:?} at step {k}: lower --lr (now {}); nothing was written",
                    rc.train.lr
                )));
            }
            let rate = k as f64 / start.elapsed().as_secs_f64();
            let losses: Vec<String> = names
                .iter()
                .zip(&last)
                .map(|(n, v)| format!("loss_{n} {v:+.4}"))
                .collect();
            if tty {
                let done = (30 * k / rc.steps) as usize;
                eprint!(
                    "\r[{}{}] {k}/{} {rate:.1} steps/s {}   ",
                    "#".repeat(done),
                    ".".repeat(30 - done),
                    rc.steps,
                    losses.join(" ")
                );
            } else {
                eprintln!(
                    "step {k}/{} {rate:.1} steps/s {}",
                    rc.steps,
                    losses.join(" ")
                );
            }
            let _ = std::io::stderr().flush();
        }
    }
    if tty {
        eprintln!();
    }
    let header = Header::of(&trainer);
    let ck = pollster::block_on(Checkpoint::of(header, &trainer.model()))
        .map_err(|e| CliError::failed(e.to_string()))?;
    crate::csvio::write_bytes(&a.out, &ck.to_bytes())?;
    let secs = start.elapsed().as_secs_f64();
    let losses: Vec<String> = names
        .iter()
        .zip(&last)
        .map(|(n, v)| format!("loss_{n} = {v:.5}"))
        .collect();
    println!(
        "trained {} steps in {secs:.1} s ({:.1} steps/s): {}",
        rc.steps,
        rc.steps as f64 / secs,
        losses.join(", ")
    );
    println!("wrote {} ({} bytes)", a.out.display(), ck.to_bytes().len());
    Ok(())
}
