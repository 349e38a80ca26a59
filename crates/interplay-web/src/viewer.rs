//! The viewer class exported to JavaScript: owns the parameters and the exact field, and
//! composes the views, each of which owns its panel and what it keeps between frames. It draws
//! into canvases the host gives it (it never looks anything up in the page).

use interplay_core::ExactField;
use interplay_core::integrate::VIEW_T_END;
use interplay_core::sampling::{Recipe, initial_particles};
use interplay_core::spec::LiveRun;
use serde::Serialize;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::charts::Charts;
use crate::eulerian_view::EulerianView;
use crate::lagrangian_view::LagrangianView;
use crate::learned::Learned;
use crate::params::Params;
use crate::spacetime_view::SpacetimeView;

/// One widget's state: the parameters, the exact field they make, what the engine sent of the
/// learned model, and the views.
#[wasm_bindgen]
pub struct Viewer {
    params: Params,
    field: ExactField,
    learned: Learned,
    eulerian: EulerianView,
    lagrangian: LagrangianView,
    spacetime: SpacetimeView,
    charts: Charts,
}

pub(crate) fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from_str(&e.to_string()))
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&e.to_string())
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

impl Viewer {
    /// The parameters (for the triangle's view, which reads the viewer's).
    pub(crate) fn params(&self) -> &Params {
        &self.params
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
            self.learned.clear();
        }
        let reset = self.params.particles_reset(&next);
        self.params = next;
        if reset {
            self.lagrangian.reset(&self.params, &self.field);
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
        Ok(Viewer {
            eulerian: EulerianView::new(eulerian)?,
            lagrangian: LagrangianView::new(ode, sde, &params, &field)?,
            spacetime: SpacetimeView::new(spacetime)?,
            charts: Charts::new(schedule, loss),
            learned: Learned::default(),
            params,
            field,
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

    /// The "no data" figure's energy as the engine's `netsStart` reads it:
    /// `{target, at, seed}`.
    #[wasm_bindgen(js_name = energyRun)]
    pub fn energy_run(&self) -> Result<JsValue, JsValue> {
        to_js(&self.params.energy_run())
    }

    /// The "no data" figure's energy as a density e^{−U} on an `n × n` grid of
    /// [−`half`, `half`]² (row-major, top row first; `n` at most 256).
    #[wasm_bindgen(js_name = energyDensity)]
    pub fn energy_density(&self, n: u32, half: f64) -> Result<Vec<f32>, JsValue> {
        if n == 0 || n > 256 || !(half > 0.0 && half.is_finite()) {
            return Err(JsValue::from_str(&format!(
                "energyDensity({n}, {half}): n from 1 to 256 cells per side, half > 0"
            )));
        }
        self.params
            .energy_density(n as usize, half)
            .map_err(|e| JsValue::from_str(&e))
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

    /// Which Lagrangian panels are on screen and which notes and controls apply:
    /// `{ode, sde, coupling, couplingNote, pathNote}` ([`crate::run::Panels`]).
    #[wasm_bindgen(js_name = shownPanels)]
    pub fn shown_panels(&self) -> Result<JsValue, JsValue> {
        to_js(&self.params.panels())
    }

    /// Shows a run the engine holds (the settings of a loaded checkpoint's run, `LiveRun`, as
    /// the engine's `load` answers them): the parameters follow them, all or none. Returns the
    /// keys that changed.
    #[wasm_bindgen(js_name = adoptRun)]
    pub fn adopt_run(&mut self, settings: JsValue) -> Result<JsValue, JsValue> {
        let run: LiveRun = serde_wasm_bindgen::from_value(settings)
            .map_err(|e| js_err(format!("the run's settings: {e}")))?;
        let change = crate::run::adopt_changes(&run).map_err(js_err)?;
        let changed = self.apply_changes(&change).map_err(js_err)?;
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
        self.lagrangian
            .tick(&self.params, &self.field, || now_ms() < deadline)
    }

    /// Restarts the particles from their initial positions.
    #[wasm_bindgen(js_name = resetParticles)]
    pub fn reset_particles(&mut self) {
        self.lagrangian.reset(&self.params, &self.field);
    }

    /// Positions of the learned model's particles at time `t` (from the engine), [x0, y0, …].
    #[wasm_bindgen(js_name = setModelPoints)]
    pub fn set_model_points(&mut self, t: f64, xy: &[f32]) {
        self.learned.set_points(t, xy);
    }

    /// The learned model's density ρ̂(t, ·) on an n×n grid of the window (row-major, top row
    /// first), from the engine.
    #[wasm_bindgen(js_name = setModelDensity)]
    pub fn set_model_density(&mut self, t: f64, n: usize, values: &[f32]) -> Result<(), JsValue> {
        self.learned.set_density(t, n, values).map_err(js_err)
    }

    /// Forgets the model's points and density (after a reset of the training run).
    #[wasm_bindgen(js_name = clearModel)]
    pub fn clear_model(&mut self) {
        self.learned.clear();
    }

    /// The time of the model's density grid, if any.
    #[wasm_bindgen(js_name = modelDensityTime)]
    pub fn model_density_time(&self) -> Option<f64> {
        self.learned.density.as_ref().map(|d| d.t)
    }

    /// The time of the model's points, if any.
    #[wasm_bindgen(js_name = modelTime)]
    pub fn model_time(&self) -> Option<f64> {
        self.learned.points.as_ref().map(|m| m.t)
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
        let list: Vec<(String, f64)> = serde_wasm_bindgen::from_value(losses).map_err(js_err)?;
        self.charts.push_losses(step, list);
        Ok(())
    }

    /// Forgets the loss curves.
    #[wasm_bindgen(js_name = clearLosses)]
    pub fn clear_losses(&mut self) {
        self.charts.clear_losses();
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
        let pts = self
            .lagrangian
            .points(panel, &self.params, &self.field, &self.learned);
        pts.iter()
            .flat_map(|p| [p[0] as f32, p[1] as f32])
            .collect()
    }

    /// The canvases' internal sizes: [eulerian, lagrangian].
    pub fn sizes(&self) -> Vec<u32> {
        vec![self.eulerian.width(), self.lagrangian.width()]
    }

    /// Draws the Eulerian view; returns the density at the top of the colour scale, or NaN when
    /// the chosen source has nothing to show yet (a model not trained or loaded).
    #[wasm_bindgen(js_name = drawEulerian)]
    pub fn draw_eulerian(&mut self) -> Result<f64, JsValue> {
        self.eulerian.draw(&self.params, &self.field, &self.learned)
    }

    /// Draws the particle views; `trails` keeps fading flow lines (while playing).
    #[wasm_bindgen(js_name = drawLagrangian)]
    pub fn draw_lagrangian(&mut self, trails: bool) -> Result<(), JsValue> {
        self.lagrangian
            .draw(&self.params, &self.field, &self.learned, trails)
    }

    /// Draws the space–time figure on the line with a cursor at t (the figure itself is
    /// recomputed only when the schedule, the line's target, ε or the seed change).
    #[wasm_bindgen(js_name = drawSpacetime)]
    pub fn draw_spacetime(&mut self) -> Result<(), JsValue> {
        self.spacetime.draw(&self.params)
    }

    /// Shows the conditional paths through (t, x) on the space–time figure (NaN: none) and
    /// returns what they say: `{t, x, b, mean, n}` (b the exact velocity there, `mean` the mean
    /// conditional velocity of the `n` triples whose x_t fell near x), or null.
    #[wasm_bindgen(js_name = pickSpacetime)]
    pub fn pick_spacetime(&mut self, t: f64, x: f64) -> Result<JsValue, JsValue> {
        to_js(&self.spacetime.pick(t, x, &self.params)?)
    }

    /// Shows the conditional paths through x = (x, y) at the current t in the Lagrangian view
    /// (NaN: none) and returns what they say: `{t, x, y, b, mean, n, drawn, radius}` (b the
    /// exact velocity there, `mean` the mean conditional velocity of the `n` triples of `drawn`
    /// whose x_t fell within `radius` of the point), or null. The page redraws on its next frame.
    #[wasm_bindgen(js_name = pickFlow)]
    pub fn pick_flow(&mut self, x: f64, y: f64) -> Result<JsValue, JsValue> {
        let said = self
            .lagrangian
            .pick(x, y, &self.params, &self.field)
            .map_err(js_err)?;
        to_js(&said)
    }

    /// Draws α(t), β(t), γ(t) and σ(t) with a marker at t.
    #[wasm_bindgen(js_name = drawSchedule)]
    pub fn draw_schedule(&self) -> Result<(), JsValue> {
        self.charts
            .draw_schedule(&self.params.schedule(), self.params.t)
            .map_err(js_err)
    }

    /// Draws the loss curves.
    #[wasm_bindgen(js_name = drawLosses)]
    pub fn draw_losses(&self) -> Result<(), JsValue> {
        self.charts.draw_losses().map_err(js_err)
    }

    /// The run that learns the line's b and s (a `LiveRun`; see [`Params::line_run_config`]).
    #[wasm_bindgen(js_name = lineRunConfig)]
    pub fn line_run_config(&self) -> Result<JsValue, JsValue> {
        to_js(&self.params.line_run_config())
    }

    /// What the line's learned flow lines depend on (schedule and target): lines made under
    /// another key are not drawn.
    #[wasm_bindgen(js_name = lineKey)]
    pub fn line_key(&self) -> String {
        self.params.line_key()
    }

    /// Shows the learned flow lines that the engine's `lineFlow` made for the key `key`:
    /// `count` rows of `times.len()` positions, each ending at its first NaN.
    #[wasm_bindgen(js_name = setLineModel)]
    pub fn set_line_model(&mut self, key: String, times: &[f32], lines: &[f32], count: usize) {
        self.spacetime
            .set_learned(key, crate::line_model::curves(times, lines, count));
    }

    /// Forgets the learned flow lines.
    #[wasm_bindgen(js_name = clearLineModel)]
    pub fn clear_line_model(&mut self) {
        self.spacetime.clear_learned();
    }
}
