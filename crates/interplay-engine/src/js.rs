//! The contract's crossing into JavaScript: a request read from the page's object, a response
//! written as plain objects with its numbers in typed arrays (which the worker transfers).

use js_sys::{Float32Array, Object, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::protocol::{Request, Response};

/// The page's `{ op, args }` as a [`Request`], or the reason it is not one.
pub(crate) fn request(value: JsValue) -> Result<Request, JsValue> {
    let op = Reflect::get(&value, &"op".into())
        .ok()
        .and_then(|o| o.as_string())
        .unwrap_or_default();
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| JsValue::from_str(&format!("bad engine request '{op}': {e}")))
}

fn plain<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from_str(&e.to_string()))
}

fn floats(v: &[f32]) -> JsValue {
    Float32Array::from(v).into()
}

/// `fields` of `base` (an object) replaced by typed arrays.
fn with_arrays(base: JsValue, fields: &[(&str, &[f32])]) -> Result<JsValue, JsValue> {
    let out: Object = base.dyn_into()?;
    for (k, v) in fields {
        Reflect::set(&out, &(*k).into(), &floats(v))?;
    }
    Ok(out.into())
}

/// A response as the page reads it.
pub(crate) fn response(r: Response) -> Result<JsValue, JsValue> {
    match &r {
        Response::Particles(p) => with_arrays(plain(&r)?, &[("points", &p.points)]),
        Response::LineFlow(l) => {
            with_arrays(plain(&r)?, &[("times", &l.times), ("lines", &l.lines)])
        }
        Response::Density(v) | Response::Sample(v) => Ok(floats(v)),
        Response::Checkpoint(bytes) => Ok(Uint8Array::from(bytes.as_slice()).into()),
        _ => plain(&r),
    }
}
