//! `interplay field`: an exact field at given points.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use interplay_core::ExactField;

use crate::args::Common;
use crate::csvio;
use crate::error::CliError;

/// Which field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// b(t, x): output x,y,fx,fy.
    Velocity,
    /// s(t, x) = ∇ log ρ(t, x): output x,y,fx,fy.
    Score,
    /// log ρ(t, x): output x,y,log_rho.
    Density,
    /// E[x1 | x_t = x]: output x,y,fx,fy.
    PosteriorMean,
}

/// `interplay field` flags.
#[derive(Args, Debug)]
pub struct FieldArgs {
    /// The field to evaluate.
    #[arg(long, value_enum)]
    pub kind: Kind,
    /// Time t in [0, 1].
    #[arg(long, value_name = "T")]
    pub t: f64,
    /// Input points (CSV with header x,y).
    #[arg(long, value_name = "IN.csv")]
    pub points: PathBuf,
    /// Output CSV.
    #[arg(long, value_name = "OUT.csv")]
    pub out: PathBuf,
    /// Evaluate a trained model (a checkpoint from `interplay train`) instead of the exact field.
    #[arg(long, value_name = "CKPT")]
    pub model: Option<PathBuf>,
    /// Where a model runs.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: crate::model::DeviceArg,
    #[command(flatten)]
    pub common: Common,
}

/// Runs `interplay field`.
pub fn run(a: &FieldArgs) -> Result<(), CliError> {
    if !(0.0..=1.0).contains(&a.t) {
        return Err(CliError::usage(format!("--t {}: t must be in [0, 1]", a.t)));
    }
    let schedule = a.common.schedule()?;
    let pts = csvio::read_points(&a.points)
        .map_err(|e| CliError::usage(format!("--points {}: {e}", a.points.display())))?;
    if let Some(path) = &a.model {
        return run_model(a, path, schedule, &pts);
    }
    let target = a.common.exact_target()?;
    let field = ExactField::from_parts(schedule, target);
    let at = field.at(a.t);
    let rows: Vec<Vec<f64>> = pts
        .iter()
        .map(|&x| match a.kind {
            Kind::Velocity => {
                let v = at.velocity(x);
                vec![x[0], x[1], v[0], v[1]]
            }
            Kind::Score => {
                let v = at.score(x);
                vec![x[0], x[1], v[0], v[1]]
            }
            Kind::PosteriorMean => {
                let v = at.g1(x);
                vec![x[0], x[1], v[0], v[1]]
            }
            Kind::Density => vec![x[0], x[1], at.log_rho(x)],
        })
        .collect();
    if let Some(bad) = rows.iter().find(|r| r.iter().any(|v| !v.is_finite())) {
        return Err(CliError::usage(format!(
            "--t {}: the exact field is singular there (at x = ({}, {})): the Gaussian part of x_t \
             vanishes (σ(t) = 0); use a t strictly inside (0, 1)",
            a.t, bad[0], bad[1]
        )));
    }
    let header = if a.kind == Kind::Density {
        "x,y,log_rho"
    } else {
        "x,y,fx,fy"
    };
    csvio::write_rows(&a.out, header, &rows)
}

fn run_model(
    a: &FieldArgs,
    path: &std::path::Path,
    schedule: interplay_core::Schedule,
    pts: &[interplay_core::P2],
) -> Result<(), CliError> {
    use interplay_nn::field::DeviceField;
    let ck = crate::model::load(path, "--model")?;
    let backend = crate::model::backend(a.device)?;
    let field = crate::model::field(&ck, schedule, &backend)?;
    let x = interplay_nn::sampler::points_tensor(pts, &backend.device);
    let read = |t| {
        pollster::block_on(interplay_nn::read_points(t))
            .map_err(|e| CliError::failed(e.to_string()))
    };
    let rows: Vec<Vec<f64>> = match a.kind {
        Kind::Density => {
            // ρ(0) is N(0, I), or the model's target itself for the mirror path.
            let target = interplay_core::ExactTarget::new(
                &ck.header
                    .target
                    .target()
                    .map_err(|e| CliError::failed(e.to_string()))?,
            );
            let log_rho0 = interplay_core::likelihood::log_rho0(&field.schedule, &target);
            let ll = pollster::block_on(interplay_nn::sampler::ode_log_likelihood(
                &field, x, a.t, 200, log_rho0,
            ))
            .map_err(|e| CliError::failed(e.to_string()))?;
            ll.iter()
                .zip(pts)
                .map(|(v, p)| vec![p[0], p[1], *v])
                .collect()
        }
        kind => {
            let out = match kind {
                Kind::Velocity => field.velocity(a.t, x, false).0,
                Kind::Score => field.eval(a.t, x, false).s,
                _ => field.posterior_mean(a.t, x),
            };
            read(out)?
                .iter()
                .zip(pts)
                .map(|(v, p)| vec![p[0], p[1], v[0], v[1]])
                .collect()
        }
    };
    if rows.iter().any(|r| r.iter().any(|v| !v.is_finite())) {
        return Err(CliError::usage(format!(
            "--t {}: the model's field is not finite there; use a t inside (0, 1)",
            a.t
        )));
    }
    let header = if a.kind == Kind::Density {
        "x,y,log_rho"
    } else {
        "x,y,fx,fy"
    };
    csvio::write_rows(&a.out, header, &rows)
}
