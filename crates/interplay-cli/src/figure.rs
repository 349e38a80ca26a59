//! `interplay figure`: the Eulerian and Lagrangian views of the exact fields (or of a trained
//! model, `--model`; see [`crate::figure_source`]) at several times, or
//! the space–time view of an interpolant on the line, for a paper or a slide (the page's palette
//! and particle colours): an SVG with axes, tick labels, titles, a colour bar and a caption when
//! `--out` ends in `.svg`, the same figure as a PNG (text in a bitmap font) when it ends in
//! `.png`, or with `--bare` the panels alone.
//!
//! Columns are the times given; the top row is the density ρ(t, ·) on [−5, 5]² (each panel
//! scaled to its own maximum, on the page's square-root scale), the bottom row the particles
//! carried from the Gaussian by the probability-flow ODE (RK4), coloured by the sector they
//! started in. At t = 1 the density is the target's and the particles take the Tweedie jump from
//! t = 1 − 10⁻³, as `interplay sample` does.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use interplay_core::density::VIEW_HALF;
use interplay_core::line::LineTarget;
use interplay_core::palette;
use interplay_core::palette::{Scale, density_rgba};
use interplay_core::raster::{TrailImage, start_color};
use interplay_core::spacetime::{self, SpaceTime};
use interplay_core::{ExactField, ExactTarget, Schedule};
use interplay_nn::line_flow::{FlowLines, flow_lines};

use crate::args::Common;
use crate::csvio;
use crate::error::CliError;
use crate::figure_source::Source;
use crate::png_figure::{self, encode_png, rgba_png};
use crate::scene::{ColourBar, Curve, DASHED_PINK, Panel};
use crate::svg;

/// Which rows the figure has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum View {
    /// The density ρ(t, ·) (Eulerian view).
    Eulerian,
    /// The particles (Lagrangian view).
    Lagrangian,
    /// Both, density above particles.
    Both,
    /// The space–time view on the line: ρ(t, x) over t ∈ [0, 1] with the ODE's flow lines (and
    /// SDE paths with --eps); --times is ignored.
    Spacetime,
}

/// `interplay figure`.
#[derive(Args, Debug)]
pub struct FigureArgs {
    /// Times of the columns, increasing, comma-separated, in [0, 1].
    #[arg(long, value_delimiter = ',', default_value = "0,0.25,0.5,0.75,1")]
    pub times: Vec<f64>,
    /// Rows: the density, the particles, or both.
    #[arg(long, value_enum, default_value_t = View::Both)]
    pub view: View,
    /// Pixels per side of each panel.
    #[arg(long, default_value_t = 256)]
    pub size: usize,
    /// Particles in the Lagrangian row.
    #[arg(long, default_value_t = 5000)]
    pub n: usize,
    /// RK4 steps per unit of time (spread over the columns).
    #[arg(long, default_value_t = 200)]
    pub steps: usize,
    /// The target on the line of the space–time view: checkerboard (its marginal), gmm, bars.
    #[arg(long, default_value = "gmm")]
    pub line: String,
    /// Draw a trained model (a checkpoint from `interplay train`) instead of the exact fields:
    /// its density (by the likelihood of its flow) and its particles.
    #[arg(long, value_name = "CKPT")]
    pub model: Option<PathBuf>,
    /// Where a model runs.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: crate::model::DeviceArg,
    /// The SVG's caption instead of the one written for the figure ("" for none).
    #[arg(long, value_name = "TEXT")]
    pub caption: Option<String>,
    /// Output: an SVG figure (`.svg`) or the same figure as PNG (`.png`).
    #[arg(long, value_name = "OUT.svg|OUT.png")]
    pub out: PathBuf,
    /// A PNG of the panels alone, without axes, titles, colour bar or caption.
    #[arg(long)]
    pub bare: bool,
    #[command(flatten)]
    pub common: Common,
}

/// White margin between and around panels, in pixels.
const GAP: usize = 8;

/// Runs the command.
pub fn run(a: &FigureArgs) -> Result<(), CliError> {
    if a.times.is_empty() || a.times.len() > 16 {
        return Err(CliError::usage("--times needs 1 to 16 times"));
    }
    if let Some(t) = a.times.iter().find(|t| !(0.0..=1.0).contains(*t)) {
        return Err(CliError::usage(format!("--times: {t} is outside [0, 1]")));
    }
    if a.times.windows(2).any(|w| w[1] < w[0]) {
        return Err(CliError::usage("--times must be increasing"));
    }
    if !(32..=2048).contains(&a.size) {
        return Err(CliError::usage(format!(
            "--size {} is outside [32, 2048]",
            a.size
        )));
    }
    if !(1..=200_000).contains(&a.n) || !(1..=100_000).contains(&a.steps) {
        return Err(CliError::usage(
            "--n must be in [1, 200000] and --steps in [1, 100000]",
        ));
    }
    let format = match a.out.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("svg") => Format::Svg,
        Some(e) if e.eq_ignore_ascii_case("png") => Format::Png,
        _ => {
            return Err(CliError::usage(format!(
                "--out {} must end in .svg or .png",
                a.out.display()
            )));
        }
    };
    if a.view == View::Spacetime {
        return spacetime(a, format);
    }
    let source = source(a)?;
    let mut rows = Vec::new();
    if a.view != View::Lagrangian {
        let mut row = Vec::new();
        for &t in &a.times {
            let values = source.density(t, a.size)?;
            row.push(density_rgba(&values, Scale::fit(&values)));
        }
        rows.push(row);
    }
    if a.view != View::Eulerian {
        rows.push(particle_panels(&source, a)?);
    }
    if format == Format::Png && a.bare {
        let png = encode_png(&compose(&rows, a.size), width(a.times.len(), a.size), {
            height(rows.len(), a.size)
        })?;
        return csvio::write_bytes(&a.out, &png);
    }
    csvio::write_bytes(&a.out, &views_figure(&source, a, &rows, format)?)
}

/// The exact fields, or the model of `--model` under the schedule flags (a schedule-free model
/// takes any schedule; the others keep their own, with a note).
fn source(a: &FigureArgs) -> Result<Source, CliError> {
    let schedule = a.common.schedule()?;
    let Some(path) = &a.model else {
        return Ok(Source::Exact(ExactField::from_parts(
            schedule,
            a.common.exact_target()?,
        )));
    };
    let ck = crate::model::load(path, "--model")?;
    let backend = crate::model::backend(a.device)?;
    let field = crate::model::field(&ck, schedule, &backend)?;
    let target = ExactTarget::new(&ck.header.target.target().map_err(CliError::usage)?);
    let what = format!(
        "{} model, {} steps",
        ck.header.objective.name(),
        ck.header.steps
    );
    Ok(Source::Model {
        field,
        target,
        what,
    })
}

/// What `--out` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Svg,
    Png,
}

/// The palette as colour-bar stops (square-root scale, as the heat maps).
fn colour_bar(max: f64, label: &str) -> ColourBar {
    ColourBar {
        stops: (0..=16)
            .map(|i| {
                let v = i as f64 / 16.0;
                (v, palette::color(v))
            })
            .collect(),
        max,
        label: label.into(),
    }
}

/// The figure in the format asked for.
fn write_figure(
    format: Format,
    panels: &[Panel],
    columns: usize,
    bar: Option<&ColourBar>,
    caption: &str,
) -> Result<Vec<u8>, CliError> {
    match format {
        Format::Svg => svg::figure(panels, columns, bar, caption).map(String::into_bytes),
        Format::Png => png_figure::figure(panels, columns, bar, caption),
    }
}

/// The views at each time: one panel per time and row, with axes and titles.
fn views_figure(
    source: &Source,
    a: &FigureArgs,
    rows: &[Vec<Vec<u8>>],
    format: Format,
) -> Result<Vec<u8>, CliError> {
    let h = VIEW_HALF;
    let mut panels = Vec::new();
    let names = match a.view {
        View::Eulerian => vec!["density ρ"],
        View::Lagrangian => vec!["particles"],
        _ => vec!["density ρ", "particles"],
    };
    for (row, name) in rows.iter().zip(&names) {
        for (img, &t) in row.iter().zip(&a.times) {
            panels.push(Panel {
                rgba: img.clone(),
                pixels: (a.size, a.size),
                size: (a.size as f64, a.size as f64),
                x: (-h, h),
                y: (-h, h),
                labels: ("x₁".into(), "x₂".into()),
                title: format!("{name} at t = {t}"),
                curves: Vec::new(),
            });
        }
    }
    let sc = source.schedule();
    let caption = format!(
        "{} {} of the interpolant x_t = α(t)x0 + β(t)x1 + γ(t)z ({} path, γ {}), on [−{h}, {h}]²{}.",
        source.describe(),
        names.join(" and "),
        sc.path.name(),
        sc.gamma.name(),
        if a.view == View::Eulerian {
            "; each panel scaled to its own maximum"
        } else {
            ""
        }
    );
    // Each panel has its own maximum: the bar reads relative density.
    let bar =
        (a.view != View::Lagrangian).then(|| colour_bar(1.0, "ρ / max ρ (square-root scale)"));
    let caption = a.caption.clone().unwrap_or(caption);
    write_figure(format, &panels, a.times.len(), bar.as_ref(), &caption)
}

/// A model trained on a target on the line: its target and schedule, its flow lines, and what
/// it is.
fn line_model(
    a: &FigureArgs,
) -> Result<Option<(LineTarget, Schedule, FlowLines, String)>, CliError> {
    if a.model.is_none() {
        return Ok(None);
    }
    let Source::Model {
        field,
        target,
        what,
    } = source(a)?
    else {
        return Ok(None);
    };
    let ExactTarget::Line(line) = target else {
        return Err(CliError::usage(
            "--view spacetime --model needs a model trained on a target on the line \
             (interplay train --target line:NAME); this one was trained in the plane",
        ));
    };
    let lines = pollster::block_on(flow_lines(&field, &line))
        .map_err(|e| CliError::usage(format!("--model: {e}")))?;
    Ok(Some((line, field.schedule, lines, what)))
}

/// The space–time view on the line: exact, or with a model's flow lines (dashed) over the exact
/// figure of the target and schedule it learned.
fn spacetime(a: &FigureArgs, format: Format) -> Result<(), CliError> {
    let model = line_model(a)?;
    let (target, schedule, name) = match &model {
        Some((line, schedule, ..)) => (line.clone(), *schedule, "of the model".to_owned()),
        None => {
            let target = LineTarget::from_name(&a.line).ok_or_else(|| {
                CliError::usage(format!(
                    "--line '{}' is unknown; use one of {}",
                    a.line,
                    LineTarget::NAMES.join(", ")
                ))
            })?;
            (target, a.common.schedule()?, a.line.clone())
        }
    };
    let eps = a.common.eps;
    let fig = SpaceTime::new(schedule, target, eps, a.common.seed);
    let (w, h) = (spacetime::WIDTH, spacetime::HEIGHT);
    if format == Format::Png && a.bare {
        return csvio::write_bytes(&a.out, &rgba_png(&fig.rgba, w, h)?);
    }
    let mut curves: Vec<Curve> = fig
        .paths
        .iter()
        .map(|p| ("#e8862a", 1.2, p.clone()))
        .collect();
    curves.extend(fig.lines.iter().map(|l| ("white", 1.2, l.clone())));
    if let Some((_, _, lines, _)) = &model {
        curves.extend(lines.curves().into_iter().map(|l| (DASHED_PINK, 1.6, l)));
    }
    let panel = Panel {
        rgba: fig.rgba.clone(),
        pixels: (w, h),
        size: (2.0 * w as f64, 2.0 * h as f64),
        x: (0.0, 1.0),
        y: (-VIEW_HALF, VIEW_HALF),
        labels: ("time t".into(), "x".into()),
        title: format!(
            "ρ(t, x) on the line, target {} ({} path, γ {})",
            name,
            schedule.path.name(),
            schedule.gamma.name()
        ),
        curves,
    };
    let caption = if eps > 0.0 {
        format!(
            "White: flow lines of the ODE from quantiles of ρ(0); orange: paths of the SDE with ε = {}.",
            eps
        )
    } else {
        "White: flow lines of the probability-flow ODE from evenly spaced quantiles of ρ(0).".into()
    };
    let caption = match &model {
        Some((.., what)) => format!("{caption} Dashed pink: flow lines of the learned b ({what})."),
        None => caption,
    };
    let caption = a.caption.clone().unwrap_or(caption);
    let bar = colour_bar(fig.max, "density ρ (square-root scale)");
    let out = write_figure(format, &[panel], 1, Some(&bar), &caption)?;
    csvio::write_bytes(&a.out, &out)
}

fn width(columns: usize, size: usize) -> usize {
    columns * size + (columns + 1) * GAP
}

fn height(rows: usize, size: usize) -> usize {
    rows * size + (rows + 1) * GAP
}

/// The particles at each time, as RGBA pixels, coloured by where they started.
fn particle_panels(source: &Source, a: &FigureArgs) -> Result<Vec<Vec<u8>>, CliError> {
    let (start, clouds) = source.particles(&a.times, a.n, a.steps, a.common.seed)?;
    let colors: Vec<[u8; 3]> = start.iter().map(|x| start_color(*x)).collect();
    let dot = (a.size / 200).max(1);
    Ok(clouds
        .iter()
        .map(|xs| {
            let mut image = TrailImage::new(a.size, a.size);
            image.plot(xs, &colors, dot);
            image.rgba()
        })
        .collect())
}

/// Panels (RGBA, `size` square) laid out in rows on white, as RGB.
fn compose(rows: &[Vec<Vec<u8>>], size: usize) -> Vec<u8> {
    let columns = rows.first().map_or(0, Vec::len);
    let (w, h) = (width(columns, size), height(rows.len(), size));
    let mut out = vec![255u8; w * h * 3];
    for (r, row) in rows.iter().enumerate() {
        for (c, panel) in row.iter().enumerate() {
            let (x0, y0) = (GAP + c * (size + GAP), GAP + r * (size + GAP));
            for y in 0..size {
                for x in 0..size {
                    let (src, dst) = (4 * (y * size + x), 3 * ((y0 + y) * w + x0 + x));
                    out[dst..dst + 3].copy_from_slice(&panel[src..src + 3]);
                }
            }
        }
    }
    out
}
