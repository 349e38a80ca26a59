// The learned model's views in one widget: its particles at the time shown, its density, and the
// quality panel's numbers, asked of the engine one request at a time and handed to the viewer.
import { modelName } from "./engine-session.js";
import { fmt, messageOf } from "./options.js";

/** The engine time one request for the learned particles should take (ms). */
const PARTICLE_BUDGET_MS = 32;
/** How far (in t) the learned particles may trail the time shown before the sweep waits. */
export const LEARNED_LAG = 0.02;

/** The model views of the widget `w`, with its engine session `session`. */
export function modelViews(w, session) {
  let particleRequest = null;
  let densityRequest = null;
  let metricsRequest = null;
  let lastMetrics = 0;
  let metricsMs = 0; // how long the last quality metrics took
  let shown = null; // modelName of the model that moved the particles on screen
  let failed = false; // the last request for the learned particles failed
  let particleSteps = 3; // steps per request for the learned particles (adapted to their cost)
  let particleCount = 0; // how many learned particles the engine moves (at most its backend's)
  let shownCloud = null; // the cloud (count, noise, seed, schedule) of the particles on screen

  const cpu = () => session.engine().info.backend === "cpu";
  const shows = (view) => w.widget.views.includes(view);
  /**
   * Whether a view of this widget shows the learned particles: the Lagrangian panels, the
   * heat map of them, or the share box (its CSV holds the particles on screen). A widget
   * without one (the training panel alone, a figure) never asks the engine for them, which
   * would take training's time for nothing.
   */
  const particlesShown = (p) => p.source !== "exact" && (shows("lagrangian") || shows("share") || (shows("eulerian") && p.eulerian === "model"));
  /** Whether the heat map shows the model's density. */
  const densityShown = (p) => p.eulerian === "model-density" && shows("eulerian");
  /** An error that only says the model changed under the request (the next one will do). */
  const transient = (e) => /the training run was replaced|no training run/.test(messageOf(e));

  /**
   * The quality panel's numbers for the current model (sample metrics, NLL, velocity error); the
   * engine sizes the work for its backend.
   */
  function quality(client) {
    return client.call("metrics", { schedule: w.viewer.scheduleSpec() });
  }

  async function refreshMetrics(force = false) {
    // Nothing to compute for a panel that is not shown; and the panel is refreshed at most
    // every 4 s, or every 20 of its own durations where it is slow (a software adapter), so it
    // costs training no more than a twentieth.
    const engine = session.engine();
    if (!engine || metricsRequest || !w.widget.views.includes("quality")) return;
    // A forced refresh (new settings) goes ahead, unless the metrics are slow here (over 2 s).
    const wait = force && metricsMs <= 2000 ? 0 : Math.max(4000, 20 * metricsMs);
    if (performance.now() - lastMetrics < wait) return;
    lastMetrics = performance.now();
    const t0 = performance.now();
    try {
      metricsRequest = quality(engine.client);
      const q = await metricsRequest;
      for (const k of ["in_support", "sliced_w2", "tv", "nll"]) {
        const el = w.$(`.ip-q-${k}`);
        if (el) el.textContent = fmt(q[k], 3);
      }
      const be = w.$(".ip-q-b_error");
      if (be) be.textContent = q.b_error.map((v) => fmt(v, 2)).join(" · ");
      const few = w.$(".ip-q-few_step_tv");
      if (few) few.textContent = q.few_step_tv.map((v) => fmt(v, 2)).join(" · ");
      const straight = w.$(".ip-q-straightness");
      if (straight) straight.textContent = `${fmt(q.straightness, 3)} (${fmt(q.transport_cost, 2)})`;
    } catch (e) {
      // A model being replaced is not a failure: the next refresh scores the new one.
      if (!transient(e)) w.say(`The quality panel could not be refreshed: ${messageOf(e)}.`);
    } finally {
      metricsRequest = null;
      lastMetrics = performance.now();
      metricsMs = lastMetrics - t0;
    }
  }

  /** Asks the engine for the model's particles (and density) at the current t, one at a time. */
  function poll(p) {
    const engine = session.engine();
    if (!engine || p.source === "exact") return;
    const model = session.model();
    // What the cloud is made of besides its time: a change (count, noise, seed, schedule) asks
    // again even where the particles have reached t.
    const cloud = { n: p.particles, eps: p.eps, seed: p.seed, schedule: w.viewer.scheduleSpec() };
    const cloudKey = JSON.stringify(cloud);
    const behind = shown !== model || shownCloud !== cloudKey || w.viewer.modelTime() !== w.viewer.modelTarget();
    if (particlesShown(p) && !particleRequest && model !== null && behind) {
      // The engine shows at most what its backend moves smoothly, in at most its steps per request.
      particleRequest = engine.client
        .call("particles", { t: p.t, ...cloud, maxSteps: particleSteps })
        .then((r) => {
          failed = false;
          // As many steps per request as fit in about two frames of the engine's time.
          if (r.steps > 0 && r.ms > 0) {
            particleSteps = Math.max(1, Math.round(PARTICLE_BUDGET_MS / (r.ms / r.steps)));
          }
          if (!w.destroyed) {
            particleCount = r.points.length / 2;
            shownCloud = cloudKey;
            w.viewer.setModelPoints(r.t, r.points);
            shown = modelName(r.generation, r.modelSteps);
            w.dirty.lagrangian = w.dirty.eulerian = true;
          }
        })
        .catch((e) => {
          if (transient(e)) return;
          // Said once: the learned view stops following t (its note says so) until they move.
          if (!failed) w.say(`The learned particles could not be moved: ${messageOf(e)}.`);
          failed = true;
        })
        .finally(() => (particleRequest = null));
    }
    if (densityShown(p) && !densityRequest && w.viewer.modelDensityTime() !== p.t) {
      densityRequest = engine.client
        .call("density", { t: p.t, n: 32, steps: 16, schedule: w.viewer.scheduleSpec() })
        .then((d) => {
          if (!w.destroyed) {
            w.viewer.setModelDensity(p.t, 32, d);
            w.dirty.eulerian = true;
          }
        })
        .catch((e) => w.say(`The model density could not be computed: ${messageOf(e)}`))
        .finally(() => (densityRequest = null));
    }
  }

  /**
   * What the learned views show, in words, for the note inside them (null while they show the
   * exact fields): loading, untrained, training, catching up to t, or the model at step N.
   */
  function state(p) {
    if (p.source === "exact" && !p.eulerian.startsWith("model")) return null;
    if (!session.engine()) return "Loading the training engine…";
    const model = session.model();
    if (model === null) return "Setting up the network…";
    const steps = Number(model.split(":")[1]);
    if (steps === 0) return "Untrained network: press Train (or load a checkpoint) to learn the field";
    const training = session.training() ? `Training (step ${steps}): ` : "";
    if (p.source !== "exact") {
      const shownSteps = shown === null ? null : Number(shown.split(":")[1]);
      const t = w.viewer.modelTime();
      if (t === undefined || t === null || shownSteps === null) return `${training}${training ? "moving" : "Moving"} the particles of step ${steps}…`;
      if (Math.abs(t - p.t) > LEARNED_LAG) return `${training}${training ? "catching" : "Catching"} up to t = ${fmt(p.t, 2)} (the particles are at t = ${fmt(t, 2)})`;
      return `${training}${training ? "the" : "The"} learned model at step ${shownSteps}`;
    }
    return `${training}${training ? "the" : "The"} learned model at step ${steps}`;
  }

  /** Puts `state(p)` in the notes inside the learned views (only when it changed). */
  function showState(p) {
    let text = state(p);
    // The engine moves fewer particles on the CPU (what the view and the CSV export hold).
    const model = session.model();
    const moving = model !== null && Number(model.split(":")[1]) > 0;
    const trimmed = particleCount > 0 && particleCount < p.particles;
    if (text !== null && moving && p.source !== "exact" && trimmed) text += ` · ${particleCount} of ${p.particles} particles (${cpu() ? "CPU" : "WebGPU"})`;
    const learnedParticles = text !== null && p.source !== "exact";
    const learnedDensity = text !== null && p.eulerian.startsWith("model");
    for (const [sel, on] of [[".ip-ode-state", learnedParticles], [".ip-sde-state", learnedParticles], [".ip-eulerian-state", learnedDensity]]) {
      const el = w.$(sel);
      if (!el) continue;
      if (el.hidden !== !on) el.hidden = !on;
      if (on && el.textContent !== text) el.textContent = text;
    }
  }

  /** Whether the learned particles are wanted and the engine can give them. */
  const following = (p) => particlesShown(p) && session.engine() !== null && !failed;

  return {
    poll,
    showState,
    state,
    refreshMetrics,
    quality,
    /**
     * Whether the learned particles on screen are more than LEARNED_LAG behind the time shown
     * (false when the engine cannot give them: the sweep then goes on without them).
     */
    behind(p) {
      if (!following(p)) return false;
      const t = w.viewer.modelTime();
      return t === undefined || t === null || Math.abs(t - w.viewer.modelTarget()) > LEARNED_LAG;
    },
    /** The time of the learned particles the sweep keeps pace with (null when it need not). */
    shownTime(p) {
      return following(p) ? (w.viewer.modelTime() ?? null) : null;
    },
    /** Whether the learned views on screen are behind the model or the time shown. */
    pending(p) {
      const engine = session.engine();
      if (densityShown(p) && (!engine || densityRequest || w.viewer.modelDensityTime() !== p.t)) return true;
      if (!particlesShown(p)) return false;
      return !engine || !!particleRequest || shown !== session.model() || w.viewer.modelTime() !== w.viewer.modelTarget();
    },
  };
}
