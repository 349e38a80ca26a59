//! The contract's crossing into JavaScript: a request read from the page's object, a response
//! written as plain objects with its numbers in typed arrays (which the worker transfers).

use js_sys::{Float32Array, Object, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::protocol::{Request, Response};

/// The page's `{ op, args }` as a [`Request`], or the reason it is not one.
///
/// Read through JSON text with serde_json ([`Request::parse`]), the reader the engine already
/// carries for run configurations and checkpoint headers (a second reader of the same types
/// costs the download a second copy of their code). Checkpoint bytes, which JSON does not carry,
/// are taken out first.
pub(crate) fn request(value: JsValue) -> Result<Request, JsValue> {
    let op = Reflect::get(&value, &"op".into())
        .ok()
        .and_then(|o| o.as_string())
        .unwrap_or_default();
    let bad =
        |e: &dyn std::fmt::Display| JsValue::from_str(&format!("bad engine request '{op}': {e}"));
    let args = Reflect::get(&value, &"args".into())?;
    if op == "load" {
        let bytes = Reflect::get(&args, &"bytes".into())?;
        let bytes = if let Some(b) = bytes.dyn_ref::<js_sys::ArrayBuffer>() {
            Uint8Array::new(b).to_vec()
        } else if let Some(b) = bytes.dyn_ref::<Uint8Array>() {
            b.to_vec()
        } else if let Some(list) = bytes.dyn_ref::<js_sys::Array>() {
            let text = String::from(js_sys::JSON::stringify(list)?);
            serde_json::from_str(&text).map_err(|e| bad(&e))?
        } else {
            return Err(bad(
                &"the checkpoint's bytes must be an ArrayBuffer or a Uint8Array",
            ));
        };
        return Ok(Request::Load { bytes });
    }
    if op == "apply" {
        // The summed gradient as one copy out of its Float32Array, not a list of numbers (a
        // plain list is read as JSON below, like every other argument).
        let grads = Reflect::get(&args, &"grads".into())?;
        if let Some(grads) = grads.dyn_ref::<Float32Array>() {
            let losses = Reflect::get(&args, &"losses".into())?;
            let losses = String::from(js_sys::JSON::stringify(&losses)?);
            let losses = serde_json::from_str(&losses).map_err(|e| bad(&e))?;
            return Ok(Request::Apply {
                grads: grads.to_vec(),
                losses,
            });
        }
    }
    let text = if args.is_undefined() {
        "{}".to_owned()
    } else {
        String::from(js_sys::JSON::stringify(&args)?)
    };
    Request::parse(&op, &text).map_err(|e| bad(&e))
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

/// A response as the page reads it. Each variant's own value is written (never the whole
/// enum), so that the download carries one writer per type it answers with.
pub(crate) fn response(r: Response) -> Result<JsValue, JsValue> {
    let object = |pairs: &[(&str, JsValue)]| -> Result<JsValue, JsValue> {
        let out = Object::new();
        for (k, v) in pairs {
            Reflect::set(&out, &(*k).into(), v)?;
        }
        Ok(out.into())
    };
    match r {
        Response::Started { generation } => object(&[("generation", generation.into())]),
        Response::Loaded {
            generation,
            steps,
            config,
            settings,
        } => {
            // The run and its settings as JSON text, parsed by the browser: the engine already
            // writes the run so for `runConfig`.
            let json = |text: Result<String, serde_json::Error>| {
                js_sys::JSON::parse(&text.map_err(|e| JsValue::from_str(&e.to_string()))?)
            };
            object(&[
                ("generation", generation.into()),
                ("steps", (steps as f64).into()),
                ("config", json(serde_json::to_string(&config))?),
                ("settings", json(serde_json::to_string(&settings))?),
            ])
        }
        Response::Trained(t) => plain(&t),
        Response::Particles(p) => with_arrays(plain(&p)?, &[("points", &p.points)]),
        Response::Density(v) | Response::Sample(v) => Ok(floats(&v)),
        Response::Metrics(q) => plain(&q),
        Response::EpsSweep(s) => plain(&s),
        Response::LineFlow(l) => {
            with_arrays(plain(&l)?, &[("times", &l.times), ("lines", &l.lines)])
        }
        Response::Checkpoint(bytes) => Ok(Uint8Array::from(bytes.as_slice()).into()),
        Response::RunConfig(text) => Ok(JsValue::from_str(&text)),
        Response::MapJumps(m) => {
            with_arrays(plain(&m)?, &[("learned", &m.learned), ("exact", &m.exact)])
        }
        Response::MapErrors(e) => plain(&e),
        Response::Gradients(g) => with_arrays(plain(&g)?, &[("grads", &g.grads)]),
        Response::NetsWalkers(w) => with_arrays(
            plain(&w)?,
            &[
                ("points", &w.points),
                ("weights", &w.weights),
                ("frames", &w.frames),
            ],
        ),
    }
}
