//! The triangle of three marginals on screen: the heat map of x(α) at the chosen α, or at α(s)
//! along the path with the particles the exact flow carries there. The page's `web/triangle.js`
//! owns the triangle control and the animation; the parameters (`second`, `mix`, `mixPath`,
//! the target, its drawing and the seed) are the viewer's.

use interplay_core::P2;
use interplay_core::density::VIEW_HALF;
use interplay_core::multimarginal::{Alpha, TrianglePath};
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::mix::{FlowRun, MixScene};
use crate::panel::{Panel, upsample_to};
use crate::render;
use crate::viewer::Viewer;

/// Bins per side of the heat map (upsampled to the panel).
const BINS: usize = 64;
/// Pixels per side of the panel (finer than the heat map, so the particles are small dots).
const SIZE: usize = 384;

/// The triangle's picture.
#[wasm_bindgen]
pub struct MixView {
    panel: Panel,
    /// The scene and the key (targets, drawing, seed) it was drawn for.
    scene: Option<(String, MixScene)>,
    /// The particles along the path and the key (scene and path) they are carried for.
    flow: Option<(String, FlowRun)>,
}

fn scene_key(v: &Viewer) -> String {
    format!("{}|{}", v.params().draws_key(), v.params().second.name())
}

/// What the particles along the path depend on: the scene and the path.
fn flow_key(v: &Viewer) -> String {
    format!("{}|{:?}", scene_key(v), v.params().mix_path)
}

#[wasm_bindgen]
impl MixView {
    /// A view drawing into `canvas`.
    #[wasm_bindgen(constructor)]
    pub fn new(canvas: HtmlCanvasElement) -> Result<MixView, JsValue> {
        Ok(Self {
            panel: Panel::new(canvas, SIZE, true)?,
            scene: None,
            flow: None,
        })
    }

    fn scene(&mut self, v: &Viewer) -> &MixScene {
        let key = scene_key(v);
        if !matches!(&self.scene, Some((k, _)) if *k == key) {
            let p = v.params();
            let scene = MixScene::new(&p.target(), &p.second_target(), p.seed);
            self.scene = Some((key, scene));
            self.flow = None;
        }
        match &self.scene {
            Some((_, s)) => s,
            None => unreachable!("set above"),
        }
    }

    /// Panics while holding this view and the viewer, as a bug in `draw` would: for the test of
    /// the widget's recovery (both objects are left unusable).
    #[wasm_bindgen(js_name = panicForTest)]
    pub fn panic_for_test(&mut self, _viewer: &Viewer) {
        panic!("a panic forced in the triangle by the widget's recovery test");
    }

    /// Whether the flow along a path can be shown for the viewer's targets.
    #[wasm_bindgen(js_name = hasFlow)]
    pub fn has_flow(&mut self, viewer: &Viewer) -> bool {
        self.scene(viewer).has_flow()
    }

    /// Carries the particles along the viewer's path for about `budget_ms` (kept until the
    /// targets, seed or path change); returns the share carried so far (1: done). An error
    /// says why there is no flow.
    pub fn carry(&mut self, viewer: &Viewer, budget_ms: f64) -> Result<f64, JsValue> {
        let knots = viewer.params().mix_path.clone();
        let key = flow_key(viewer);
        if !matches!(&self.flow, Some((k, _)) if *k == key) {
            let path = TrianglePath::new(knots).map_err(|e| JsValue::from_str(&e))?;
            let run = self
                .scene(viewer)
                .flow_start(&path)
                .map_err(|e| JsValue::from_str(&e))?;
            self.flow = Some((key, run));
        }
        let t0 = js_sys::Date::now();
        let Some((_, scene)) = &self.scene else {
            return Ok(0.0);
        };
        let Some((_, run)) = self.flow.as_mut() else {
            return Ok(0.0);
        };
        while run.progress() < 1.0 && js_sys::Date::now() - t0 < budget_ms {
            scene.flow_advance(run, 1);
        }
        Ok(run.progress())
    }

    /// Draws ρ(α, ·) at the viewer's α (`s` NaN) or at α(s) on its path with the carried
    /// particles (`s` in [0, 1], after [`MixView::carry`]). Returns the α drawn.
    pub fn draw(&mut self, viewer: &Viewer, s: f64) -> Result<Vec<f64>, JsValue> {
        let on_path = s.is_finite() && viewer.params().mix_path.len() >= 2;
        let alpha: Alpha = if on_path {
            TrianglePath::new(viewer.params().mix_path.clone())
                .map_err(|e| JsValue::from_str(&e))?
                .at(s)
                .0
        } else {
            viewer.params().mix
        };
        let values = upsample_to(&self.scene(viewer).density(alpha, BINS), BINS, SIZE);
        let scale = render::Scale::fit(&values);
        self.panel
            .put(&render::density_rgba(&values, scale), SIZE)?;
        if on_path
            && let Some((key, run)) = &self.flow
            && *key == flow_key(viewer)
            && run.progress() >= 1.0
        {
            let frames = run.frames();
            let k = (s.clamp(0.0, 1.0) * (frames.len() - 1) as f64).round() as usize;
            self.dots(&frames[k.min(frames.len() - 1)]);
        }
        Ok(alpha.to_vec())
    }
}

impl MixView {
    fn dots(&self, points: &[P2]) {
        let ctx = &self.panel.ctx;
        let s = SIZE as f64 / (2.0 * VIEW_HALF);
        ctx.set_fill_style_str("#ffffff");
        for p in points {
            let (x, y) = ((p[0] + VIEW_HALF) * s, (VIEW_HALF - p[1]) * s);
            ctx.fill_rect(x - 1.5, y - 1.5, 3.0, 3.0);
        }
    }
}
