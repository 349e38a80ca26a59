//! `interplay sample --exact`: samples at t = 1 from the exact fields.

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
pub struct SampleArgs {
    /// Use the exact fields (the only source in this build).
    #[arg(long, required = true)]
    pub exact: bool,
    /// Number of samples.
    #[arg(long, default_value = "10000")]
    pub n: usize,
    /// Integration steps from t = 0 to 1 − δ.
    #[arg(long, default_value = "100")]
    pub steps: usize,
    /// Step rule.
    #[arg(long, value_enum, default_value = "rk4")]
    pub solver: SolverArg,
    /// Stop at t = 1 − δ before the final denoising jump.
    #[arg(long, value_name = "DELTA", default_value = "0.001")]
    pub delta: f64,
    /// Skip the final Tweedie jump x ↦ E[x1 | x_{1−δ}].
    #[arg(long)]
    pub no_denoise: bool,
    /// Output CSV (header x,y).
    #[arg(long, value_name = "OUT.csv")]
    pub out: PathBuf,
    #[command(flatten)]
    pub common: Common,
}

/// Runs `interplay sample`.
pub fn run(a: &SampleArgs) -> Result<(), CliError> {
    let recipe = recipe(a)?;
    let schedule = a.common.schedule()?;
    let target = a.common.exact_target()?;
    let mut xs = initial_particles(&schedule, &target, a.n, a.common.seed);
    let field = ExactField::from_parts(schedule, target);
    let report = recipe.run(&field, &mut xs, a.common.seed);
    if report.t_end < 1.0 - a.delta - 1e-12 {
        eprintln!(
            "note: the stability rule stopped the integration at t = {:.4} (see math §4.3)",
            report.t_end
        );
    }
    if report.eps_lowered > 0 {
        eprintln!(
            "note: ε was lowered on {} steps to keep them stable",
            report.eps_lowered
        );
    }
    let rows: Vec<Vec<f64>> = xs.iter().map(|x| vec![x[0], x[1]]).collect();
    csvio::write_rows(&a.out, "x,y", &rows)
}

fn recipe(a: &SampleArgs) -> Result<Recipe, CliError> {
    if a.n == 0 {
        return Err(CliError::usage("--n must be at least 1"));
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
    let method = match (a.solver, eps > 0.0) {
        (SolverArg::Euler, false) => Method::Ode(OdeSolver::Euler),
        (SolverArg::Heun, false) => Method::Ode(OdeSolver::Heun),
        (SolverArg::Rk4, false) => Method::Ode(OdeSolver::Rk4),
        (SolverArg::Dopri5, false) => Method::Dopri5(Tolerance::default()),
        (SolverArg::Em, _) | (SolverArg::Euler, true) => {
            Method::Sde(SdeSolver::EulerMaruyama, Eps::Constant(eps))
        }
        (SolverArg::Heun, true) => Method::Sde(SdeSolver::Heun, Eps::Constant(eps)),
        (SolverArg::Rk4 | SolverArg::Dopri5, true) => {
            let name = a
                .solver
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
