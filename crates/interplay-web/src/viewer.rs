//! The viewer class exported to JavaScript: owns the parameters and draws into canvases the
//! host gives it (it never looks anything up in the page).

use interplay_core::ExactField;
use interplay_core::density::Grid;
use serde::Serialize;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use crate::params::Params;
use crate::render;

/// Cells per side of the Eulerian heat map.
const GRID: usize = 128;

/// One widget's drawing state.
#[wasm_bindgen]
pub struct Viewer {
    eulerian: CanvasRenderingContext2d,
    params: Params,
    field: ExactField,
    /// The top of the colour scale of the last drawn heat map.
    scale_max: f64,
}

fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, JsValue> {
    canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("this browser gives no 2-D canvas context"))?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(|_| JsValue::from_str("the canvas context is not a 2-D context"))
}

#[wasm_bindgen]
impl Viewer {
    /// A viewer drawing the Eulerian view into `eulerian` (resized to the grid).
    #[wasm_bindgen(constructor)]
    pub fn new(eulerian: HtmlCanvasElement) -> Result<Viewer, JsValue> {
        eulerian.set_width(GRID as u32);
        eulerian.set_height(GRID as u32);
        let params = Params::default();
        let field = ExactField::new(params.schedule(), &params.target());
        Ok(Viewer {
            eulerian: context(&eulerian)?,
            params,
            field,
            scale_max: 0.0,
        })
    }

    /// Applies a partial parameter object. On a bad value it throws a message naming it and
    /// keeps the last good state.
    #[wasm_bindgen(js_name = setParams)]
    pub fn set_params(&mut self, changes: JsValue) -> Result<(), JsValue> {
        let changes: Value = serde_wasm_bindgen::from_value(changes)
            .map_err(|e| JsValue::from_str(&format!("parameters must be an object: {e}")))?;
        let empty = Map::new();
        let map = match &changes {
            Value::Object(m) => m,
            Value::Null => &empty,
            other => {
                return Err(JsValue::from_str(&format!(
                    "parameters must be an object, got {other}"
                )));
            }
        };
        let next = self.params.apply(map).map_err(|e| JsValue::from_str(&e))?;
        if next.schedule() != self.params.schedule() || next.target != self.params.target {
            self.field = ExactField::new(next.schedule(), &next.target());
        }
        self.params = next;
        Ok(())
    }

    /// The current parameters as a plain object.
    #[wasm_bindgen(js_name = getParams)]
    pub fn get_params(&self) -> Result<JsValue, JsValue> {
        self.params
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|e| JsValue::from_str(&e.to_string()))
    }

    /// Draws the exact ρ(t, ·) heat map; returns the density at the top of the colour scale.
    #[wasm_bindgen(js_name = drawEulerian)]
    pub fn draw_eulerian(&mut self) -> Result<f64, JsValue> {
        let at = self.field.at(self.params.t.min(1.0 - 1e-6));
        let (pixels, scale) = render::exact_image(&Grid::view(GRID), &at);
        let image = ImageData::new_with_u8_clamped_array_and_sh(
            Clamped(&pixels),
            GRID as u32,
            GRID as u32,
        )?;
        self.eulerian.put_image_data(&image, 0.0, 0.0)?;
        self.scale_max = scale.max;
        Ok(scale.max)
    }
}
