//! The viewer's drawing: the Eulerian heat map (exact, interpolant samples, the model's
//! particles or its density), the particle views with their trails and arrows, the schedule and
//! the loss curves, each into the canvas the host gave it.

use interplay_core::P2;
use interplay_core::density::{Grid, VIEW_HALF, histogram};
use interplay_core::integrate::VIEW_T_END;
use interplay_core::sampling::Draws;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use crate::params::{Arrows, Eulerian, Source};
use crate::raster::arrows;
use crate::spacetime::{self, Pick, SpaceTime};
use crate::viewer::{GRID, LAGRANGIAN_PX, Viewer};
use crate::{charts, render};

/// Direct interpolant samples for the "samples" Eulerian view.
const SAMPLES: usize = 60_000;
/// Bins per side of histograms (coarser than the grid, so a few thousand points read well).
const BINS: usize = 64;

/// A coarse n×n image (row-major) repeated to GRID×GRID pixels (nearest neighbour).
fn upsample(values: &[f64], n: usize) -> Vec<f64> {
    upsample_to(values, n, GRID)
}

/// A coarse n×n image (row-major) repeated to `size`×`size` pixels (nearest neighbour).
pub(crate) fn upsample_to(values: &[f64], n: usize, size: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(size * size);
    for row in 0..size {
        for col in 0..size {
            out.push(values[(row * n / size) * n + col * n / size]);
        }
    }
    out
}

/// A canvas the viewer draws into: a raster of `w` × `h` pixels (computed by Rust) drawn at the
/// device's pixel ratio, with vector overlays (paths, arrows, labels) in the raster's own
/// coordinates, so lines and text are sharp on a high-DPI screen.
pub(crate) struct Panel {
    pub(crate) canvas: HtmlCanvasElement,
    pub(crate) ctx: CanvasRenderingContext2d,
    /// The raster at its own size, scaled onto `canvas` by `put_rect`.
    raster: HtmlCanvasElement,
    raster_ctx: CanvasRenderingContext2d,
    /// Whether the raster is scaled smoothly (densities) or by nearest pixels (particles).
    smooth: bool,
}

fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, JsValue> {
    canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("this browser gives no 2-D canvas context"))?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(|_| JsValue::from_str("the canvas context is not a 2-D context"))
}

impl Panel {
    pub(crate) fn new(
        canvas: HtmlCanvasElement,
        size: usize,
        smooth: bool,
    ) -> Result<Self, JsValue> {
        Self::new_rect(canvas, size, size, smooth)
    }

    /// A panel whose raster is `w` × `h` pixels; the canvas has that many CSS pixels' worth of
    /// device pixels.
    pub(crate) fn new_rect(
        canvas: HtmlCanvasElement,
        w: usize,
        h: usize,
        smooth: bool,
    ) -> Result<Self, JsValue> {
        let scale = render::pixel_ratio();
        canvas.set_width((w as f64 * scale).round() as u32);
        canvas.set_height((h as f64 * scale).round() as u32);
        let ctx = context(&canvas)?;
        ctx.set_transform(scale, 0.0, 0.0, scale, 0.0, 0.0)?;
        let raster = web_sys::window()
            .and_then(|w| w.document())
            .ok_or_else(|| JsValue::from_str("no document for the canvas"))?
            .create_element("canvas")?
            .dyn_into::<HtmlCanvasElement>()?;
        raster.set_width(w as u32);
        raster.set_height(h as u32);
        let raster_ctx = context(&raster)?;
        Ok(Self {
            canvas,
            ctx,
            raster,
            raster_ctx,
            smooth,
        })
    }

    pub(crate) fn put(&self, rgba: &[u8], size: usize) -> Result<(), JsValue> {
        self.put_rect(rgba, size, size)
    }

    /// Puts `w` × `h` RGBA pixels over the whole panel.
    pub(crate) fn put_rect(&self, rgba: &[u8], w: usize, h: usize) -> Result<(), JsValue> {
        let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), w as u32, h as u32)?;
        self.raster_ctx.put_image_data(&image, 0.0, 0.0)?;
        self.ctx.set_image_smoothing_enabled(self.smooth);
        self.ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
            &self.raster,
            0.0,
            0.0,
            w as f64,
            h as f64,
        )
    }
}

impl Viewer {
    fn draw_arrows(&self, panel: &Panel) {
        let t = self.params.t.clamp(1e-3, VIEW_T_END);
        let at = self.field.at(t);
        let which = self.params.arrows;
        let list = arrows(15, |x| {
            if which == Arrows::S {
                at.score(x)
            } else {
                at.velocity(x)
            }
        });
        let (h, s) = (VIEW_HALF, LAGRANGIAN_PX as f64 / (2.0 * VIEW_HALF));
        let px = |p: P2| ((p[0] + h) * s, (h - p[1]) * s);
        let ctx = &panel.ctx;
        ctx.set_stroke_style_str("rgba(255,255,255,0.75)");
        ctx.set_line_width(1.2);
        ctx.begin_path();
        for (tail, head) in list {
            let ((x0, y0), (x1, y1)) = (px(tail), px(head));
            ctx.move_to(x0, y0);
            ctx.line_to(x1, y1);
            let (dx, dy) = (x1 - x0, y1 - y0);
            let len = dx.hypot(dy);
            if len > 3.0 {
                let (ux, uy) = (dx / len, dy / len);
                ctx.move_to(x1, y1);
                ctx.line_to(x1 - 4.0 * ux + 2.5 * uy, y1 - 4.0 * uy - 2.5 * ux);
                ctx.move_to(x1, y1);
                ctx.line_to(x1 - 4.0 * ux - 2.5 * uy, y1 - 4.0 * uy + 2.5 * ux);
            }
        }
        ctx.stroke();
    }
}

#[wasm_bindgen]
impl Viewer {
    /// Draws the Eulerian view; returns the density at the top of the colour scale, or NaN when
    /// the chosen source has nothing to show yet (a model not trained or loaded).
    #[wasm_bindgen(js_name = drawEulerian)]
    pub fn draw_eulerian(&mut self) -> Result<f64, JsValue> {
        let grid = Grid::view(GRID);
        let bins = Grid::view(BINS);
        let t = self.params.schedule().view_time(self.params.t);
        let values = match self.params.eulerian {
            Eulerian::Samples => {
                let key = self.params.samples_key(t);
                match &self.samples_cache {
                    Some((k, v)) if *k == key => v.clone(),
                    _ => {
                        let dk = self.params.draws_key();
                        if !matches!(&self.draws_cache, Some((k, _)) if *k == dk) {
                            let draws = Draws::new(
                                self.field.target(),
                                SAMPLES,
                                self.params.seed,
                                self.params.coupling,
                            );
                            self.draws_cache = Some((dk, draws));
                        }
                        let xs = match &self.draws_cache {
                            Some((_, d)) => d.at(&self.params.schedule(), t),
                            None => Vec::new(),
                        };
                        let v = upsample(&histogram(&bins, &xs), BINS);
                        self.samples_cache = Some((key, v.clone()));
                        v
                    }
                }
            }
            Eulerian::Model => match &self.model {
                Some(m) => upsample(&histogram(&bins, &m.points), BINS),
                None => return Ok(f64::NAN),
            },
            Eulerian::ModelDensity => match &self.model_density {
                Some((_, n, v)) => upsample(v, *n),
                None => return Ok(f64::NAN),
            },
            Eulerian::Exact => interplay_core::density::exact_density(
                &grid,
                &self.field.at_batch(t, grid.n * grid.n),
            ),
        };
        let scale = render::Scale::fit(&values);
        self.eulerian
            .put(&render::density_rgba(&values, scale), GRID)?;
        Ok(scale.max)
    }

    /// Draws the particle views; `trails` keeps fading flow lines (while playing).
    #[wasm_bindgen(js_name = drawLagrangian)]
    pub fn draw_lagrangian(&mut self, trails: bool) -> Result<(), JsValue> {
        let shown = self.params.shown();
        let learned = self.params.source != Source::Exact;
        for (k, &show) in shown.iter().enumerate() {
            if !show {
                continue;
            }
            let points = if learned {
                match &self.model {
                    Some(m) => m.points.clone(),
                    None => Vec::new(),
                }
            } else {
                self.clouds[k].shown(&self.field, self.params.t)
            };
            let img = &mut self.trails[k];
            img.fade(if trails { 0.86 } else { 0.0 });
            // The engine's particles start from the first draws of the same seeded streams, so
            // they share the colours of the exact particles.
            let colors: Vec<[u8; 3]> = if points.len() <= self.colors.len() {
                self.colors[..points.len()].to_vec()
            } else {
                points.iter().map(|_| [0xdd, 0xdd, 0xdd]).collect()
            };
            let size = if points.len() > 10_000 { 1 } else { 2 };
            img.plot(&points, &colors, size);
            self.lagrangian[k].put(&img.rgba(), LAGRANGIAN_PX)?;
            if self.params.arrows != Arrows::None {
                self.draw_arrows(&self.lagrangian[k]);
            }
        }
        // A pick shows on the first panel on screen (the ODE's, unless only the SDE's is).
        if let Some(k) = shown.iter().position(|s| *s) {
            self.draw_flow_pick(k);
        }
        Ok(())
    }

    /// Draws the space–time figure on the line with a cursor at t (the figure itself is
    /// recomputed only when the schedule, the line's target, ε or the seed change).
    #[wasm_bindgen(js_name = drawSpacetime)]
    pub fn draw_spacetime(&mut self) -> Result<(), JsValue> {
        let p = self.params.clone();
        let key = format!("{}|{}|{}", p.line_key(), p.eps, p.seed);
        if self.spacetime_cache.as_ref().is_none_or(|(k, _)| *k != key) {
            let fig = SpaceTime::new(p.schedule(), p.line_target(), p.eps, p.seed);
            self.spacetime_cache = Some((key, fig));
        }
        let Some((_, fig)) = &self.spacetime_cache else {
            return Ok(());
        };
        let panel = &self.spacetime;
        panel.put_rect(&fig.rgba, spacetime::WIDTH, spacetime::HEIGHT)?;
        let ctx = &panel.ctx;
        let stroke = |curves: &[Vec<(f64, f64)>], style: &str, width: f64| {
            stroke_spacetime(ctx, curves, style, width);
        };
        stroke(&fig.paths, "rgba(232,134,42,0.9)", 1.2);
        stroke(&fig.lines, "rgba(255,255,255,0.85)", 1.1);
        self.draw_line_model();
        let pick_key = format!("{}|{}", p.line_key(), p.seed);
        let stale = self.pick.as_ref().is_none_or(|(k, _)| *k != pick_key);
        if let (Some((t, x)), true) = (self.pick_at, stale) {
            self.pick = Some((
                pick_key,
                Pick::new(p.schedule(), p.line_target(), t, x, p.seed),
            ));
        }
        if let (Some(_), Some((_, pick))) = (self.pick_at, &self.pick) {
            stroke(&pick.paths, "rgba(86,180,233,0.75)", 1.0);
            stroke(std::slice::from_ref(&pick.flow), "rgba(255,255,255,1)", 3.0);
            // The velocity at the point as a tangent: b (white) and the conditional mean (blue).
            let (px, py) = SpaceTime::pixel(pick.t, pick.x);
            let tangent = |v: f64, style: &str| {
                let (qx, qy) = SpaceTime::pixel(pick.t + 0.06, pick.x + 0.06 * v);
                ctx.set_stroke_style_str(style);
                ctx.set_line_width(2.5);
                ctx.begin_path();
                ctx.move_to(2.0 * px - qx, 2.0 * py - qy);
                ctx.line_to(qx, qy);
                ctx.stroke();
            };
            tangent(pick.mean, "rgba(86,180,233,1)");
            ctx.begin_path();
            ctx.set_fill_style_str("rgba(255,255,255,1)");
            ctx.arc(px, py, 4.0, 0.0, std::f64::consts::TAU)?;
            ctx.fill();
        }
        // Axes: t along the bottom, x up the left side.
        // Labels in white with a dark outline, legible over the bright and the dark ends.
        ctx.set_fill_style_str("rgba(255,255,255,0.95)");
        ctx.set_stroke_style_str("rgba(20,20,30,0.8)");
        ctx.set_line_width(3.0);
        ctx.set_font("11px sans-serif");
        let label = |text: &str, x: f64, y: f64| -> Result<(), JsValue> {
            ctx.stroke_text(text, x, y)?;
            ctx.fill_text(text, x, y)
        };
        for (t, text) in [
            (0.0, "t = 0"),
            (0.25, "0.25"),
            (0.5, "0.5"),
            (0.75, "0.75"),
            (1.0, "1"),
        ] {
            let (px, _) = SpaceTime::pixel(t, 0.0);
            ctx.set_text_align(match t {
                0.0 => "left",
                1.0 => "right",
                _ => "center",
            });
            label(text, px, spacetime::HEIGHT as f64 - 4.0)?;
        }
        ctx.set_text_align("left");
        for x in [-4.0, 0.0, 4.0] {
            let (_, py) = SpaceTime::pixel(0.0, x);
            label(&format!("x = {x}"), 3.0, py + 4.0)?;
        }
        // The cursor at the current t, shared with the other views.
        let (cx, _) = SpaceTime::pixel(self.params.t, 0.0);
        ctx.set_stroke_style_str("rgba(255,255,255,0.95)");
        ctx.set_line_width(2.0);
        ctx.begin_path();
        ctx.move_to(cx, 0.0);
        ctx.line_to(cx, spacetime::HEIGHT as f64);
        ctx.stroke();
        Ok(())
    }

    /// Shows the conditional paths through (t, x) on the space–time figure (NaN: none) and
    /// returns what they say: `{t, x, b, mean, n}` (b the exact velocity there, `mean` the mean
    /// conditional velocity of the `n` triples whose x_t fell near x), or null.
    #[wasm_bindgen(js_name = pickSpacetime)]
    pub fn pick_spacetime(&mut self, t: f64, x: f64) -> Result<JsValue, JsValue> {
        self.pick = None;
        self.pick_at = (t.is_finite() && x.is_finite()).then_some((t, x));
        self.draw_spacetime()?;
        match &self.pick {
            Some((_, p)) if self.pick_at.is_some() => crate::viewer::to_js(&serde_json::json!({
                "t": p.t, "x": p.x, "b": p.b, "mean": p.mean, "n": p.n,
                "halfWidth": spacetime::PICK_HALF_WIDTH,
            })),
            _ => Ok(JsValue::NULL),
        }
    }

    /// Draws α(t), β(t), γ(t) and σ(t) with a marker at t.
    #[wasm_bindgen(js_name = drawSchedule)]
    pub fn draw_schedule(&self) -> Result<(), JsValue> {
        charts::schedule(
            self.schedule_canvas.clone(),
            &self.params.schedule(),
            self.params.t,
        )
        .map_err(|e| JsValue::from_str(&e))
    }

    /// Draws the loss curves.
    #[wasm_bindgen(js_name = drawLosses)]
    pub fn draw_losses(&self) -> Result<(), JsValue> {
        charts::losses(self.loss_canvas.clone(), &self.losses).map_err(|e| JsValue::from_str(&e))
    }
}

/// Strokes curves given in (t, x) on the space–time figure.
pub(crate) fn stroke_spacetime(
    ctx: &CanvasRenderingContext2d,
    curves: &[Vec<(f64, f64)>],
    style: &str,
    width: f64,
) {
    ctx.set_stroke_style_str(style);
    ctx.set_line_width(width);
    ctx.begin_path();
    for c in curves {
        for (i, &(t, x)) in c.iter().enumerate() {
            let (px, py) = SpaceTime::pixel(t, x);
            if i == 0 {
                ctx.move_to(px, py);
            } else {
                ctx.line_to(px, py);
            }
        }
    }
    ctx.stroke();
}
