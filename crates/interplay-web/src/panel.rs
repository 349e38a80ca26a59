//! A canvas the views draw into, and the sizes of their rasters.

use wasm_bindgen::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use crate::render;

/// Cells per side of the Eulerian heat map.
pub(crate) const GRID: usize = 128;
/// Pixels per side of the particle views.
pub(crate) const LAGRANGIAN_PX: usize = 400;

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
