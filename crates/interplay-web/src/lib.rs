//! Interplay's viewer, compiled to WebAssembly: the exact Eulerian and Lagrangian views of a
//! stochastic interpolant, drawn by Rust into canvases that the page's widget code creates.
//!
//! The pure parts (parameters, palette, pixels) are plain Rust and tested natively; the
//! [`viewer::Viewer`] class is the JavaScript boundary.

pub mod charts;
pub mod palette;
pub mod params;
pub mod particles;
pub mod raster;
pub mod render;
pub mod viewer;

use wasm_bindgen::prelude::*;

/// Installs the panic hook (idempotent). Nothing else starts on load: the host decides.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// The colour palette as a CSS gradient, for legends.
#[wasm_bindgen(js_name = paletteCss)]
pub fn palette_css() -> String {
    palette::css_gradient()
}
