//! `interplay bench`: throughput of the exact fields and the integrators, as a table.

use std::hint::black_box;
use std::time::Instant;

use clap::Args;
use interplay_core::density::{Grid, exact_density};
use interplay_core::fields::Pointwise;
use interplay_core::integrate::{Eps, OdeSolver, SdeSolver, Span, ode, sde};
use interplay_core::sampling::initial_particles;
use interplay_core::{ExactField, ObjectiveKind, Rng, Schedule, Target};

use interplay_nn::{Activation, NetConfig, TrainConfig, Trainer};

use crate::error::CliError;

/// `interplay bench` flags.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Small sizes (a smoke run, a few seconds).
    #[arg(long)]
    pub quick: bool,
    /// Particles for the integration benchmarks.
    #[arg(long, default_value = "20000")]
    pub particles: usize,
    /// Steps for the integration benchmarks.
    #[arg(long, default_value = "100")]
    pub steps: usize,
    /// Also time training on the CPU backend: the reference MLP (b and s, 4 hidden layers of
    /// 256 ReLU units, raw t input, antithetic losses) at these batch sizes, and the default
    /// `interplay train` network (comparable with benches/torch_reference.py).
    #[arg(long, value_delimiter = ',', num_args = 1.., value_name = "BATCH")]
    pub train: Vec<usize>,
    /// Timed training steps per configuration (after 3 warm-up steps).
    #[arg(long, default_value = "30")]
    pub train_steps: usize,
    /// Where `--train` trains (wgpu needs the `wgpu` build feature).
    #[arg(long, value_enum, default_value = "cpu")]
    pub train_device: crate::model::DeviceArg,
    /// With `--train-device wgpu`: each kernel's device time in a training step, from
    /// timestamp queries around every launch (`train-steps` more steps, timed that way).
    #[arg(long)]
    pub kernel_times: bool,
    #[command(flatten)]
    pub ttq: crate::ttq::TtqArgs,
}

struct Row {
    name: String,
    work: String,
    seconds: f64,
    rate: String,
}

fn time<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed().as_secs_f64())
}

/// Runs the benchmarks and prints the table.
pub fn run(a: &BenchArgs) -> Result<(), CliError> {
    if a.ttq.time_to_quality {
        return crate::ttq::run(&a.ttq);
    }
    let (n, steps) = if a.quick {
        (2000, 10)
    } else {
        (a.particles, a.steps)
    };
    if n == 0 || steps == 0 {
        return Err(CliError::usage(
            "--particles and --steps must be at least 1",
        ));
    }
    let sched = Schedule::default();
    let mut rows = Vec::new();
    for target in [Target::Checkerboard, Target::Gmm, Target::Rings] {
        let field = ExactField::new(sched, &target);
        let pts = Rng::new(1)
            .normals(if a.quick { 20_000 } else { 200_000 })
            .iter()
            .map(|x| [2.0 * x[0], 2.0 * x[1]])
            .collect::<Vec<_>>();
        let at = field.at(0.5);
        let (acc, s) = time(|| pts.iter().map(|x| at.velocity(*x)[0]).sum::<f64>());
        black_box(acc);
        rows.push(Row {
            name: format!("exact b(t,x), {}", target.name()),
            work: format!("{} points", pts.len()),
            seconds: s,
            rate: format!("{:.2} M evals/s", pts.len() as f64 / s / 1e6),
        });
        if target == Target::Checkerboard {
            // The same points through the per-time table that batches use (its build included).
            let (acc, s) = time(|| {
                let at = field.at_batch(0.5, pts.len());
                pts.iter().map(|x| at.velocity(*x)[0]).sum::<f64>()
            });
            black_box(acc);
            rows.push(Row {
                name: "exact b(t,x), checkerboard, tabulated at t (build included)".into(),
                work: format!("{} points", pts.len()),
                seconds: s,
                rate: format!("{:.2} M evals/s", pts.len() as f64 / s / 1e6),
            });
        }
    }
    let field = ExactField::new(sched, &Target::Checkerboard);
    let target = field.target().clone();
    for (label, solver, tables) in [
        ("RK4", OdeSolver::Rk4, true),
        ("RK4", OdeSolver::Rk4, false),
        ("Heun", OdeSolver::Heun, true),
    ] {
        let mut xs = initial_particles(&sched, &target, n, 1);
        let span = Span::new(0.0, 0.999, steps).warped(2.0);
        // A fresh field: no table is cached from an earlier row.
        let field = ExactField::new(sched, &Target::Checkerboard);
        let (r, s) = if tables {
            time(|| ode(&field, &mut xs, span, solver))
        } else {
            time(|| ode(&Pointwise(&field), &mut xs, span, solver))
        };
        let how = if tables {
            "per-time tables"
        } else {
            "pointwise, no tables"
        };
        rows.push(Row {
            name: format!("ODE {label}, checkerboard, t ∈ [0, 0.999], {how}"),
            work: format!("{n} particles × {} steps", r.steps),
            seconds: s,
            rate: format!("{:.2} M particle-steps/s", (n * r.steps) as f64 / s / 1e6),
        });
    }
    let mut xs = initial_particles(&sched, &target, n, 1);
    let (_, s) = time(|| {
        let span = Span::new(0.0, 0.999, steps);
        sde(
            &field,
            &mut xs,
            span,
            Eps::Constant(0.5),
            SdeSolver::EulerMaruyama,
            &mut Rng::new(2),
        )
    });
    rows.push(Row {
        name: "SDE Euler–Maruyama ε=0.5, checkerboard".into(),
        work: format!("{n} particles × {steps} steps"),
        seconds: s,
        rate: format!("{:.2} M particle-steps/s", (n * steps) as f64 / s / 1e6),
    });
    let grid = Grid::view(128);
    // As the page draws it: tabulated for the grid's 16384 points (build included).
    let (d, s) = time(|| exact_density(&grid, &field.at_batch(0.5, grid.n * grid.n)));
    black_box(d);
    rows.push(Row {
        name: "exact ρ(t,·) grid, checkerboard".into(),
        work: "128 × 128 cells".into(),
        seconds: s,
        rate: format!("{:.1} grids/s", 1.0 / s),
    });
    rows.extend(time_training(a, sched)?);
    println!("| benchmark | work | seconds | throughput |");
    println!("|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {:.4} | {} |",
            r.name, r.work, r.seconds, r.rate
        );
    }
    Ok(())
}

/// The `--train` rows: training steps/s of the reference MLP and the default network.
fn time_training(a: &BenchArgs, sched: Schedule) -> Result<Vec<Row>, CliError> {
    let mut rows = Vec::new();
    if a.train.is_empty() {
        return Ok(rows);
    }
    let backend = crate::model::backend(a.train_device)?;
    if a.kernel_times && backend.kind != "webgpu" {
        return Err(CliError::usage(
            "--kernel-times times GPU kernels: add --train-device wgpu",
        ));
    }
    let on = match backend.kind {
        "webgpu" => format!("wgpu on {}", backend.adapter),
        _ => "CPU backend".to_string(),
    };
    for &batch in &a.train {
        for (label, objective, net) in [
            (
                "reference MLP 4×256 ReLU, b and s",
                ObjectiveKind::VelocityScore,
                NetConfig {
                    width: 256,
                    depth: 4,
                    activation: Activation::Relu,
                    fourier: 0,
                    spatial: 0,
                },
            ),
            (
                "default network 3×128 SiLU, schedule-free D",
                ObjectiveKind::ScheduleFree,
                TrainConfig::default().net,
            ),
        ] {
            let cfg = TrainConfig {
                objective,
                net,
                batch,
                // The reference MLP trains on the plain targets, as the PyTorch peer does.
                posterior_refs: if objective == ObjectiveKind::VelocityScore {
                    0
                } else {
                    TrainConfig::default().posterior_refs
                },
                ..TrainConfig::default()
            };
            let mut tr = Trainer::new(cfg, sched, Target::Checkerboard, &backend.device)
                .map_err(|e| CliError::failed(e.to_string()))?;
            let read = |tr: &mut Trainer| -> Result<(), CliError> {
                let l = tr.step();
                for t in l.losses {
                    pollster::block_on(interplay_nn::read_scalar(t))
                        .map_err(|e| CliError::failed(e.to_string()))?;
                }
                Ok(())
            };
            for _ in 0..3 {
                read(&mut tr)?;
            }
            let start = Instant::now();
            for _ in 0..a.train_steps {
                read(&mut tr)?;
            }
            let s = start.elapsed().as_secs_f64();
            rows.push(Row {
                name: format!("train {label}, {on}"),
                work: format!("batch {batch} × {} steps", a.train_steps),
                seconds: s,
                rate: format!("{:.2} steps/s", a.train_steps as f64 / s),
            });
            if a.kernel_times {
                rows.extend(kernel_rows(a.train_steps, || read(&mut tr))?);
            }
            // The host's share of a step: drawing the batch (its posterior targets included).
            let (_, d) = time(|| {
                for _ in 0..a.train_steps {
                    black_box(tr.batch_rows(0..batch));
                }
            });
            rows.push(Row {
                name: format!("  of which drawing the batch on the host ({label})"),
                work: format!("batch {batch} × {} draws", a.train_steps),
                seconds: d,
                rate: format!("{:.0} % of a step", 100.0 * d / s),
            });
        }
    }
    Ok(rows)
}

/// The `--kernel-times` rows: each kernel's launches and device time per step, over `steps`
/// more steps taken by `step`.
#[cfg(feature = "wgpu")]
fn kernel_rows(
    steps: usize,
    mut step: impl FnMut() -> Result<(), CliError>,
) -> Result<Vec<Row>, CliError> {
    use interplay_nn::kernel_times::KernelTimer;
    let timer = KernelTimer::start();
    let start = Instant::now();
    for _ in 0..steps {
        step()?;
    }
    let wall = start.elapsed().as_secs_f64() / steps as f64;
    let times = pollster::block_on(timer.finish());
    let per = |x: f64| x / steps as f64;
    let total = per(times.total_seconds());
    let clock = if times.device_clock {
        "device timestamps"
    } else {
        "host clock around each submit (no timestamp queries)"
    };
    let mut rows = vec![Row {
        name: format!("  kernels of a step ({clock})"),
        work: format!(
            "{:.1} launches a step, {} untimed",
            per(times.launches() as f64),
            times.untimed
        ),
        seconds: total,
        rate: format!(
            "{:.0} % of a timed step's {:.2} ms",
            100.0 * total / wall,
            wall * 1e3
        ),
    }];
    for k in &times.kernels {
        rows.push(Row {
            name: format!("    {}", k.kernel),
            work: format!("{:.1} launches a step", per(k.launches as f64)),
            seconds: per(k.seconds),
            rate: format!(
                "{:.2} ms a step, {:.1} %",
                per(k.seconds) * 1e3,
                100.0 * k.seconds / times.total_seconds()
            ),
        });
    }
    Ok(rows)
}

#[cfg(not(feature = "wgpu"))]
fn kernel_rows(
    _steps: usize,
    _step: impl FnMut() -> Result<(), CliError>,
) -> Result<Vec<Row>, CliError> {
    Err(CliError::usage(
        "--kernel-times needs a build with the `wgpu` feature and --train-device wgpu",
    ))
}
