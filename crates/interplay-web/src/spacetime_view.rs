//! The space–time figure on the line: the density of x_t over (t, x) with sample paths and flow
//! lines, a picked point's conditional paths, the learned flow lines while the line's network
//! trains, and a cursor at t.

use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::keyed::Keyed;
use crate::line_model::Curves;
use crate::panel::Panel;
use crate::params::Params;
use crate::spacetime::{self, Pick, SpaceTime};

/// The figure's panel and what it keeps between frames.
pub(crate) struct SpacetimeView {
    panel: Panel,
    /// The figure, recomputed only when the schedule, the line's target, ε or the seed change.
    figure: Keyed<SpaceTime>,
    /// The point picked on the figure, if any.
    pick_at: Option<(f64, f64)>,
    /// What the pick shows, by the line's key and the seed.
    pick: Keyed<Pick>,
    /// The learned flow lines from the engine, by the line key they were made for.
    learned: Keyed<Curves>,
}

impl SpacetimeView {
    pub(crate) fn new(canvas: HtmlCanvasElement) -> Result<Self, JsValue> {
        Ok(Self {
            panel: Panel::new_rect(canvas, spacetime::WIDTH, spacetime::HEIGHT, true)?,
            figure: Keyed::default(),
            pick_at: None,
            pick: Keyed::default(),
            learned: Keyed::default(),
        })
    }

    /// Shows the learned flow lines made for the line key `key`.
    pub(crate) fn set_learned(&mut self, key: String, curves: Curves) {
        self.learned.set(key, curves);
    }

    /// Forgets the learned flow lines.
    pub(crate) fn clear_learned(&mut self) {
        self.learned.clear();
    }

    /// Picks (t, x) (NaN: none), draws, and returns what the pick says: `{t, x, b, mean, n,
    /// halfWidth}`, or null.
    pub(crate) fn pick(&mut self, t: f64, x: f64, params: &Params) -> Result<Value, JsValue> {
        self.pick.clear();
        self.pick_at = (t.is_finite() && x.is_finite()).then_some((t, x));
        self.draw(params)?;
        Ok(match (self.pick_at, self.pick.any()) {
            (Some(_), Some((_, p))) => json!({
                "t": p.t, "x": p.x, "b": p.b, "mean": p.mean, "n": p.n,
                "halfWidth": spacetime::PICK_HALF_WIDTH,
            }),
            _ => Value::Null,
        })
    }

    /// Draws the figure with a cursor at t.
    pub(crate) fn draw(&mut self, params: &Params) -> Result<(), JsValue> {
        let p = params;
        let key = format!("{}|{}|{}", p.line_key(), p.eps, p.seed);
        let fig = self.figure.get_or_make(key, || {
            SpaceTime::new(p.schedule(), p.line_target(), p.eps, p.seed)
        });
        let panel = &self.panel;
        panel.put_rect(&fig.rgba, spacetime::WIDTH, spacetime::HEIGHT)?;
        let ctx = &panel.ctx;
        let stroke = |curves: &[Vec<(f64, f64)>], style: &str, width: f64| {
            stroke_curves(ctx, curves, style, width);
        };
        stroke(&fig.paths, "rgba(232,134,42,0.9)", 1.2);
        stroke(&fig.lines, "rgba(255,255,255,0.85)", 1.1);
        if let Some(lines) = self.learned.get(&p.line_key()) {
            draw_learned(ctx, lines);
        }
        if let Some((t, x)) = self.pick_at {
            let pick = self
                .pick
                .get_or_make(format!("{}|{}", p.line_key(), p.seed), || {
                    Pick::new(p.schedule(), p.line_target(), t, x, p.seed)
                });
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
        let (cx, _) = SpaceTime::pixel(params.t, 0.0);
        ctx.set_stroke_style_str("rgba(255,255,255,0.95)");
        ctx.set_line_width(2.0);
        ctx.begin_path();
        ctx.move_to(cx, 0.0);
        ctx.line_to(cx, spacetime::HEIGHT as f64);
        ctx.stroke();
        Ok(())
    }
}

/// Draws the learned flow lines over the figure (dashed pink over a dark halo).
fn draw_learned(ctx: &CanvasRenderingContext2d, lines: &Curves) {
    let dash: JsValue = js_sys::Array::of2(&6.0.into(), &4.0.into()).into();
    let solid: JsValue = js_sys::Array::new().into();
    for (style, width, dashed) in [
        ("rgba(20,20,30,0.55)", 3.6, false),
        ("rgba(255,64,160,1)", 2.0, true),
    ] {
        let _ = ctx.set_line_dash(if dashed { &dash } else { &solid });
        stroke_curves(ctx, lines, style, width);
    }
    let _ = ctx.set_line_dash(&solid);
}

/// Strokes curves given in (t, x) on the space–time figure.
fn stroke_curves(
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
