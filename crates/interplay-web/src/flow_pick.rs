//! Conditional paths in the Lagrangian view: a click at x shows the conditional paths of random
//! triples whose x_t falls near x at the current t, the exact flow line through x, and the
//! velocity there as b and as the mean of the conditional velocities (core's
//! [`interplay_core::pick`]). While t moves, a dot on each conditional path marks where its
//! triple is at that t, beside the particles that follow the marginal flow.

use interplay_core::density::VIEW_HALF;
use interplay_core::pick::{self, PlanePick};
use interplay_core::{ExactField, P2};
use serde_json::{Value, json};
use web_sys::CanvasRenderingContext2d;

use crate::keyed::Keyed;
use crate::panel::LAGRANGIAN_PX;
use crate::params::Params;

/// Canvas pixels of a point of the view.
fn px(p: P2) -> (f64, f64) {
    let s = LAGRANGIAN_PX as f64 / (2.0 * VIEW_HALF);
    ((p[0] + VIEW_HALF) * s, (VIEW_HALF - p[1]) * s)
}

/// Seconds of flow an arrow of the velocity stands for.
const ARROW_TIME: f64 = 0.5;

/// The point picked in the Lagrangian view, if any, and what it shows.
#[derive(Default)]
pub(crate) struct FlowPick {
    /// The time and point picked.
    at: Option<(f64, P2)>,
    /// The pick, by what it depends on besides its point: the field (schedule, target,
    /// drawing) and the seed, as the interpolant samples do.
    pick: Keyed<PlanePick>,
}

impl FlowPick {
    /// The pick for the current field, recomputed when the field or the seed changed.
    fn current(&mut self, params: &Params, field: &ExactField) -> Option<&PlanePick> {
        let (t, x) = self.at?;
        let pick = self.pick.get_or_make(params.samples_key(0.0), || {
            PlanePick::new(field, t, x, params.seed)
        });
        Some(pick)
    }

    /// Picks x = (x, y) at time t (NaN: none) and returns what the pick says: `{t, x, y, b,
    /// mean, n, drawn, radius}`, or null. A point outside the view is refused.
    pub(crate) fn set(
        &mut self,
        t: f64,
        x: f64,
        y: f64,
        params: &Params,
        field: &ExactField,
    ) -> Result<Value, String> {
        self.pick.clear();
        let inside = x.abs() <= VIEW_HALF && y.abs() <= VIEW_HALF;
        self.at = (x.is_finite() && y.is_finite() && inside).then_some((t, [x, y]));
        if x.is_finite() && y.is_finite() && !inside {
            return Err(format!(
                "({x}, {y}) is outside the view [−{VIEW_HALF}, {VIEW_HALF}]²"
            ));
        }
        Ok(match self.current(params, field) {
            Some(p) => json!({
                "t": p.t, "x": p.x[0], "y": p.x[1], "b": p.b, "mean": p.mean, "n": p.n,
                "drawn": p.drawn, "radius": pick::RADIUS,
            }),
            None => Value::Null,
        })
    }

    /// Draws the pick over a Lagrangian panel: the conditional paths (blue) with a dot at the
    /// current t, the flow line (white), the disc, and the two velocities as arrows.
    pub(crate) fn draw(
        &mut self,
        ctx: &CanvasRenderingContext2d,
        params: &Params,
        field: &ExactField,
    ) {
        let t_now = params.t;
        // Borrowed, not copied: this runs on every frame while a pick is shown.
        let Some(p) = self.current(params, field) else {
            return;
        };
        let polyline = |pts: &[P2], style: &str, width: f64| {
            ctx.set_stroke_style_str(style);
            ctx.set_line_width(width);
            ctx.begin_path();
            for (i, q) in pts.iter().enumerate() {
                let (x, y) = px(*q);
                if i == 0 {
                    ctx.move_to(x, y);
                } else {
                    ctx.line_to(x, y);
                }
            }
            ctx.stroke();
        };
        for path in &p.paths {
            polyline(path, "rgba(86,180,233,0.5)", 1.0);
        }
        ctx.set_fill_style_str("rgba(86,180,233,1)");
        for q in p.at(t_now) {
            let (x, y) = px(q);
            ctx.begin_path();
            let _ = ctx.arc(x, y, 3.0, 0.0, std::f64::consts::TAU);
            ctx.fill();
        }
        // The flow line and the arrows over a dark halo, to read over the particles.
        polyline(&p.flow, "rgba(0,0,0,0.6)", 5.0);
        polyline(&p.flow, "rgba(255,255,255,0.95)", 2.5);
        let (cx, cy) = px(p.x);
        let r = pick::RADIUS * LAGRANGIAN_PX as f64 / (2.0 * VIEW_HALF);
        ctx.set_stroke_style_str("rgba(255,255,255,0.9)");
        ctx.set_line_width(1.5);
        ctx.begin_path();
        let _ = ctx.arc(cx, cy, r, 0.0, std::f64::consts::TAU);
        ctx.stroke();
        let arrow = |v: P2, style: &str| {
            if !(v[0].is_finite() && v[1].is_finite()) {
                return;
            }
            let head = px([p.x[0] + ARROW_TIME * v[0], p.x[1] + ARROW_TIME * v[1]]);
            let (dx, dy) = (head.0 - cx, head.1 - cy);
            let len = dx.hypot(dy).max(1e-9);
            let (ux, uy) = (dx / len, dy / len);
            for (s, w) in [("rgba(0,0,0,0.6)", 5.5), (style, 3.0)] {
                ctx.set_stroke_style_str(s);
                ctx.set_line_width(w);
                ctx.begin_path();
                ctx.move_to(cx, cy);
                ctx.line_to(head.0, head.1);
                ctx.move_to(head.0, head.1);
                ctx.line_to(head.0 - 9.0 * ux + 5.5 * uy, head.1 - 9.0 * uy - 5.5 * ux);
                ctx.move_to(head.0, head.1);
                ctx.line_to(head.0 - 9.0 * ux - 5.5 * uy, head.1 - 9.0 * uy + 5.5 * ux);
                ctx.stroke();
            }
        };
        arrow(p.b, "rgba(255,255,255,1)");
        arrow(p.mean, "rgba(86,180,233,1)");
    }
}
