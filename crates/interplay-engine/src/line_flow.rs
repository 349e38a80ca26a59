//! The learned flow lines of a run on the line, for the space–time view's dashed lines
//! (`interplay_nn::line_flow`), with the error of the learned b.

use interplay_core::line::LineTarget;
use interplay_core::{ExactField, Target};
use js_sys::{Float32Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::{Engine, current_field, js_err};

#[wasm_bindgen]
impl Engine {
    /// The model's flow lines on the line under the schedule given as JSON: resolves to
    /// `{times: Float32Array, lines: Float32Array, count, bError: [..], generation,
    /// modelSteps}`, `lines` holding `count` curves of `times.length` positions each (a curve
    /// the stability rule stopped ends in NaN), and `bError` the relative L2(ρ(t)) error of the
    /// learned b at `interplay_nn::quality::ERROR_TIMES`. Refused with a message unless the
    /// run's target is on the line.
    #[wasm_bindgen(js_name = lineFlow)]
    pub fn line_flow(&self, schedule: &str) -> Promise {
        let state = self.state.clone();
        let schedule = schedule.to_owned();
        future_to_promise(async move {
            let (field, line, exact, generation, model_steps) = {
                let st = state.borrow();
                let tr = st
                    .trainer
                    .as_ref()
                    .ok_or_else(|| js_err("no training run: call configure first"))?;
                let Target::Line(code) = &tr.target else {
                    return Err(js_err(
                        "the flow lines on the line need a run on a target on the line",
                    ));
                };
                let line = LineTarget::parse(code).map_err(js_err)?;
                let field = current_field(&st, &schedule)?;
                let exact = ExactField::new(field.schedule, &tr.target);
                (field, line, exact, st.generation, tr.steps())
            };
            let flow = interplay_nn::line_flow::flow_lines(&field, &line)
                .await
                .map_err(js_err)?;
            let errors = interplay_nn::quality::field_errors(
                &field,
                &exact,
                &interplay_nn::quality::ERROR_TIMES,
                1000,
                0x11e,
            )
            .await
            .map_err(js_err)?;
            let n = flow.times.len();
            let mut lines = vec![f32::NAN; flow.lines.len() * n];
            for (out, line) in lines.chunks_mut(n).zip(&flow.lines) {
                for (o, x) in out.iter_mut().zip(line) {
                    *o = *x as f32;
                }
            }
            let times: Vec<f32> = flow.times.iter().map(|&t| t as f32).collect();
            let out = js_sys::Object::new();
            let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&out, &k.into(), v);
            set("times", &Float32Array::from(times.as_slice()).into())?;
            set("lines", &Float32Array::from(lines.as_slice()).into())?;
            set("count", &(flow.lines.len() as u32).into())?;
            let errs = js_sys::Array::new();
            for e in &errors {
                errs.push(&e.b.into());
            }
            set("bError", &errs.into())?;
            set("generation", &generation.into())?;
            set("modelSteps", &(model_steps as f64).into())?;
            Ok(out.into())
        })
    }
}
