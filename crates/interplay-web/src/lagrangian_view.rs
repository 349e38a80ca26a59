//! The Lagrangian views: the ODE's and the SDE's particles (exact, or the learned model's from
//! the engine) with their fading trails, the arrows of b or s, and a picked point's conditional
//! paths.

use interplay_core::density::VIEW_HALF;
use interplay_core::integrate::VIEW_T_END;
use interplay_core::raster::arrows;
use interplay_core::sampling::{initial_particles, interpolant_samples};
use interplay_core::{ExactField, P2};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::flow_pick::FlowPick;
use crate::learned::Learned;
use crate::panel::{LAGRANGIAN_PX, Panel};
use crate::params::{Arrows, Direction, Params, Source};
use crate::particles::Particles;
use crate::raster::{TrailImage, start_color};

/// The two particle panels, [ODE, SDE], and what they keep between frames.
pub(crate) struct LagrangianView {
    panels: [Panel; 2],
    /// [ODE, SDE] particle clouds with the same starting points.
    clouds: [Particles; 2],
    /// Each particle's colour, from where it started.
    colors: Vec<[u8; 3]>,
    trails: [TrailImage; 2],
    pick: FlowPick,
}

impl LagrangianView {
    pub(crate) fn new(
        ode: HtmlCanvasElement,
        sde: HtmlCanvasElement,
        params: &Params,
        field: &ExactField,
    ) -> Result<Self, JsValue> {
        let (clouds, colors) = clouds(params, field);
        Ok(Self {
            panels: [
                Panel::new(ode, LAGRANGIAN_PX, false)?,
                Panel::new(sde, LAGRANGIAN_PX, false)?,
            ],
            clouds,
            colors,
            trails: [
                TrailImage::new(LAGRANGIAN_PX, LAGRANGIAN_PX),
                TrailImage::new(LAGRANGIAN_PX, LAGRANGIAN_PX),
            ],
            pick: FlowPick::default(),
        })
    }

    /// The canvases' internal width.
    pub(crate) fn width(&self) -> u32 {
        self.panels[0].canvas.width()
    }

    /// Restarts the particles from their initial positions and clears the trails.
    pub(crate) fn reset(&mut self, params: &Params, field: &ExactField) {
        (self.clouds, self.colors) = clouds(params, field);
        for t in &mut self.trails {
            t.clear();
        }
    }

    /// Moves the exact particles on screen towards t while `budget` allows; true once there.
    pub(crate) fn tick(
        &mut self,
        params: &Params,
        field: &ExactField,
        mut budget: impl FnMut() -> bool,
    ) -> bool {
        let shown = params.shown();
        let mut done = true;
        for (k, cloud) in self.clouds.iter_mut().enumerate() {
            if shown[k] {
                done &= cloud.advance(field, params.t, &mut budget);
            }
        }
        done
    }

    /// The particles on screen in panel `k` (0: ODE, 1: SDE) at the current t: the exact
    /// cloud, or the model's particles for a learned source.
    pub(crate) fn points(
        &self,
        k: usize,
        params: &Params,
        field: &ExactField,
        learned: &Learned,
    ) -> Vec<P2> {
        if params.source != Source::Exact {
            learned.points().to_vec()
        } else {
            self.clouds[k.min(1)].shown(field, params.t)
        }
    }

    /// Picks the point (x, y) at the current t (NaN: none); see [`FlowPick::set`].
    pub(crate) fn pick(
        &mut self,
        x: f64,
        y: f64,
        params: &Params,
        field: &ExactField,
    ) -> Result<Value, String> {
        self.pick.set(params.t, x, y, params, field)
    }

    /// Draws the panels on screen; `trails` keeps fading flow lines (while playing).
    pub(crate) fn draw(
        &mut self,
        params: &Params,
        field: &ExactField,
        learned: &Learned,
        trails: bool,
    ) -> Result<(), JsValue> {
        let shown = params.shown();
        for (k, &show) in shown.iter().enumerate() {
            if !show {
                continue;
            }
            let points = self.points(k, params, field, learned);
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
            self.panels[k].put(&img.rgba(), LAGRANGIAN_PX)?;
            if params.arrows != Arrows::None {
                draw_arrows(&self.panels[k].ctx, params, field);
            }
        }
        // A pick shows on the first panel on screen (the ODE's, unless only the SDE's is).
        if let Some(k) = shown.iter().position(|s| *s) {
            self.pick.draw(&self.panels[k].ctx, params, field);
        }
        Ok(())
    }
}

/// The [ODE, SDE] clouds from the same starting points (at the start, or at the end for the
/// backward direction), and their colours.
fn clouds(params: &Params, field: &ExactField) -> ([Particles; 2], Vec<[u8; 3]>) {
    let sched = params.schedule();
    let target = field.target();
    let (start, t0) = if params.direction == Direction::Backward {
        (
            interpolant_samples(&sched, target, VIEW_T_END, params.particles, params.seed),
            VIEW_T_END,
        )
    } else {
        (
            initial_particles(&sched, target, params.particles, params.seed),
            sched.t_start(),
        )
    };
    let colors = start.iter().map(|p| start_color(*p)).collect();
    let t_min = sched.t_start();
    let ode = Particles::new(start.clone(), t_min, 0.0, params.seed).standing_at(t0);
    let sde = Particles::new(start, t_min, params.eps.max(0.0), params.seed).standing_at(t0);
    ([ode, sde], colors)
}

/// Arrows of b (or s) over a particle panel.
fn draw_arrows(ctx: &CanvasRenderingContext2d, params: &Params, field: &ExactField) {
    let t = params.t.clamp(1e-3, VIEW_T_END);
    let at = field.at(t);
    let which = params.arrows;
    let list = arrows(15, |x| {
        if which == Arrows::S {
            at.score(x)
        } else {
            at.velocity(x)
        }
    });
    let (h, s) = (VIEW_HALF, LAGRANGIAN_PX as f64 / (2.0 * VIEW_HALF));
    let px = |p: P2| ((p[0] + h) * s, (h - p[1]) * s);
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
