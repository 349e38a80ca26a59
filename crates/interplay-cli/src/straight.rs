//! `interplay straightness --model CKPT`: how straight a trained model's flow is and how well it
//! samples in a few Euler steps (JSON), the numbers by which couplings are compared.

use std::path::PathBuf;

use clap::Args;
use interplay_core::ExactTarget;
use interplay_core::sampling::initial_particles;
use interplay_nn::few_step::{FEW_STEPS, STRAIGHTNESS_STEPS, few_step, straightness};

use crate::args::Common;
use crate::error::CliError;
use crate::model::{self, DeviceArg};

/// `interplay straightness` flags.
#[derive(Args, Debug)]
pub struct StraightnessArgs {
    /// A trained model (a checkpoint from `interplay train`).
    #[arg(long, value_name = "CKPT")]
    pub model: PathBuf,
    /// Base samples pushed through the flow.
    #[arg(long, default_value = "20000")]
    pub n: usize,
    /// The Euler step counts of the few-step comparison.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8")]
    pub euler_steps: Vec<usize>,
    /// Where the model runs.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceArg,
    #[command(flatten)]
    pub common: Common,
}

/// Runs `interplay straightness`.
pub fn run(a: &StraightnessArgs) -> Result<(), CliError> {
    if a.n == 0 {
        return Err(CliError::usage("--n must be at least 1"));
    }
    if a.euler_steps.contains(&0) {
        return Err(CliError::usage(
            "--euler-steps: every count must be at least 1",
        ));
    }
    let model::Opened { ck, field, target } =
        model::open(&a.model, a.device, a.common.schedule()?)?;
    let exact = ExactTarget::new(&target);
    let x0 = initial_particles(&field.schedule, &exact, a.n, a.common.seed);
    let steps = if a.euler_steps.is_empty() {
        FEW_STEPS.to_vec()
    } else {
        a.euler_steps.clone()
    };
    let failed = |e: interplay_nn::NnError| CliError::failed(e.to_string());
    let s = pollster::block_on(straightness(&field, &x0, STRAIGHTNESS_STEPS)).map_err(failed)?;
    let rows = pollster::block_on(few_step(&field, &exact, &x0, &steps)).map_err(failed)?;
    let json = serde_json::json!({
        "model": a.model.display().to_string(),
        "objective": ck.header.objective.name(),
        "coupling": ck.header.train.coupling.name(),
        "steps": ck.header.steps,
        "n": a.n,
        // E∫|b|² dt − E|X1 − X0|² ≥ 0: zero for straight paths at constant speed.
        "kinetic": s.kinetic,
        "transport_cost": s.cost,
        "straightness_gap": s.gap(),
        "t_end": s.t_end,
        "few_step": rows,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&json).map_err(|e| CliError::failed(e.to_string()))?
    );
    Ok(())
}
