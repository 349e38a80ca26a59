//! Flags shared by every subcommand: the schedule, ε, the target and the seed (README, "The
//! command line": the flags are a contract that scripts rely on).

use std::path::PathBuf;

use clap::Args;
use clap::builder::TypedValueParser;
use interplay_core::schedule::{EPS_RANGE, EXP_RANGE, GAMMA_SCALE_RANGE};
use interplay_core::{ExactTarget, GammaFamily, Path, Schedule, Target};

use crate::csvio;
use crate::error::CliError;

/// Parses a path family by its stable name (`Path::ALL`); clap lists the names in the help and
/// in the error for any other.
fn path_parser() -> impl TypedValueParser<Value = Path> {
    clap::builder::PossibleValuesParser::new(Path::ALL.map(Path::name))
        // Only the names above get here.
        .map(|s| Path::from_name(&s).unwrap_or(Path::Linear))
}

/// Parses a γ family by its stable name (`GammaFamily::ALL`).
fn gamma_parser() -> impl TypedValueParser<Value = GammaFamily> {
    clap::builder::PossibleValuesParser::new(GammaFamily::ALL.map(GammaFamily::name))
        // Only the names above get here.
        .map(|s| GammaFamily::from_name(&s).unwrap_or(GammaFamily::Brownian))
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
    #[arg(long, default_value = "linear", value_parser = path_parser())]
    pub path: Path,
    /// a in α = α_p^a.
    #[arg(long, value_name = "A", default_value = "1", value_parser = in_range(EXP_RANGE.0, EXP_RANGE.1))]
    pub alpha_exp: f64,
    /// b in β = β_p^b.
    #[arg(long, value_name = "B", default_value = "1", value_parser = in_range(EXP_RANGE.0, EXP_RANGE.1))]
    pub beta_exp: f64,
    /// γ family (default: the path's preset: brownian, or zero for one-sided and vp paths).
    #[arg(long, value_parser = gamma_parser())]
    pub gamma: Option<GammaFamily>,
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
        let path = self.path;
        let gamma = self.gamma.unwrap_or(path.default_gamma());
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
    /// drawing, as the page exports them) when given; `line:NAME` (or `line:DIGITS`, a drawing)
    /// is a target on the line, the plane's x-axis.
    pub fn target(&self) -> Result<Target, CliError> {
        parse_target(&self.target, "--target")
    }

    /// The target prepared for exact evaluation.
    pub fn exact_target(&self) -> Result<ExactTarget, CliError> {
        Ok(ExactTarget::new(&self.target()?))
    }
}

/// A target given as `flag`: a name, `points:FILE` (point masses), `drawn:FILE` (tube centres of a
/// drawing, as the page exports them) or `line:NAME` (a target on the line, the plane's x-axis).
pub fn parse_target(spec: &str, flag: &str) -> Result<Target, CliError> {
    for (prefix, make) in [
        ("points:", Target::Points as fn(Vec<_>) -> Target),
        ("drawn:", Target::Drawn),
    ] {
        let Some(file) = spec.strip_prefix(prefix) else {
            continue;
        };
        let pts = csvio::read_points(&PathBuf::from(file))
            .map_err(|e| CliError::usage(format!("{flag} {prefix}{file}: {e}")))?;
        if pts.is_empty() {
            return Err(CliError::usage(format!(
                "{flag} {prefix}{file}: the file has no points"
            )));
        }
        return Ok(make(pts));
    }
    if let Some(code) = spec.strip_prefix("line:") {
        return Target::line(code).map_err(|e| CliError::usage(format!("{flag} line:{code}: {e}")));
    }
    Target::from_name(spec).ok_or_else(|| {
        CliError::usage(format!(
            "{flag} '{}' is not a target; use one of {}, points:FILE, drawn:FILE or \
             line:NAME (a target on the line)",
            spec,
            Target::NAMES.join(", ")
        ))
    })
}
