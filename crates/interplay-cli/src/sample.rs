//! `interplay sample`: samples at t = 1 from the exact fields or a model (a multimarginal model
//! samples along a path on the triangle, `multi.rs`).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use interplay_core::ExactField;
use interplay_core::dopri::Tolerance;
use interplay_core::integrate::{Eps, OdeSolver, SdeSolver};
use interplay_core::sampling::{Method, Recipe, initial_particles};

use crate::args::Common;
use crate::csvio;
use crate::error::CliError;

/// Step rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SolverArg {
    /// Euler (Euler–Maruyama when --eps > 0).
    Euler,
    /// Heun (stochastic Heun when --eps > 0).
    Heun,
    /// Classical RK4 (ODE only).
    Rk4,
    /// Euler–Maruyama (the SDE; with --eps 0 it is Euler).
    Em,
    /// Adaptive Dormand–Prince 5(4) (ODE only; --steps is ignored).
    Dopri5,
}

/// `interplay sample` flags.
#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["exact", "model"])))]
pub struct SampleArgs {
    /// Use the exact fields.
    #[arg(long)]
    pub exact: bool,
    /// Use a trained model (a checkpoint from `interplay train`).
    #[arg(long, value_name = "CKPT")]
    pub model: Option<PathBuf>,
    /// Where a model runs.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: crate::model::DeviceArg,
    /// Number of samples.
    #[arg(long, default_value = "10000")]
    pub n: usize,
    /// Integration steps from t = 0 to 1 − δ.
    #[arg(long, default_value = "100")]
    pub steps: usize,
    /// Step rule (default: rk4 for the ODE, heun, i.e. stochastic Heun, when --eps > 0).
    #[arg(long, value_enum)]
    pub solver: Option<SolverArg>,
    /// Stop at t = 1 − δ before the final denoising jump.
    #[arg(long, value_name = "DELTA", default_value = "0.001")]
    pub delta: f64,
    /// Skip the final Tweedie jump x ↦ E[x1 | x_{1−δ}].
    #[arg(long)]
    pub no_denoise: bool,
    /// The few-step sampler instead: K equal Euler steps from t = 0 to 1, no final jump (the ODE
    /// only; replaces --steps, --solver, --delta and --no-denoise).
    #[arg(long, value_name = "K", conflicts_with_all = ["solver", "steps", "delta", "no_denoise"])]
    pub euler_steps: Option<usize>,
    /// The path on the triangle of a multimarginal model (`interplay train --objective
    /// multimarginal`): points A0,A1,A2;B0,B1,B2;… (weights of N(0, I), the first and the second
    /// target, each set summing to 1); samples of ρ(A) are carried along it, --steps per leg.
    #[arg(long, value_name = "A;B;…")]
    pub alphas: Option<String>,
    /// Output CSV (header x,y).
    #[arg(long, value_name = "OUT.csv")]
    pub out: PathBuf,
    #[command(flatten)]
    pub common: Common,
}

/// Runs `interplay sample` (of any model but a multi-marginal one: `crate::multi::sample`).
pub fn run(a: &SampleArgs) -> Result<(), CliError> {
    if a.alphas.is_some() {
        return Err(CliError::usage(
            "--alphas is the path on the triangle of a multimarginal model: give --model with a \
             checkpoint from `interplay train --objective multimarginal`",
        ));
    }
    let recipe = recipe(a)?;
    let schedule = a.common.schedule()?;
    let (xs, report) = match &a.model {
        None => {
            let target = a.common.exact_target()?;
            let mut xs = initial_particles(&schedule, &target, a.n, a.common.seed);
            let field = ExactField::from_parts(schedule, target);
            let report = recipe.run(&field, &mut xs, a.common.seed);
            (xs, report)
        }
        Some(path) => {
            if matches!(recipe.method, Method::Dopri5(_)) {
                // Dopri5 is adaptive on the host; a model runs fixed steps on its device.
                return Err(CliError::usage(
                    "--solver dopri5 integrates the exact fields only; a model samples with \
                     --solver euler, heun or rk4 (or em with --eps)",
                ));
            }
            let ck = crate::model::load(path, "--model")?;
            let backend = crate::model::backend(a.device)?;
            let field = crate::model::field(&ck, schedule, &backend)?;
            let target = interplay_core::ExactTarget::new(
                &ck.header.target.target().map_err(CliError::usage)?,
            );
            let x0 = initial_particles(&field.schedule, &target, a.n, a.common.seed);
            let x0 = interplay_nn::sampler::points_tensor(&x0, &backend.device);
            let (x, report) = interplay_nn::sampler::run_recipe(&field, x0, &recipe, a.common.seed)
                .map_err(|e| CliError::usage(e.to_string()))?;
            let xs = pollster::block_on(interplay_nn::read_points(x))
                .map_err(|e| CliError::failed(e.to_string()))?;
            (xs, report)
        }
    };
    if report.t_end < 1.0 - a.delta - 1e-12 {
        eprintln!(
            "note: the stability rule stopped the integration at t = {:.4} (see docs/math.md §4.3)",
            report.t_end
        );
    }
    if report.eps_lowered > 0 {
        eprintln!(
            "note: ε was lowered on {} steps to keep them stable",
            report.eps_lowered
        );
    }
    csvio::write_samples(&a.out, &xs, "try more --steps or a larger --delta")
}

/// The step rule when `--solver` is not given: RK4 for the ODE; with noise (ε > 0, a reader who
/// asks for noise wants the SDE) stochastic Heun, said on stderr.
fn default_solver(eps: f64) -> SolverArg {
    if eps > 0.0 {
        eprintln!(
            "note: --eps {eps} > 0 and no --solver: integrating the SDE with stochastic Heun"
        );
        SolverArg::Heun
    } else {
        SolverArg::Rk4
    }
}

fn recipe(a: &SampleArgs) -> Result<Recipe, CliError> {
    if a.n == 0 {
        return Err(CliError::usage("--n must be at least 1"));
    }
    if let Some(k) = a.euler_steps {
        if k == 0 {
            return Err(CliError::usage("--euler-steps must be at least 1"));
        }
        if a.common.eps > 0.0 {
            return Err(CliError::usage(format!(
                "--euler-steps integrates the ODE; with --eps {} drop one of them",
                a.common.eps
            )));
        }
        return Ok(Recipe::few_step(k));
    }
    if a.steps == 0 {
        return Err(CliError::usage("--steps must be at least 1"));
    }
    if !(a.delta > 0.0 && a.delta < 0.5) {
        return Err(CliError::usage(format!(
            "--delta {}: δ must be in (0, 0.5)",
            a.delta
        )));
    }
    let eps = a.common.eps;
    let solver = a.solver.unwrap_or_else(|| default_solver(eps));
    let method = match (solver, eps > 0.0) {
        (SolverArg::Euler, false) => Method::Ode(OdeSolver::Euler),
        (SolverArg::Heun, false) => Method::Ode(OdeSolver::Heun),
        (SolverArg::Rk4, false) => Method::Ode(OdeSolver::Rk4),
        (SolverArg::Dopri5, false) => Method::Dopri5(Tolerance::default()),
        (SolverArg::Em, _) | (SolverArg::Euler, true) => {
            Method::Sde(SdeSolver::EulerMaruyama, Eps::Constant(eps))
        }
        (SolverArg::Heun, true) => Method::Sde(SdeSolver::Heun, Eps::Constant(eps)),
        (SolverArg::Rk4 | SolverArg::Dopri5, true) => {
            let name = solver
                .to_possible_value()
                .map(|v| v.get_name().to_owned())
                .unwrap_or_default();
            return Err(CliError::usage(format!(
                "--solver {name} integrates the ODE only; with --eps {eps} use --solver em or heun"
            )));
        }
    };
    Ok(Recipe {
        method,
        steps: a.steps,
        delta: a.delta,
        denoise: !a.no_denoise,
        ..Recipe::default()
    })
}
