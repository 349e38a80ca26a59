//! `interplay error --model CKPT`: how far a trained model's velocity and score are from the
//! exact fields, as the relative L2(ρ(t)) error at a few times (JSON).

use std::path::PathBuf;

use clap::Args;
use interplay_core::ExactField;
use interplay_nn::quality::{ERROR_TIMES, field_errors};

use crate::args::Common;
use crate::error::CliError;
use crate::model::{self, DeviceArg};

/// `interplay error` flags.
#[derive(Args, Debug)]
pub struct ErrorArgs {
    /// A trained model (a checkpoint from `interplay train`).
    #[arg(long, value_name = "CKPT")]
    pub model: PathBuf,
    /// The times.
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.3,0.5,0.7,0.9")]
    pub times: Vec<f64>,
    /// Interpolant samples x_t per time.
    #[arg(long, default_value = "4000")]
    pub n: usize,
    /// Where the model runs.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceArg,
    #[command(flatten)]
    pub common: Common,
}

impl ErrorArgs {
    /// Checks --times and --n (for a field model and a flow map alike).
    pub fn check(&self) -> Result<(), CliError> {
        if let Some(t) = self.times.iter().find(|t| !(**t > 0.0 && **t < 1.0)) {
            return Err(CliError::usage(format!("--times: {t} is not in (0, 1)")));
        }
        if self.n == 0 {
            return Err(CliError::usage("--n must be at least 1"));
        }
        Ok(())
    }
}

/// Runs `interplay error` for a field model (a flow map goes to `crate::flow_map::error`).
pub fn run(a: &ErrorArgs) -> Result<(), CliError> {
    a.check()?;
    let model::Opened { ck, field, target } =
        model::open(&a.model, a.device, a.common.schedule()?)?;
    let exact = ExactField::new(field.schedule, &target);
    let times = if a.times.is_empty() {
        ERROR_TIMES.to_vec()
    } else {
        a.times.clone()
    };
    let errors = pollster::block_on(field_errors(&field, &exact, &times, a.n, a.common.seed))
        .map_err(|e| CliError::failed(e.to_string()))?;
    let bound = pollster::block_on(interplay_nn::quality::eps_bound(
        &field,
        &exact,
        a.n.min(2000),
        a.common.seed,
    ))
    .map_err(|e| CliError::failed(e.to_string()))?;
    let best = bound.best();
    let json = serde_json::json!({
        "model": a.model.display().to_string(),
        "objective": ck.header.objective.name(),
        "steps": ck.header.steps,
        "n": a.n,
        "t": errors.iter().map(|e| e.t).collect::<Vec<_>>(),
        "b_relative_l2": errors.iter().map(|e| e.b).collect::<Vec<_>>(),
        "s_relative_l2": errors.iter().map(|e| e.s).collect::<Vec<_>>(),
        // KL(ρ(T) ‖ ρ̂(T)) ≤ A/(4ε) + B/2 + εC/4 for the SDE at noise ε; smallest at √(A/C).
        "eps_bound": {
            "a": bound.a,
            "b": bound.b,
            "c": bound.c,
            "t_end": bound.t_end,
            "best_eps": best.is_finite().then_some(best),
        },
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&json).map_err(|e| CliError::failed(e.to_string()))?
    );
    Ok(())
}
