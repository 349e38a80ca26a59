//! `interplay bench --time-to-quality`: what a user gets after pressing Train. Trains from
//! scratch with the live defaults for a few wall-clock budgets, then samples from the model and
//! scores the samples and the learned field against the exact ones.

use std::time::Instant;

use clap::Args;
use interplay_core::sampling::{Recipe, initial_particles};
use interplay_core::{ExactField, Schedule, Target};
use interplay_nn::quality::{ERROR_TIMES, field_errors};
use interplay_nn::sampler::{points_tensor, run_recipe};
use interplay_nn::{LearnedField, TrainConfig, Trainer};

use crate::error::CliError;
use crate::model::{self, DeviceArg};

/// Flags of the time-to-quality benchmark.
#[derive(Args, Debug)]
pub struct TtqArgs {
    /// Train from scratch for these wall-clock budgets (seconds of training, evaluation not
    /// counted) and score the model at each.
    #[arg(long)]
    pub time_to_quality: bool,
    /// The budgets in seconds.
    #[arg(long, value_delimiter = ',', default_value = "15,30,60")]
    pub budgets: Vec<f64>,
    /// The objectives to train.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "velocity-score,schedule-free"
    )]
    pub objectives: Vec<String>,
    /// Samples drawn from the model at each budget.
    #[arg(long, default_value = "20000")]
    pub samples: usize,
    /// RK4 steps of the sampler (the page's `sample()` default).
    #[arg(long, default_value = "100")]
    pub sample_steps: usize,
    /// Changes to the live training settings, as KEY=JSON (e.g. `lr=0.01`, `net.width=96`,
    /// `decay={"kind":"constant"}`); repeatable.
    #[arg(long = "set", value_name = "KEY=JSON")]
    pub set: Vec<String>,
    /// Where to train.
    #[arg(long, value_enum, default_value = "cpu")]
    pub ttq_device: DeviceArg,
    /// Seed of the run.
    #[arg(long, default_value = "0")]
    pub ttq_seed: u64,
    /// Threads for training (0: all cores); sampling and scoring always use all of them. One
    /// thread is what the page's engine has in a Web Worker.
    #[arg(long, default_value = "0")]
    pub train_threads: usize,
}

/// The live settings for `objective` with the `--set` changes applied.
fn settings(objective: &str, changes: &[String], seed: u64) -> Result<TrainConfig, CliError> {
    let kind = interplay_core::ObjectiveKind::parse(objective)
        .map_err(|e| CliError::usage(format!("--objectives: {e}")))?;
    let mut v = serde_json::to_value(TrainConfig::live(kind))
        .map_err(|e| CliError::failed(e.to_string()))?;
    for c in changes {
        let (key, value) = c
            .split_once('=')
            .ok_or_else(|| CliError::usage(format!("--set {c}: write KEY=JSON")))?;
        let value: serde_json::Value = serde_json::from_str(value)
            .map_err(|e| CliError::usage(format!("--set {c}: the value is not JSON: {e}")))?;
        let mut slot = &mut v;
        for part in key.split('.') {
            slot = slot
                .get_mut(part)
                .ok_or_else(|| CliError::usage(format!("--set {c}: no setting '{key}'")))?;
        }
        *slot = value;
    }
    let mut cfg: TrainConfig =
        serde_json::from_value(v).map_err(|e| CliError::usage(format!("--set: {e}")))?;
    cfg.seed = seed;
    cfg.validate().map_err(CliError::usage)?;
    Ok(cfg)
}

/// Runs the benchmark and prints a Markdown table (progress on stderr).
pub fn run(a: &TtqArgs) -> Result<(), CliError> {
    let mut budgets = a.budgets.clone();
    budgets.sort_by(f64::total_cmp);
    if budgets.is_empty() || budgets[0] <= 0.0 || a.samples == 0 || a.sample_steps == 0 {
        return Err(CliError::usage(
            "--budgets must be positive seconds; --samples and --sample-steps at least 1",
        ));
    }
    let backend = model::backend(a.ttq_device)?;
    let schedule = Schedule::default();
    let exact = ExactField::new(schedule, &Target::Checkerboard);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.train_threads)
        .build()
        .map_err(|e| CliError::failed(format!("--train-threads: {e}")))?;
    let threads = pool.current_num_threads();
    println!(
        "| objective | budget | steps | steps/s | in squares | TV 16² | TV 32² | sliced W2 | b error (rel. L2) at t = {} | s error at 0.5 |",
        ERROR_TIMES.map(|t| t.to_string()).join(", ")
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for objective in &a.objectives {
        let cfg = settings(objective, &a.set, a.ttq_seed)?;
        eprintln!(
            "{objective}: {} (threads: {threads})",
            serde_json::to_string(&cfg).unwrap_or_default()
        );
        let mut tr = Trainer::new(cfg, schedule, Target::Checkerboard, &backend.device)
            .map_err(|e| CliError::usage(e.to_string()))?;
        let mut trained = 0.0;
        for &budget in &budgets {
            // Train until the budget, reading the losses every 10 steps as the page does.
            let start = Instant::now();
            pool.install(|| -> Result<(), CliError> {
                while trained + start.elapsed().as_secs_f64() < budget {
                    for _ in 0..10 {
                        let l = tr.step();
                        if tr.steps() % 10 == 0 {
                            for t in l.losses {
                                let v = pollster::block_on(interplay_nn::read_scalar(t))
                                    .map_err(|e| CliError::failed(e.to_string()))?;
                                if !v.is_finite() {
                                    return Err(CliError::failed(format!(
                                        "{objective}: the loss became {v} at step {}",
                                        tr.steps()
                                    )));
                                }
                            }
                        }
                    }
                }
                Ok(())
            })?;
            trained += start.elapsed().as_secs_f64();
            let eval = Instant::now();
            let (field, cpu) = cpu_field(&tr)?;
            let x0 = initial_particles(&schedule, exact.target(), a.samples, 1);
            let recipe = Recipe {
                steps: a.sample_steps,
                ..Recipe::default()
            };
            let (x, _) = run_recipe(&field, points_tensor(&x0, &cpu), &recipe, 1)
                .map_err(|e| CliError::failed(e.to_string()))?;
            let xs = pollster::block_on(interplay_nn::read_points(x))
                .map_err(|e| CliError::failed(e.to_string()))?;
            let m = interplay_core::metrics::evaluate(exact.target(), &xs, 1);
            let errors = pollster::block_on(field_errors(&field, &exact, &ERROR_TIMES, 4000, 7))
                .map_err(|e| CliError::failed(e.to_string()))?;
            let s_mid = errors.iter().find(|e| e.t == 0.5).map_or(f64::NAN, |e| e.s);
            println!(
                "| {objective} | {budget} s | {} | {:.1} | {:.3} | {:.3} | {:.3} | {:.3} | {} | {:.3} |",
                tr.steps(),
                tr.steps() as f64 / trained,
                m.in_support,
                m.tv,
                m.tv_fine,
                m.sliced_w2,
                errors
                    .iter()
                    .map(|e| format!("{:.3}", e.b))
                    .collect::<Vec<_>>()
                    .join(", "),
                s_mid
            );
            eprintln!(
                "  {budget} s: {} steps, evaluated in {:.1} s",
                tr.steps(),
                eval.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

/// The model trained so far, on the CPU backend (where training ran on a GPU, its networks are
/// read back): what is scored is the weights, wherever they were trained, and the scoring is not
/// timed. On a software Vulkan (lavapipe) the sampler's products on the GPU would wait minutes for
/// autotune to compile their candidate kernels.
fn cpu_field(tr: &Trainer) -> Result<(LearnedField, burn::tensor::Device), CliError> {
    let cpu = burn::tensor::Device::flex();
    let nets = tr
        .model()
        .iter()
        .map(|n| {
            let p = pollster::block_on(interplay_nn::checkpoint::read_params(n))
                .map_err(|e| CliError::failed(e.to_string()))?;
            tr.config
                .net
                .from_params(&p, &cpu)
                .map_err(CliError::failed)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let field = LearnedField::new(tr.objective.clone(), tr.schedule, nets, cpu.clone());
    Ok((field, cpu))
}
