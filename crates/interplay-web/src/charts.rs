//! Charts drawn with plotters into canvases: the schedule α(t), β(t), γ(t) with a marker at t,
//! and the training loss curves.

use interplay_core::Schedule;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

/// Curve colours (Okabe–Ito): α, β, γ, σ.
const CURVES: [RGBColor; 4] = [
    RGBColor(0x00, 0x72, 0xb2),
    RGBColor(0xd5, 0x5e, 0x00),
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0x99, 0x99, 0x99),
];

/// The charts' size in CSS pixels; the canvas has that many times the device's pixel ratio.
const BASE: (u32, u32) = (480, 270);

/// Sizes a chart's canvas for this screen (its pixels: `BASE` × the device's pixel ratio).
pub fn size_canvas(canvas: &HtmlCanvasElement) {
    let r = crate::render::pixel_ratio();
    canvas.set_width((f64::from(BASE.0) * r).round() as u32);
    canvas.set_height((f64::from(BASE.1) * r).round() as u32);
}

/// The two charts' canvases and the loss curves drawn in one of them.
pub(crate) struct Charts {
    schedule: HtmlCanvasElement,
    loss: HtmlCanvasElement,
    /// One series per network: (step, loss).
    losses: Vec<(String, Vec<(f64, f64)>)>,
}

impl Charts {
    /// Charts drawing into `schedule` and `loss`, sized for this screen.
    pub(crate) fn new(schedule: HtmlCanvasElement, loss: HtmlCanvasElement) -> Self {
        for c in [&schedule, &loss] {
            size_canvas(c);
        }
        Self {
            schedule,
            loss,
            losses: Vec::new(),
        }
    }

    /// Appends a training step's losses, by network name.
    pub(crate) fn push_losses(&mut self, step: f64, list: Vec<(String, f64)>) {
        for (name, v) in list {
            match self.losses.iter_mut().find(|(n, _)| *n == name) {
                Some((_, s)) => s.push((step, v)),
                None => self.losses.push((name, vec![(step, v)])),
            }
        }
    }

    /// Forgets the loss curves.
    pub(crate) fn clear_losses(&mut self) {
        self.losses.clear();
    }

    /// Draws α(t), β(t), γ(t) and σ(t) with a marker at t.
    pub(crate) fn draw_schedule(&self, sched: &Schedule, t: f64) -> Result<(), String> {
        schedule(self.schedule.clone(), sched, t)
    }

    /// Draws the loss curves.
    pub(crate) fn draw_losses(&self) -> Result<(), String> {
        losses(self.loss.clone(), &self.losses)
    }
}

/// Scales a length in chart pixels (fonts, margins, strokes) to the canvas's resolution.
fn scaler(canvas: &HtmlCanvasElement) -> impl Fn(u32) -> u32 + Copy + use<> {
    let s = (f64::from(canvas.width()) / f64::from(BASE.0)).max(0.25);
    move |v| ((f64::from(v) * s).round() as u32).max(1)
}

fn err(e: impl std::fmt::Debug) -> String {
    format!("chart: {e:?}")
}

/// α, β, γ (and σ) over t ∈ [0, 1], with a vertical marker at `t`.
pub fn schedule(canvas: HtmlCanvasElement, sched: &Schedule, t: f64) -> Result<(), String> {
    let px = scaler(&canvas);
    let backend =
        CanvasBackend::with_canvas_object(canvas).ok_or("no 2-D canvas for the schedule chart")?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let ts: Vec<f64> = (0..=200).map(|i| i as f64 / 200.0).collect();
    let vals: Vec<_> = ts.iter().map(|&t| sched.at(t)).collect();
    let top = vals
        .iter()
        .flat_map(|v| [v.alpha, v.beta, v.gamma])
        .filter(|v| v.is_finite())
        .fold(1.0f64, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .margin(px(8))
        .margin_right(px(22))
        .x_label_area_size(px(34))
        .y_label_area_size(px(48))
        .build_cartesian_2d(0f64..1f64, 0f64..top * 1.05)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(5)
        .light_line_style(WHITE.mix(0.0))
        .label_style(("sans-serif", px(20)))
        .draw()
        .map_err(err)?;
    // The legend is HTML beside the canvas (it never hides a curve).
    let series: [fn(&interplay_core::ScheduleAt) -> f64; 4] =
        [|v| v.alpha, |v| v.beta, |v| v.gamma, |v| v.sigma2().sqrt()];
    for (k, f) in series.iter().enumerate() {
        let color = CURVES[k];
        let pts: Vec<(f64, f64)> = ts
            .iter()
            .zip(&vals)
            .map(|(t, v)| (*t, f(v)))
            .filter(|p| p.1.is_finite())
            .collect();
        let style = if k == 3 {
            color.stroke_width(px(2))
        } else {
            color.stroke_width(px(3))
        };
        chart
            .draw_series(LineSeries::new(pts, style))
            .map_err(err)?;
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(t, 0.0), (t, top * 1.05)],
            BLACK.mix(0.6).stroke_width(px(2)),
        )))
        .map_err(err)?;
    root.present().map_err(err)
}

/// A tick label of an axis spanning `range`: the same decimals on every tick, enough for a tenth
/// of the range (the ticks are a fifth of it apart, or finer), so that the labels line up and stay
/// short; a tick that is zero up to rounding reads "0" (not "-6.94e-18"), and a negative one keeps
/// its sign in the label area's width.
fn tick_label(v: f64, range: f64) -> String {
    if !(v.is_finite() && range > 0.0 && range.is_finite()) {
        return interplay_core::schedule::sig3(v);
    }
    if v.abs() < range * 1e-9 {
        return "0".to_owned();
    }
    let scale = v.abs().max(range);
    if !(1e-3..1e6).contains(&scale) {
        return format!("{v:.1e}");
    }
    let decimals = (-(range / 10.0).log10().floor()).max(0.0) as usize;
    format!("{v:.decimals$}")
}

/// The room above and below the losses on the chart's axis: 5 % of their range, and at least
/// 0.5 % of their size, so that the first steps of a run (losses that differ in the sixth
/// figure) get ticks of a few figures ("0.3875"), not ones too long for the label area.
fn loss_pad(y0: f64, y1: f64) -> f64 {
    ((y1 - y0) * 0.05)
        .max(0.005 * y0.abs().max(y1.abs()))
        .max(1e-6)
}

/// Loss curves: one series per network, (step, loss).
pub fn losses(
    canvas: HtmlCanvasElement,
    series: &[(String, Vec<(f64, f64)>)],
) -> Result<(), String> {
    let px = scaler(&canvas);
    let backend =
        CanvasBackend::with_canvas_object(canvas).ok_or("no 2-D canvas for the loss chart")?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let pts = series
        .iter()
        .flat_map(|(_, s)| s.iter())
        .filter(|p| p.1.is_finite());
    let (mut x1, mut y0, mut y1) = (1f64, f64::INFINITY, f64::NEG_INFINITY);
    for p in pts {
        x1 = x1.max(p.0);
        y0 = y0.min(p.1);
        y1 = y1.max(p.1);
    }
    if !y0.is_finite() {
        (y0, y1) = (0.0, 1.0);
    }
    let pad = loss_pad(y0, y1);
    let mut chart = ChartBuilder::on(&root)
        .margin(px(8))
        .margin_right(px(22))
        .x_label_area_size(px(56))
        .y_label_area_size(px(72))
        .build_cartesian_2d(0f64..x1, (y0 - pad)..(y1 + pad))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(5)
        .y_labels(5)
        .x_desc("step")
        // Steps are whole numbers ("2000", not "2000.0"); the loss keeps three figures.
        .x_label_formatter(&|v| {
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        })
        .y_label_formatter(&|v| tick_label(*v, y1 - y0 + 2.0 * pad))
        .light_line_style(WHITE.mix(0.0))
        .label_style(("sans-serif", px(20)))
        .draw()
        .map_err(err)?;
    for (k, (name, s)) in series.iter().enumerate() {
        let color = CURVES[k % 3];
        let line: Vec<(f64, f64)> = s.iter().copied().filter(|p| p.1.is_finite()).collect();
        chart
            .draw_series(LineSeries::new(line, color.stroke_width(px(3))))
            .map_err(err)?
            .label(format!("loss {name}"))
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + px(22) as i32, y)],
                    color.stroke_width(px(3)),
                )
            });
    }
    if !series.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.2))
            .label_font(("sans-serif", px(20)))
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)
}

/// The ε explorer's chart: the samples' histogram TV at each ε of the sweep (blue, left axis)
/// and the KL bound A/(4ε) + B/2 + εC/4 (orange, right axis), with dashed markers at the ε of
/// the lowest TV and at the bound's minimiser, and a grey line at the TV of as many exact
/// samples (the histogram's own noise floor).
pub fn eps_sweep(
    canvas: HtmlCanvasElement,
    eps: &[f64],
    tv: &[f64],
    tv_exact: f64,
    bound: (f64, f64, f64),
    best: (f64, Option<f64>),
) -> Result<(), String> {
    let px = scaler(&canvas);
    let backend =
        CanvasBackend::with_canvas_object(canvas).ok_or("no 2-D canvas for the ε chart")?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let x1 = eps.iter().copied().fold(1.0f64, f64::max);
    let tv_top = tv
        .iter()
        .copied()
        .chain([tv_exact])
        .filter(|v| v.is_finite())
        .fold(0.05f64, f64::max)
        * 1.1;
    let (a, b, c) = bound;
    let kl = |e: f64| a / (4.0 * e) + b / 2.0 + e * c / 4.0;
    let curve: Vec<(f64, f64)> = (1..=200)
        .map(|i| x1 * i as f64 / 200.0)
        .map(|e| (e, kl(e)))
        .filter(|p| p.1.is_finite())
        .collect();
    // The bound is huge at small ε: its axis shows from its minimum to a few times that.
    let kl_min = curve
        .iter()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .max(1e-9);
    let kl_top = (4.0 * kl_min).max(kl(x1) * 1.05);
    let mut chart = ChartBuilder::on(&root)
        .margin(px(8))
        .x_label_area_size(px(50))
        .y_label_area_size(px(84))
        .right_y_label_area_size(px(100))
        .build_cartesian_2d(0f64..x1, 0f64..tv_top)
        .map_err(err)?
        .set_secondary_coord(0f64..x1, 0f64..kl_top);
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(5)
        .x_desc("noise ε")
        .y_desc("histogram TV")
        .light_line_style(WHITE.mix(0.0))
        .label_style(("sans-serif", px(20)))
        .draw()
        .map_err(err)?;
    chart
        .configure_secondary_axes()
        .y_labels(5)
        .y_desc("KL bound")
        .label_style(("sans-serif", px(20)))
        .draw()
        .map_err(err)?;
    let (blue, orange) = (CURVES[0], CURVES[1]);
    if tv_exact.is_finite() {
        chart
            .draw_series((0..24).map(|k| {
                let (e0, e1) = (x1 * k as f64 / 24.0, x1 * (k as f64 + 0.5) / 24.0);
                PathElement::new(
                    vec![(e0, tv_exact), (e1, tv_exact)],
                    CURVES[3].stroke_width(px(2)),
                )
            }))
            .map_err(err)?;
    }
    let pts: Vec<(f64, f64)> = eps
        .iter()
        .zip(tv)
        .map(|(e, v)| (*e, *v))
        .filter(|p| p.1.is_finite())
        .collect();
    chart
        .draw_series(LineSeries::new(pts.clone(), blue.stroke_width(px(3))))
        .map_err(err)?;
    chart
        .draw_series(pts.iter().map(|&p| Circle::new(p, px(6), blue.filled())))
        .map_err(err)?;
    let shown: Vec<(f64, f64)> = curve.into_iter().filter(|p| p.1 <= kl_top).collect();
    chart
        .draw_secondary_series(LineSeries::new(shown, orange.stroke_width(px(3))))
        .map_err(err)?;
    let dashed = |x: f64, colour: RGBColor, top: f64| {
        (0..12).map(move |k| {
            let (y0, y1) = (top * k as f64 / 12.0, top * (k as f64 + 0.5) / 12.0);
            PathElement::new(vec![(x, y0), (x, y1)], colour.stroke_width(px(2)))
        })
    };
    if best.0.is_finite() {
        chart
            .draw_series(dashed(best.0, blue, tv_top))
            .map_err(err)?;
    }
    if let Some(e) = best.1.filter(|e| *e <= x1) {
        chart
            .draw_secondary_series(dashed(e, orange, kl_top))
            .map_err(err)?;
    }
    root.present().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::tick_label;

    #[test]
    fn a_run_s_first_nearly_equal_losses_get_short_ticks() {
        // Six steps whose losses differ in the sixth figure: the labels read "0.3893530" and
        // were cut at the edge of the label area.
        let (y0, y1) = (0.389_351, 0.389_353);
        let pad = super::loss_pad(y0, y1);
        let range = y1 - y0 + 2.0 * pad;
        for v in [y0 - pad, 0.3875, 0.3890, y1 + pad] {
            let l = tick_label(v, range);
            assert!(l.len() <= 6, "{l}");
        }
        // A wide range keeps its own 5 %.
        assert_eq!(super::loss_pad(-1.0, 1.0), 0.1);
    }

    #[test]
    fn tick_labels_are_short_signed_and_read_zero_at_zero() {
        // Losses from −0.04 to 0.04: the labels a reader saw as "0.0400, 0.0200, 94e-18, 0.0200,
        // 0.0400" (a rounding residue for zero, the minus signs cut off at the edge).
        let range = 0.088;
        let got: Vec<String> = [0.04, 0.02, 6.938893903907228e-18, -0.02, -0.04]
            .iter()
            .map(|v| tick_label(*v, range))
            .collect();
        assert_eq!(got, ["0.040", "0.020", "0", "-0.020", "-0.040"]);
        assert!(got.iter().all(|l| l.len() <= 6), "{got:?}");
        // Larger losses, fewer decimals; the same decimals on every tick of one axis.
        assert_eq!(tick_label(1.5, 3.0), "1.5");
        assert_eq!(tick_label(-2.0, 3.0), "-2.0");
        assert_eq!(tick_label(250.0, 800.0), "250");
        // Out of the fixed-point range, the exponent form.
        assert_eq!(tick_label(2.5e-5, 4e-5), "2.5e-5");
        assert_eq!(tick_label(-3.0e6, 5e6), "-3.0e6");
        assert_eq!(tick_label(f64::NAN, 1.0), "NaN");
    }
}
