//! The viewer class exported to JavaScript: owns the parameters, the exact field and the
//! particles, and draws into canvases the host gives it (it never looks anything up in the page).

use interplay_core::sampling::{Recipe, initial_particles, interpolant_samples};
use interplay_core::{ExactField, P2};
use serde::Serialize;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::draw::Panel;
use crate::params::Params;
use crate::params::{Direction, Source};
use crate::particles::Particles;
use crate::raster::{TrailImage, start_color};
use interplay_core::integrate::VIEW_T_END;

/// Cells per side of the Eulerian heat map.
pub(crate) const GRID: usize = 128;
/// Pixels per side of the particle views.
pub(crate) const LAGRANGIAN_PX: usize = 400;

/// Points of the learned model at some time, from the engine.
pub(crate) struct ModelPoints {
    pub(crate) t: f64,
    pub(crate) points: Vec<P2>,
}

/// One widget's drawing state.
#[wasm_bindgen]
pub struct Viewer {
    pub(crate) eulerian: Panel,
    pub(crate) lagrangian: [Panel; 2],
    pub(crate) schedule_canvas: HtmlCanvasElement,
    pub(crate) loss_canvas: HtmlCanvasElement,
    pub(crate) params: Params,
    pub(crate) field: ExactField,
    /// [ODE, SDE] particle clouds with the same starting points.
    pub(crate) clouds: [Particles; 2],
    pub(crate) colors: Vec<[u8; 3]>,
    pub(crate) trails: [TrailImage; 2],
    pub(crate) model: Option<ModelPoints>,
    pub(crate) model_density: Option<(f64, usize, Vec<f64>)>,
    pub(crate) losses: Vec<(String, Vec<(f64, f64)>)>,
    pub(crate) samples_cache: Option<(String, Vec<f64>)>,
    /// The draws (x0, x1, z) behind the interpolant samples, by [`Params::draws_key`] (pairing
    /// them by minibatch OT takes a while; the times then only recombine them).
    pub(crate) draws_cache: Option<(String, interplay_core::sampling::Draws)>,
    /// The space–time figure on the line.
    pub(crate) spacetime: Panel,
    /// The figure and what it was computed for.
    pub(crate) spacetime_cache: Option<(String, crate::spacetime::SpaceTime)>,
    /// The point picked on the space–time figure, if any, and what it shows.
    pub(crate) pick_at: Option<(f64, f64)>,
    /// The pick and what it was computed for.
    pub(crate) pick: Option<(String, crate::spacetime::Pick)>,
    /// The learned flow lines on the line and the line key they were made for.
    pub(crate) line_model: Option<(String, crate::line_model::Curves)>,
    /// The time and point picked in the Lagrangian view, if any.
    pub(crate) flow_pick_at: Option<(f64, P2)>,
    /// That pick and what it was computed for.
    pub(crate) flow_pick: Option<(String, interplay_core::pick::PlanePick)>,
}

pub(crate) fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from_str(&e.to_string()))
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn points_of(xy: &[f32]) -> Vec<P2> {
    xy.chunks_exact(2)
        .map(|c| [f64::from(c[0]), f64::from(c[1])])
        .collect()
}

impl Viewer {
    fn make_clouds(params: &Params, field: &ExactField) -> ([Particles; 2], Vec<[u8; 3]>) {
        let sched = params.schedule();
        let target = field.target();
        let (start, t0) = if params.direction == Direction::Backward {
            (
                interpolant_samples(&sched, target, VIEW_T_END, params.particles, params.seed),
                VIEW_T_END,
            )
        } else {
            (
                initial_particles(&sched, target, params.particles, params.seed),
                sched.t_start(),
            )
        };
        let colors = start.iter().map(|p| start_color(*p)).collect();
        let t_min = sched.t_start();
        let mut ode = Particles::new(start.clone(), t_min, 0.0, params.seed);
        let mut sde = Particles::new(start, t_min, params.eps.max(0.0), params.seed);
        ode.t = t0;
        sde.t = t0;
        ([ode, sde], colors)
    }

    /// Applies a change map all-or-nothing; returns the keys whose values changed.
    fn apply_changes(&mut self, map: &Map<String, Value>) -> Result<Vec<String>, String> {
        let next = self.params.apply(map)?;
        let before = serde_json::to_value(&self.params).unwrap_or_default();
        let after = serde_json::to_value(&next).unwrap_or_default();
        let changed: Vec<String> = Params::KEYS
            .iter()
            .filter(|k| before.get(**k) != after.get(**k))
            .map(|k| (*k).to_owned())
            .collect();
        if next.schedule() != self.params.schedule()
            || next.target != self.params.target
            || next.drawn != self.params.drawn
        {
            self.field = ExactField::new(next.schedule(), &next.target());
            self.model = None;
            self.model_density = None;
        }
        let reset = self.params.particles_reset(&next);
        self.params = next;
        if reset {
            (self.clouds, self.colors) = Self::make_clouds(&self.params, &self.field);
            for t in &mut self.trails {
                t.clear();
            }
        }
        Ok(changed)
    }
}

#[wasm_bindgen]
impl Viewer {
    /// A viewer drawing into the given canvases (resized to their internal resolutions).
    #[wasm_bindgen(constructor)]
    pub fn new(
        eulerian: HtmlCanvasElement,
        ode: HtmlCanvasElement,
        sde: HtmlCanvasElement,
        spacetime: HtmlCanvasElement,
        schedule: HtmlCanvasElement,
        loss: HtmlCanvasElement,
    ) -> Result<Viewer, JsValue> {
        let params = Params::default();
        let field = ExactField::new(params.schedule(), &params.target());
        let (clouds, colors) = Self::make_clouds(&params, &field);
        for c in [&schedule, &loss] {
            crate::charts::size_canvas(c);
        }
        Ok(Viewer {
            eulerian: Panel::new(eulerian, GRID, true)?,
            lagrangian: [
                Panel::new(ode, LAGRANGIAN_PX, false)?,
                Panel::new(sde, LAGRANGIAN_PX, false)?,
            ],
            schedule_canvas: schedule,
            loss_canvas: loss,
            params,
            field,
            clouds,
            colors,
            trails: [
                TrailImage::new(LAGRANGIAN_PX, LAGRANGIAN_PX),
                TrailImage::new(LAGRANGIAN_PX, LAGRANGIAN_PX),
            ],
            model: None,
            model_density: None,
            losses: Vec::new(),
            samples_cache: None,
            draws_cache: None,
            spacetime: Panel::new_rect(
                spacetime,
                crate::spacetime::WIDTH,
                crate::spacetime::HEIGHT,
                true,
            )?,
            spacetime_cache: None,
            pick_at: None,
            line_model: None,
            pick: None,
            flow_pick_at: None,
            flow_pick: None,
        })
    }

    /// Applies a partial parameter object. On a bad value it throws a message naming it and
    /// keeps the last good state. Returns the keys whose values changed.
    #[wasm_bindgen(js_name = setParams)]
    pub fn set_params(&mut self, changes: JsValue) -> Result<JsValue, JsValue> {
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
        let changed = self.apply_changes(map).map_err(|e| JsValue::from_str(&e))?;
        to_js(&changed)
    }

    /// The training run the current settings call for, as the engine reads it (`LiveRun`):
    /// the page passes it to the engine as is.
    #[wasm_bindgen(js_name = runConfig)]
    pub fn run_config(&self) -> Result<JsValue, JsValue> {
        to_js(&self.params.run_config())
    }

    /// What a change of the keys `changed` touches (`null`: a whole new state), from the
    /// parameters' own table: `{onlyTriangle, schedule, mix, line, losses}`.
    pub fn touched(&self, changed: JsValue) -> Result<JsValue, JsValue> {
        let keys: Option<Vec<String>> = serde_wasm_bindgen::from_value(changed)
            .map_err(|e| JsValue::from_str(&format!("changed keys must be a list: {e}")))?;
        to_js(&crate::redraw::touched(keys.as_deref()))
    }

    /// When this changes, the engine's run no longer fits the settings and starts afresh.
    #[wasm_bindgen(js_name = runKey)]
    pub fn run_key(&self) -> String {
        self.params.run_key().to_string()
    }

    /// Whether the shipped checkpoint is a model of the current settings (the page loads it
    /// instead of a fresh network where the widget offers one).
    #[wasm_bindgen(js_name = shippedModelFits)]
    pub fn shipped_model_fits(&self) -> bool {
        self.params.shipped_model_fits()
    }

    /// The schedule by its stable names, for the model views' requests to the engine.
    #[wasm_bindgen(js_name = scheduleSpec)]
    pub fn schedule_spec(&self) -> Result<JsValue, JsValue> {
        to_js(&self.params.schedule_spec())
    }

    /// Which Lagrangian panels are on screen: `{ode, sde}`.
    #[wasm_bindgen(js_name = shownPanels)]
    pub fn shown_panels(&self) -> Result<JsValue, JsValue> {
        let [ode, sde] = self.params.shown();
        to_js(&serde_json::json!({"ode": ode, "sde": sde}))
    }

    /// Shows the run the engine holds (its `RunConfig` as JSON, from a loaded checkpoint): the
    /// parameters follow its settings, all or none of them. Returns the keys that changed.
    #[wasm_bindgen(js_name = adoptRun)]
    pub fn adopt_run(&mut self, run_config: &str) -> Result<JsValue, JsValue> {
        let rc: Value = serde_json::from_str(run_config)
            .map_err(|e| JsValue::from_str(&format!("the run's settings are not JSON: {e}")))?;
        let change = crate::run::adopt_changes(&rc).map_err(|e| JsValue::from_str(&e))?;
        let changed = self
            .apply_changes(&change)
            .map_err(|e| JsValue::from_str(&e))?;
        to_js(&changed)
    }

    /// Moves the time alone, as the animation does every frame: no schedule check and no JSON
    /// round trip (`setParams({t})` does both). Refuses a t outside [0, 1].
    #[wasm_bindgen(js_name = setTime)]
    pub fn set_time(&mut self, t: f64) -> Result<(), JsValue> {
        if !(0.0..=1.0).contains(&t) {
            return Err(JsValue::from_str(&format!("t must be in [0, 1], got {t}")));
        }
        self.params.t = t;
        Ok(())
    }

    /// Panics, leaving this viewer as any panic does: for the test of the widget's recovery.
    #[wasm_bindgen(js_name = panicForTest)]
    pub fn panic_for_test(&mut self) {
        panic!("a panic forced by the widget's recovery test");
    }

    /// The current parameters as a plain object.
    #[wasm_bindgen(js_name = getParams)]
    pub fn get_params(&self) -> Result<JsValue, JsValue> {
        to_js(&self.params)
    }

    /// Moves the exact particles towards the current t for at most `budget_ms`; true once there.
    pub fn tick(&mut self, budget_ms: f64) -> bool {
        let deadline = now_ms() + budget_ms;
        let t = self.params.t;
        let shown = self.params.shown();
        let mut done = true;
        for (k, cloud) in self.clouds.iter_mut().enumerate() {
            if shown[k] {
                done &= cloud.advance(&self.field, t, || now_ms() < deadline);
            }
        }
        done
    }

    /// Restarts the particles from their initial positions.
    #[wasm_bindgen(js_name = resetParticles)]
    pub fn reset_particles(&mut self) {
        (self.clouds, self.colors) = Self::make_clouds(&self.params, &self.field);
        for t in &mut self.trails {
            t.clear();
        }
    }

    /// Positions of the learned model's particles at time `t` (from the engine), [x0, y0, …].
    #[wasm_bindgen(js_name = setModelPoints)]
    pub fn set_model_points(&mut self, t: f64, xy: &[f32]) {
        self.model = Some(ModelPoints {
            t,
            points: points_of(xy),
        });
    }

    /// The learned model's density ρ̂(t, ·) on an n×n grid of the window (row-major, top row
    /// first), from the engine.
    #[wasm_bindgen(js_name = setModelDensity)]
    pub fn set_model_density(&mut self, t: f64, n: usize, values: &[f32]) -> Result<(), JsValue> {
        if n == 0 || values.len() != n * n {
            return Err(JsValue::from_str("the model density does not fit its grid"));
        }
        self.model_density = Some((t, n, values.iter().map(|v| f64::from(*v)).collect()));
        Ok(())
    }

    /// Forgets the model's points and density (after a reset of the training run).
    #[wasm_bindgen(js_name = clearModel)]
    pub fn clear_model(&mut self) {
        self.model = None;
        self.model_density = None;
    }

    /// The time of the model's density grid, if any.
    #[wasm_bindgen(js_name = modelDensityTime)]
    pub fn model_density_time(&self) -> Option<f64> {
        self.model_density.as_ref().map(|m| m.0)
    }

    /// The time of the model's points, if any.
    #[wasm_bindgen(js_name = modelTime)]
    pub fn model_time(&self) -> Option<f64> {
        self.model.as_ref().map(|m| m.t)
    }

    /// The time the model's points should reach for the current t: t within the schedule's
    /// [t_start, VIEW_T_END] (the engine clamps the same way).
    #[wasm_bindgen(js_name = modelTarget)]
    pub fn model_target(&self) -> f64 {
        self.params
            .t
            .clamp(self.params.schedule().t_start(), VIEW_T_END)
    }

    /// Appends a training step's losses ([[name, value], …]) to the curves.
    #[wasm_bindgen(js_name = pushLosses)]
    pub fn push_losses(&mut self, step: f64, losses: JsValue) -> Result<(), JsValue> {
        let list: Vec<(String, f64)> = serde_wasm_bindgen::from_value(losses)
            .map_err(|e| JsValue::from_str(&e.to_string()))?;
        for (name, v) in list {
            match self.losses.iter_mut().find(|(n, _)| *n == name) {
                Some((_, s)) => s.push((step, v)),
                None => self.losses.push((name, vec![(step, v)])),
            }
        }
        Ok(())
    }

    /// Forgets the loss curves.
    #[wasm_bindgen(js_name = clearLosses)]
    pub fn clear_losses(&mut self) {
        self.losses.clear();
    }

    /// `n` exact samples at t = 1 (ODE, or the SDE with the current ε), [x0, y0, …].
    pub fn sample(&self, n: usize, steps: usize) -> Vec<f32> {
        let recipe = Recipe::with_noise(self.params.eps, steps);
        let mut xs = initial_particles(
            &self.params.schedule(),
            self.field.target(),
            n,
            self.params.seed,
        );
        recipe.run(&self.field, &mut xs, self.params.seed);
        xs.iter().flat_map(|p| [p[0] as f32, p[1] as f32]).collect()
    }

    /// The particles on screen in Lagrangian panel `panel` (0: ODE, 1: SDE) at the current t,
    /// [x0, y0, …]: the exact cloud, or the model's particles for a learned source.
    pub fn points(&self, panel: usize) -> Vec<f32> {
        let pts = if self.params.source != Source::Exact {
            self.model
                .as_ref()
                .map(|m| m.points.clone())
                .unwrap_or_default()
        } else {
            self.clouds[panel.min(1)].shown(&self.field, self.params.t)
        };
        pts.iter()
            .flat_map(|p| [p[0] as f32, p[1] as f32])
            .collect()
    }

    /// The canvases' internal sizes: [eulerian, lagrangian].
    pub fn sizes(&self) -> Vec<u32> {
        vec![
            self.eulerian.canvas.width(),
            self.lagrangian[0].canvas.width(),
        ]
    }
}
