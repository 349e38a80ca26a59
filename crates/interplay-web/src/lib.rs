//! Interplay's viewer, compiled to WebAssembly: the exact Eulerian and Lagrangian views of a
//! stochastic interpolant, drawn by Rust into canvases that the page's widget code creates.
//!
//! The pure parts (parameters, palette, pixels) are plain Rust and tested natively; the
//! [`viewer::Viewer`] class is the JavaScript boundary.

pub mod charts;
pub mod choices;
pub mod controls;
mod eulerian_view;
mod flow_pick;
mod keyed;
mod lagrangian_view;
mod learned;
mod line_model;
pub mod mix;
mod mix_view;
mod panel;
pub mod params;
pub mod particles;
pub mod redraw;
pub mod render;
pub mod run;
mod spacetime_view;

pub use interplay_core::{palette, raster, spacetime};
pub mod viewer;

use wasm_bindgen::prelude::*;

/// The message of the last panic, for the widget to say what happened when it recovers.
static LAST_PANIC: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// Installs the panic hook: the message goes to the console and is kept for [`take_last_panic`].
/// Nothing else starts on load: the host decides.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = info.to_string();
        }
        console_error_panic_hook::hook(info);
    }));
}

/// The last panic's message (where and why), and forgets it; empty when there was none. A panic
/// aborts the call (`WebAssembly.RuntimeError: unreachable`) and leaves the object it ran on
/// unusable: the widget then builds a fresh viewer and says this.
#[wasm_bindgen(js_name = takeLastPanic)]
pub fn take_last_panic() -> String {
    LAST_PANIC
        .lock()
        .map(|mut last| std::mem::take(&mut *last))
        .unwrap_or_default()
}

/// The widget's controls ([`controls::controls`]): what `web/controls.js` builds its sliders,
/// number fields and menus from.
#[wasm_bindgen]
pub fn controls() -> Result<JsValue, JsValue> {
    use serde::Serialize;
    controls::controls()
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from_str(&e.to_string()))
}

/// The line's drawing code `code` with the bin holding x set to `height` (0–9); empty: from
/// the default drawing.
#[wasm_bindgen(js_name = setLineBin)]
pub fn set_line_bin(code: &str, x: f64, height: f64) -> String {
    interplay_core::line::set_drawn_bin(code, x, height)
}

/// Half the side of the views' window [−h, h]² (for mapping the pointer to the plane).
#[wasm_bindgen(js_name = viewHalf)]
pub fn view_half() -> f64 {
    interplay_core::density::VIEW_HALF
}

/// The colour palette as a CSS gradient, for legends.
#[wasm_bindgen(js_name = paletteCss)]
pub fn palette_css() -> String {
    palette::css_gradient()
}

/// The code of a drawing: the points of `prefix` (a code, possibly empty) followed by the strokes
/// `xy` (x0, y0, x1, y1, … in view coordinates), cut into strokes of `lens` points each. Returns
/// `{code, cut}`, `cut` saying whether the drawing reached its most points.
#[wasm_bindgen(js_name = drawingCode)]
pub fn drawing_code(prefix: &str, xy: &[f64], lens: &[u32]) -> Result<JsValue, JsValue> {
    let mut strokes = Vec::with_capacity(lens.len());
    let mut at = 0usize;
    for &n in lens {
        let end = at + 2 * n as usize;
        let Some(flat) = xy.get(at..end) else {
            return Err(JsValue::from_str("the strokes do not match their lengths"));
        };
        strokes.push(flat.chunks_exact(2).map(|c| [c[0], c[1]]).collect());
        at = end;
    }
    let (code, cut) = params::drawing_code(prefix, &strokes).map_err(|e| JsValue::from_str(&e))?;
    let out = js_sys::Object::new();
    js_sys::Reflect::set(&out, &"code".into(), &code.into())?;
    js_sys::Reflect::set(&out, &"cut".into(), &cut.into())?;
    Ok(out.into())
}

/// The code of a drawing given by its points (x0, y0, x1, y1, …), as a checkpoint stores them.
#[wasm_bindgen(js_name = encodeDrawing)]
pub fn encode_drawing(xy: &[f64]) -> String {
    let pts: Vec<_> = xy.chunks_exact(2).map(|c| [c[0], c[1]]).collect();
    interplay_core::targets::encode_points(&pts)
}

/// Draws the ε explorer's chart into `canvas` from an engine `epsSweep` result given as JSON.
#[wasm_bindgen(js_name = drawEpsChart)]
pub fn draw_eps_chart(canvas: web_sys::HtmlCanvasElement, sweep: &str) -> Result<(), JsValue> {
    let v: serde_json::Value =
        serde_json::from_str(sweep).map_err(|e| JsValue::from_str(&format!("bad ε sweep: {e}")))?;
    let list = |k: &str| -> Vec<f64> {
        v[k].as_array()
            .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())
            .unwrap_or_default()
    };
    let num = |x: &serde_json::Value| x.as_f64().unwrap_or(f64::NAN);
    let bound = (
        num(&v["bound"]["a"]),
        num(&v["bound"]["b"]),
        num(&v["bound"]["c"]),
    );
    charts::size_canvas(&canvas);
    charts::eps_sweep(
        canvas,
        &list("eps"),
        &list("tv"),
        num(&v["tvExact"]),
        bound,
        (num(&v["bestTv"]), v["bestBound"].as_f64()),
    )
    .map_err(|e| JsValue::from_str(&e))
}
