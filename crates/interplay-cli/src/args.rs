//! Flags shared by every subcommand: the schedule, ε, the target and the seed (README, "The
//! command line": the flags are a contract that scripts rely on).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use interplay_core::schedule::{EPS_RANGE, EXP_RANGE, GAMMA_SCALE_RANGE};
use interplay_core::{ExactTarget, GammaFamily, Path, Schedule, Target};

use crate::csvio;
use crate::error::CliError;

/// Path families, by their stable names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PathArg {
    /// α = 1 − t, β = t.
    Linear,
    /// α = √(1−γ²)cos(πt/2), β = √(1−γ²)sin(πt/2).
    Trig,
    /// Encoding–decoding: pure noise at t = ½.
    EncDec,
    /// α = 1 − t, β = t, no γ by default.
    OneSidedLinear,
    /// α = cos(πt/2), β = sin(πt/2), no γ by default.
    OneSidedTrig,
    /// VP / score-based diffusion: α = √(1 − t²), β = t.
    Vp,
    /// x_t = x1 + γ(t) x0: data to data.
    Mirror,
}

/// γ families, by their stable names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GammaArg {
    /// √(t(1−t)).
    Brownian,
    /// sin²(πt).
    Sin2,
    /// t(1−t).
    Bsquared,
    /// Difference of logistic functions.
    Sigmoid,
    /// γ ≡ 0.
    Zero,
}

fn in_range(lo: f64, hi: f64) -> impl Fn(&str) -> Result<f64, String> + Clone {
    move |s: &str| {
        let v: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("'{s}' is not a number"))?;
        if !(lo..=hi).contains(&v) {
            return Err(format!("{v} is outside [{lo}, {hi}]"));
        }
        Ok(v)
    }
}

/// The schedule, noise, target and seed flags.
#[derive(Args, Clone, Debug)]
pub struct Common {
    /// Path family of α, β.
    #[arg(long, value_enum, default_value = "linear")]
    pub path: PathArg,
    /// a in α = α_p^a.
    #[arg(long, value_name = "A", default_value = "1", value_parser = in_range(EXP_RANGE.0, EXP_RANGE.1))]
    pub alpha_exp: f64,
    /// b in β = β_p^b.
    #[arg(long, value_name = "B", default_value = "1", value_parser = in_range(EXP_RANGE.0, EXP_RANGE.1))]
    pub beta_exp: f64,
    /// γ family (default: the path's preset: brownian, or zero for one-sided and vp paths).
    #[arg(long, value_enum)]
    pub gamma: Option<GammaArg>,
    /// g in γ = g·γ_p.
    #[arg(long, value_name = "G", default_value = "1", value_parser = in_range(GAMMA_SCALE_RANGE.0, GAMMA_SCALE_RANGE.1))]
    pub gamma_scale: f64,
    /// SDE noise ε (0: the probability-flow ODE).
    #[arg(long, value_name = "E", default_value = "0", value_parser = in_range(EPS_RANGE.0, EPS_RANGE.1))]
    pub eps: f64,
    /// Target: checkerboard, gmm, rings, moons, spirals, points:FILE (point masses, a CSV with
    /// header x,y) or drawn:FILE (the centres of a drawing's tubes, same CSV).
    #[arg(long, value_name = "TARGET", default_value = "checkerboard")]
    pub target: String,
    /// Random seed.
    #[arg(long, value_name = "S", default_value = "0")]
    pub seed: u64,
}

impl Common {
    /// The schedule, checked: an invalid combination is an error that names the flags.
    pub fn schedule(&self) -> Result<Schedule, CliError> {
        let path = match self.path {
            PathArg::Linear => Path::Linear,
            PathArg::Trig => Path::Trig,
            PathArg::EncDec => Path::EncDec,
            PathArg::OneSidedLinear => Path::OneSidedLinear,
            PathArg::OneSidedTrig => Path::OneSidedTrig,
            PathArg::Vp => Path::Vp,
            PathArg::Mirror => Path::Mirror,
        };
        let gamma = match self.gamma {
            None => path.default_gamma(),
            Some(GammaArg::Brownian) => GammaFamily::Brownian,
            Some(GammaArg::Sin2) => GammaFamily::SinSquared,
            Some(GammaArg::Bsquared) => GammaFamily::BSquared,
            Some(GammaArg::Sigmoid) => GammaFamily::Sigmoid,
            Some(GammaArg::Zero) => GammaFamily::Zero,
        };
        let s = Schedule {
            path,
            gamma,
            alpha_exp: self.alpha_exp,
            beta_exp: self.beta_exp,
            gamma_scale: self.gamma_scale,
        };
        let issues = s.validate();
        if let Some(issue) = issues.first() {
            return Err(CliError::usage(format!(
                "--path {} --gamma {} --gamma-scale {} is not a valid interpolant: {issue}",
                path.name(),
                gamma.name(),
                self.gamma_scale
            )));
        }
        Ok(s)
    }

    /// The target, reading `points:FILE` (point masses) or `drawn:FILE` (tube centres of a
    /// drawing, as the page exports them) when given.
    pub fn target(&self) -> Result<Target, CliError> {
        for (prefix, make) in [
            ("points:", Target::Points as fn(Vec<_>) -> Target),
            ("drawn:", Target::Drawn),
        ] {
            let Some(file) = self.target.strip_prefix(prefix) else {
                continue;
            };
            let pts = csvio::read_points(&PathBuf::from(file))
                .map_err(|e| CliError::usage(format!("--target {prefix}{file}: {e}")))?;
            if pts.is_empty() {
                return Err(CliError::usage(format!(
                    "--target {prefix}{file}: the file has no points"
                )));
            }
            return Ok(make(pts));
        }
        Target::from_name(&self.target).ok_or_else(|| {
            CliError::usage(format!(
                "--target '{}' is not a target; use one of {}, points:FILE or drawn:FILE",
                self.target,
                Target::NAMES.join(", ")
            ))
        })
    }

    /// The target prepared for exact evaluation.
    pub fn exact_target(&self) -> Result<ExactTarget, CliError> {
        Ok(ExactTarget::new(&self.target()?))
    }
}
