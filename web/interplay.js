// Interplay widget: builds its DOM inside the element it is given, loads the Rust viewer
// (WebAssembly) at once and the training engine lazily in a Web Worker, and runs one
// requestAnimationFrame loop. No ids, no global CSS, no globals: several widgets can live on
// one page, and every listener outside the widget is removed by destroy().
import init, { Viewer, drawingCode, encodeDrawing, paletteCss } from "./interplay-web.js";
import { EngineClient } from "./engine-client.js";
import { PAUSE_ICON, PLAY_ICON, TEMPLATE, readControl, syncControls } from "./controls.js";

/** Options that configure the widget itself rather than the picture. */
const WIDGET_OPTIONS = ["backend", "checkpoint", "autoplay", "views", "hide", "size", "hash"];
/** The parts of the widget that `views` can show, and the elements of each. */
export const VIEWS = {
  eulerian: [".ip-eulerian-panel"],
  lagrangian: [".ip-ode-panel", ".ip-sde-panel"],
  schedule: [".ip-schedule-box"],
  flow: [".ip-flow-box"],
  training: [".ip-training-box"],
  quality: [".ip-quality-box"],
  share: [".ip-share-box"],
};
/** Controls that `hide` can remove besides the parameter controls (named by their parameter). */
const HIDEABLE = {
  play: [".ip-play"],
  legend: [".ip-legend", ".ip-curve-legend"],
  buttons: [".ip-training-box .ip-buttons"],
  export: [".ip-share-box"],
};
/** Seconds for one sweep of t from 0 to 1 when playing. */
const SWEEP_SECONDS = 6;
/** Main-thread budget per frame for moving the exact particles. */
const FRAME_BUDGET_MS = 8;
/** Where `auto` remembers which backend its trial chose (per browser, per origin). */
const CHOICE_KEY = "interplay.backend-choice";
/** The engine time one request for the learned particles should take (ms). */
const PARTICLE_BUDGET_MS = 32;
/** How far (in t) the learned particles may trail the time shown before the sweep waits. */
const LEARNED_LAG = 0.02;

const fmt = (x, d = 3) => (Number.isFinite(x) ? Number(x).toFixed(d) : "–");
const messageOf = (e) => (typeof e === "string" ? e : String(e && e.message ? e.message : e));
/** A list option: an array, or names separated by commas or spaces. */
const listOf = (v) => (Array.isArray(v) ? v.map(String) : String(v ?? "").split(/[\s,]+/)).filter((x) => x.length > 0);
/** Where the built files live (the directory of this module), for links and embeds. */
const BASE = new URL(".", import.meta.url);

/** Creates a widget inside `root`. Returns its API at once; `api.ready` resolves when it draws. */
export function create(root, options = {}) {
  if (!(root instanceof HTMLElement)) throw new Error("Interplay: create(root) needs an element");
  root.classList.add("interplay");
  root.innerHTML = TEMPLATE;
  const $ = (sel) => root.querySelector(sel);
  // Unique ids only where labels need them (none are fixed, so widgets never collide).
  const uid = Math.random().toString(36).slice(2);

  let viewer = null;
  let destroyed = false;
  let frameId = 0;
  let lastFrame = 0;
  let playing = false;
  let dirty = { eulerian: true, lagrangian: true, schedule: true, losses: true };
  let observer = null;
  const listeners = [];
  const listen = (target, type, fn, opt) => {
    target.addEventListener(type, fn, opt);
    listeners.push([target, type, fn, opt]);
  };
  const reducedMotion = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : { matches: false };
  const widget = {
    backend: "auto",
    checkpoint: new URL("./checkerboard.ckpt", BASE).href,
    autoplay: false,
    views: Object.keys(VIEWS),
    hide: [],
    size: null,
    hash: false,
  };
  let defaults = null; // the parameters before any option, for short links and snippets
  let visible = true; // on screen (IntersectionObserver); off screen the loop sleeps

  // ---- messages -------------------------------------------------------------------------
  const message = $(".ip-message");
  function say(text, kind = "error") {
    message.textContent = text || "";
    message.classList.toggle("ip-notice", kind === "notice");
  }
  function sayLocal(el, text) {
    el.textContent = text || "";
  }

  // ---- parameters -----------------------------------------------------------------------
  function params() {
    return viewer.getParams();
  }
  function schedule(p = params()) {
    return { path: p.path, gamma: p.gamma, alpha_exp: p.alphaExp, beta_exp: p.betaExp, gamma_scale: p.gammaScale };
  }
  function refreshPanels(p) {
    for (const [view, sels] of Object.entries(VIEWS)) {
      for (const sel of sels) $(sel).hidden = !widget.views.includes(view);
    }
    const lagrangian = widget.views.includes("lagrangian");
    $(".ip-sde-panel").hidden = !lagrangian || !(p.eps > 0);
    $(".ip-ode-panel").hidden = !lagrangian || (p.eps > 0 && !(p.compare && p.source === "exact"));
    for (const name of widget.hide) {
      const els = HIDEABLE[name]
        ? HIDEABLE[name].flatMap((sel) => [...root.querySelectorAll(sel)])
        : [...root.querySelectorAll(`[data-param="${name}"]`)].map((el) => el.closest(".ip-row") || el);
      for (const el of els) el.hidden = true;
    }
    const drawing = p.target === "drawn";
    $(".ip-draw").hidden = !drawing;
    $(".ip-eulerian").classList.toggle("ip-drawing", drawing);
    $(".ip-sde-caption").textContent =
      `Lagrangian view: particles under the ${p.source === "exact" ? "" : "learned "}SDE, ε = ${fmt(p.eps, 2)}`;
    $(".ip-ode-caption").textContent =
      p.source === "exact" ? "Lagrangian view: particles under the ODE (ε = 0)" : "Lagrangian view: the learned flow";
  }

  /**
   * Applies parameter changes all-or-nothing. A refused change shows a message where it was
   * made and keeps the last good state; the error is also thrown to API callers.
   */
  function setParams(changes, { from } = {}) {
    if (!viewer) throw new Error("Interplay is still loading: await interplay.ready first");
    let changed;
    try {
      changed = viewer.setParams(changes);
    } catch (e) {
      const text = `Not applied: ${messageOf(e)}. The last good setting is kept.`;
      if (from && from.closest(".ip-schedule-box")) sayLocal($(".ip-schedule-msg"), text);
      else say(text);
      syncControls(root, params());
      throw new Error(messageOf(e));
    }
    sayLocal($(".ip-schedule-msg"), "");
    if (message.classList.contains("ip-notice") === false) say("");
    const p = params();
    syncControls(root, p);
    refreshPanels(p);
    dirty.eulerian = dirty.lagrangian = true;
    if (changed.some((k) => ["path", "gamma", "alphaExp", "betaExp", "gammaScale", "t"].includes(k))) dirty.schedule = true;
    hashDirty = true;
    onParamsChanged(changed, p);
    return changed;
  }

  // ---- the engine (lazy) ----------------------------------------------------------------
  let engine = null;
  let engineStarting = null;
  // The training run the engine holds or is setting up: { key, done } with `done` the promise
  // of that set-up. Every caller awaits the same promise, so nobody trains before it is there.
  let run = null;
  let trainingPlaying = false;
  let trainingLoop = null;
  let particleRequest = null;
  let densityRequest = null;
  let metricsRequest = null;
  let lastMetrics = 0;
  let metricsMs = 0; // how long the last quality metrics took
  let modelVersion = 0; // bumped whenever the model changes (a training chunk, a reset)
  let shownModelVersion = -1;
  let modelFailed = false; // the last request for the learned particles failed
  let particleSteps = 3; // steps per request for the learned particles (adapted to their cost)

  function startEngine() {
    if (engineStarting) return engineStarting;
    $(".ip-train-status").textContent = "Loading the training engine…";
    const client = new EngineClient();
    const remembered = widget.backend === "auto" ? readBackendChoice() : null;
    const trial = widget.backend === "auto" && !remembered ? runConfig() : null;
    if (trial) $(".ip-train-status").textContent = "Loading the training engine and timing the CPU and WebGPU on this network…";
    engineStarting = client.call("create", { backend: widget.backend, trial, remembered }).then(
      (info) => {
        engine = { client, info };
        api.backend = info.backend;
        api.adapter = info.adapter;
        api.backendChoice = info.choice;
        if (info.choice && !info.choice.remembered) writeBackendChoice(info.choice);
        if (info.notice) say(info.notice, "notice");
        else if (info.choice && !info.choice.remembered) say(choiceText(info.choice), "notice");
        $(".ip-train-status").textContent = `Engine ready: ${info.backend === "webgpu" ? `WebGPU (${info.adapter})` : "CPU backend"}.`;
        $(".ip-backend-note").textContent = info.choice ? choiceText(info.choice) : `Backend: ${info.backend === "webgpu" ? `WebGPU (${info.adapter})` : "CPU"}, as asked.`;
        return engine;
      },
      (e) => {
        engineStarting = null;
        client.terminate();
        say(`The training engine could not start: ${messageOf(e)}. The exact views still work.`);
        $(".ip-train-status").textContent = "The training engine is not available.";
        throw e;
      },
    );
    return engineStarting;
  }

  /** The choice an earlier trial of `auto` made in this browser, if any (and if readable). */
  function readBackendChoice() {
    try {
      const c = JSON.parse(localStorage.getItem(CHOICE_KEY) || "null");
      return c && (c.choice === "cpu" || c.choice === "webgpu") ? c : null;
    } catch (_) {
      return null;
    }
  }
  function writeBackendChoice(c) {
    try {
      localStorage.setItem(CHOICE_KEY, JSON.stringify({ choice: c.choice, rates: c.rates, adapter: c.adapter, why: c.why, at: new Date().toISOString() }));
    } catch (_) {
      /* storage off (private mode): the trial runs again next time */
    }
  }
  /** The training panel's line on how `auto` chose. */
  function choiceText(c) {
    const name = c.choice === "webgpu" ? `WebGPU (${c.adapter})` : "the CPU backend";
    const adapter = c.adapter ? ` (${c.adapter})` : "";
    let gpu;
    if (c.rates.webgpu === null || c.rates.webgpu === undefined) gpu = `WebGPU not available${c.why ? ` (${c.why})` : ""}`;
    else if (!(c.rates.webgpu > 0)) gpu = `WebGPU${adapter} too slow to start${c.why ? ` (${c.why})` : ""}`;
    else gpu = `WebGPU${adapter} ${fmt(c.rates.webgpu, 1)} steps/s`;
    const how = c.remembered ? "chosen by an earlier trial in this browser" : "chosen by a short trial on this network";
    return `Training on ${name}, ${how}: CPU ${fmt(c.rates.cpu, 1)} steps/s, ${gpu}.`;
  }

  /**
   * The training settings the current parameters call for: what a reader can change. The engine
   * fills in the rest with its live defaults (warm-up, decay, weight average, features).
   */
  function runConfig(p = params()) {
    return {
      objective: viewer.objective(),
      width: p.width,
      depth: p.depth,
      batch: p.batch,
      lr: p.lr,
      seed: p.seed,
      schedule: schedule(p),
      target: viewer.targetSpec(),
    };
  }
  /** When this key changes, the run starts afresh. */
  function runKey(cfg) {
    // The schedule-free model serves every schedule: only its settings and the target matter.
    return JSON.stringify({ ...cfg, schedule: cfg.objective === "schedule-free" ? null : cfg.schedule });
  }

  /**
   * Makes sure the engine holds a run for the current parameters (loading the shipped model
   * where it fits) and resolves once it does. Callers that arrive while a set-up for the same
   * parameters is in flight wait for that one instead of starting another.
   */
  async function ensureRun() {
    const { client } = await startEngine();
    const p = params();
    const cfg = runConfig(p);
    const key = runKey(cfg);
    if (!run || run.key !== key) {
      const mine = { key, done: setUpRun(client, cfg, p) };
      run = mine;
      mine.done.catch(() => {
        if (run === mine) run = null; // the next caller tries again
      });
    }
    await run.done;
    return client;
  }

  /** Replaces the engine's run: the shipped checkpoint where it fits, else a fresh network. */
  async function setUpRun(client, cfg, p) {
    viewer.clearLosses();
    viewer.clearModel();
    dirty.losses = true;
    modelVersion++;
    const shipped =
      cfg.objective === "schedule-free" && p.target === "checkerboard" && widget.checkpoint &&
      p.width === 128 && p.depth === 3;
    if (shipped) {
      try {
        const res = await fetch(new URL(widget.checkpoint, document.baseURI));
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const bytes = await res.arrayBuffer();
        await client.call("load", { bytes }, [bytes]);
        $(".ip-train-status").textContent = "Loaded the pretrained schedule-free model; training continues from it.";
        refreshMetrics(true);
        return;
      } catch (e) {
        say(`The pretrained model could not be loaded (${messageOf(e)}); training starts from scratch.`, "notice");
      }
    }
    await client.call("configure", { config: cfg });
    $(".ip-train-status").textContent = "A fresh network for these settings: press Train.";
  }

  function recordTraining(r) {
    viewer.pushLosses(r.steps, r.losses);
    dirty.losses = true;
    modelVersion++;
    const rate = r.ms > 0 ? (1000 * r.done) / r.ms : 0;
    const losses = r.losses.map(([n, v]) => `loss ${n} ${fmt(v, 4)}`).join(", ");
    $(".ip-train-status").textContent =
      `${r.steps} steps · ${fmt(rate, 1)} steps/s · ${engine.info.backend === "webgpu" ? `WebGPU (${engine.info.adapter})` : "CPU"} · ${losses}`;
    for (const [n, v] of r.losses) {
      if (!Number.isFinite(v)) {
        say(`Training diverged (loss ${n} is ${v}). Lower the learning rate and press Reset.`);
        stopTraining();
      }
    }
  }

  /** The quality panel's numbers for the current model (sample metrics, NLL, velocity error). */
  function modelQuality(client) {
    const small = engine.info.backend === "cpu";
    return client.call("metrics", { n: small ? 600 : 2000, steps: small ? 12 : 30, schedule: schedule() });
  }

  async function refreshMetrics(force = false) {
    // Nothing to compute for a panel that is not shown; and the panel is refreshed at most
    // every 4 s, or every 20 of its own durations where it is slow (a software adapter), so it
    // costs training no more than a twentieth.
    if (!engine || metricsRequest || !widget.views.includes("quality")) return;
    // A forced refresh (new settings) goes ahead, unless the metrics are slow here (over 2 s).
    const wait = force && metricsMs <= 2000 ? 0 : Math.max(4000, 20 * metricsMs);
    if (performance.now() - lastMetrics < wait) return;
    lastMetrics = performance.now();
    const t0 = performance.now();
    try {
      metricsRequest = modelQuality(engine.client);
      const q = await metricsRequest;
      for (const k of ["in_support", "sliced_w2", "tv", "nll"]) {
        const el = $(`.ip-q-${k}`);
        if (el) el.textContent = fmt(q[k], 3);
      }
      const be = $(".ip-q-b_error");
      if (be) be.textContent = q.b_error.map((v) => fmt(v, 2)).join(" · ");
    } catch (e) {
      /* the model may be mid-reset; the next refresh will do */
    } finally {
      metricsRequest = null;
      lastMetrics = performance.now();
      metricsMs = lastMetrics - t0;
    }
  }

  /**
   * Shows a run the engine now holds (a loaded checkpoint): the parameters follow its
   * settings, and the run is marked current so that it is not replaced.
   */
  function adoptRun(rc) {
    const sf = rc.train.objective === "schedule-free";
    const change = {
      source: sf ? "schedule-free" : "learned",
      width: rc.train.net.width,
      depth: rc.train.net.depth,
      batch: rc.train.batch,
      lr: rc.train.lr,
      seed: rc.train.seed,
    };
    if (rc.target.name === "drawn" && Array.isArray(rc.target.points)) {
      change.target = "drawn";
      change.drawn = encodeDrawing(Float64Array.from(rc.target.points.flat()));
    } else if (rc.target.name !== "points") change.target = rc.target.name;
    if (!sf) {
      const sc = rc.schedule;
      Object.assign(change, { path: sc.path, gamma: sc.gamma, alphaExp: sc.alpha_exp, betaExp: sc.beta_exp, gammaScale: sc.gamma_scale });
    }
    let note = "";
    try {
      viewer.setParams(change);
    } catch (e) {
      note = ` (some of its settings cannot be shown here: ${messageOf(e)})`;
    }
    // Mark before the change is announced, so that ensureRun keeps the loaded run.
    run = { key: runKey(runConfig()), done: Promise.resolve() };
    const p = params();
    syncControls(root, p);
    refreshPanels(p);
    viewer.clearLosses();
    viewer.clearModel();
    modelVersion++;
    dirty.losses = dirty.eulerian = dirty.lagrangian = dirty.schedule = true;
    hashDirty = true;
    onParamsChanged([], p);
    return note;
  }

  async function loadCheckpoint(bytes) {
    await api.ready;
    const buffer = bytes instanceof ArrayBuffer ? bytes.slice(0) : new Uint8Array(bytes).slice().buffer;
    stopTraining();
    const client = (await startEngine()).client;
    let r;
    try {
      r = await client.call("load", { bytes: buffer }, [buffer]);
    } catch (e) {
      const text = `This checkpoint could not be loaded: ${messageOf(e)}. The current model is kept.`;
      sayLocal($(".ip-share-msg"), text);
      say(text);
      throw new Error(messageOf(e));
    }
    const note = adoptRun(r.config);
    const text = `Loaded a ${r.config.train.objective} checkpoint (${r.config.steps} steps)${note}.`;
    sayLocal($(".ip-share-msg"), text);
    $(".ip-train-status").textContent = `${text} Training continues from it.`;
    return r.config;
  }

  function stopTraining() {
    const was = trainingPlaying;
    trainingPlaying = false;
    $(".ip-train").textContent = "Train";
    $(".ip-train").setAttribute("aria-pressed", "false");
    // The worker trains on its own until told to stop (a chunk in flight still reports).
    if (was && engine) engine.client.call("trainStop").catch(() => {});
  }

  /** A chunk of the worker's training has been done: show it, and stop when out of sight. */
  function onTrained(r) {
    if (destroyed) return;
    recordTraining(r);
    if (trainingPlaying && (document.hidden || !visible)) stopTraining();
    else if (trainingPlaying) refreshMetrics();
  }

  function startTraining() {
    if (trainingPlaying) return;
    trainingPlaying = true;
    $(".ip-train").textContent = "Pause training";
    $(".ip-train").setAttribute("aria-pressed", "true");
    trainingLoop = (async () => {
      try {
        const client = await ensureRun();
        if (!trainingPlaying || destroyed) return;
        client.on("trained", onTrained);
        client.on("trainError", (message) => {
          say(`Training stopped: ${message}`);
          stopTraining();
        });
        // Training runs in the engine's worker in chunks of about 150 ms, sharing the worker
        // with the model views by its scheduler, until stopTraining.
        await client.call("trainStart", { ms: 150 });
      } catch (e) {
        say(`Training stopped: ${messageOf(e)}`);
        stopTraining();
      }
    })();
  }

  async function train(steps = 1) {
    await api.ready;
    if (!Number.isInteger(steps) || steps < 1 || steps > 100000) {
      say(`train(${steps}): the number of steps must be a whole number from 1 to 100000.`);
      throw new Error("train(steps) needs a whole number of steps from 1 to 100000");
    }
    const client = await ensureRun();
    const r = await client.call("train", { steps });
    recordTraining(r);
    const losses = Object.fromEntries(r.losses);
    return {
      steps: r.steps,
      loss_b: losses.b ?? losses.v ?? null,
      loss_s: losses.s ?? losses.eta ?? null,
      losses,
      ms: r.ms,
      backend: engine.info.backend,
    };
  }

  /** Asks the engine for the model's particles (and density) at the current t, one at a time. */
  function pollModel(p) {
    if (!engine || p.source === "exact") return;
    if (!particleRequest && (shownModelVersion !== modelVersion || viewer.modelTime() !== viewer.modelTarget())) {
      const version = modelVersion;
      const small = engine.info.backend === "cpu";
      particleRequest = engine.client
        .call("particles", {
          t: p.t, n: Math.min(p.particles, small ? 2000 : 20000), eps: p.eps, seed: p.seed,
          schedule: schedule(p), maxSteps: particleSteps,
        })
        .then((r) => {
          modelFailed = false;
          // As many steps per request as fit in about two frames of the engine's time.
          if (r.steps > 0 && r.ms > 0) {
            particleSteps = Math.max(1, Math.min(small ? 3 : 10, Math.round(PARTICLE_BUDGET_MS / (r.ms / r.steps))));
          }
          if (!destroyed) {
            viewer.setModelPoints(r.t, r.points);
            shownModelVersion = version;
            dirty.lagrangian = dirty.eulerian = true;
          }
        })
        .catch(() => {
          modelFailed = true;
        })
        .finally(() => (particleRequest = null));
    }
    if (p.eulerian === "model-density" && !densityRequest && viewer.modelDensityTime() !== p.t) {
      densityRequest = engine.client
        .call("density", { t: p.t, n: 32, steps: 16, schedule: schedule(p) })
        .then((d) => {
          if (!destroyed) {
            viewer.setModelDensity(p.t, 32, d);
            dirty.eulerian = true;
          }
        })
        .catch((e) => say(`The model density could not be computed: ${messageOf(e)}`))
        .finally(() => (densityRequest = null));
    }
  }

  function onParamsChanged(changed, p) {
    if (p.source !== "exact" || p.eulerian.startsWith("model")) {
      ensureRun()
        .then(() => {
          dirty.lagrangian = true;
          refreshMetrics(true);
        })
        .catch(() => {});
    }
    if (["seed", "target", "drawn"].some((k) => changed.includes(k))) dirty.eulerian = true;
  }

  // ---- a target drawn by hand ----------------------------------------------------------------
  let stroke = null; // the view points of the stroke being drawn
  const eulerianCanvas = $(".ip-eulerian");
  function viewPoint(ev) {
    const r = eulerianCanvas.getBoundingClientRect();
    return [-5 + (10 * (ev.clientX - r.left)) / r.width, 5 - (10 * (ev.clientY - r.top)) / r.height];
  }
  /** The stroke so far, over the heat map (redrawn in full when the stroke ends). */
  function drawStroke() {
    const ctx = eulerianCanvas.getContext("2d");
    const px = ([x, y]) => [((x + 5) / 10) * eulerianCanvas.width, ((5 - y) / 10) * eulerianCanvas.height];
    ctx.save();
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 2;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    stroke.forEach((q, i) => (i ? ctx.lineTo(...px(q)) : ctx.moveTo(...px(q))));
    if (stroke.length === 1) ctx.lineTo(...px(stroke[0]));
    ctx.stroke();
    ctx.restore();
  }
  listen(eulerianCanvas, "pointerdown", (ev) => {
    if (!viewer || params().target !== "drawn" || ev.button > 0) return;
    ev.preventDefault();
    eulerianCanvas.setPointerCapture?.(ev.pointerId);
    stroke = [viewPoint(ev)];
    drawStroke();
  });
  listen(eulerianCanvas, "pointermove", (ev) => {
    if (!stroke) return;
    stroke.push(viewPoint(ev));
    drawStroke();
  });
  const endStroke = () => {
    if (!stroke) return;
    const points = stroke;
    stroke = null;
    dirty.eulerian = true;
    let r;
    try {
      // The default drawing (no code yet) is a placeholder: the first stroke replaces it.
      r = drawingCode(params().drawn, Float64Array.from(points.flat()), Uint32Array.of(points.length));
    } catch (e) {
      say(`Not drawn: ${messageOf(e)}.`);
      return;
    }
    try {
      setParams({ target: "drawn", drawn: r.code });
    } catch (_) {
      return; // setParams has said why
    }
    if (r.cut) say("The drawing is full: clear it to draw another.", "notice");
  };
  listen(eulerianCanvas, "pointerup", endStroke);
  listen(eulerianCanvas, "pointercancel", endStroke);
  listen($(".ip-draw-clear"), "click", () => setParams({ drawn: "" }));

  // ---- the frame loop ---------------------------------------------------------------------
  let stepAccumulator = 0;
  let lastEulerian = 0;
  let catchingUp = false;
  function frame(now) {
    frameId = 0;
    if (destroyed || !viewer || !visible) return;
    const dt = Math.min(0.1, (now - (lastFrame || now)) / 1000);
    lastFrame = now;
    let p = params();
    if (playing && !document.hidden) {
      const dir = p.direction === "backward" ? -1 : 1;
      let dtT = (dir * dt) / SWEEP_SECONDS;
      if (reducedMotion.matches) {
        // Reduced motion: step in tenths, once a second, without trails.
        stepAccumulator += dt;
        dtT = 0;
        if (stepAccumulator >= 1) {
          stepAccumulator = 0;
          dtT = dir * 0.1;
        }
      }
      // The learned particles are the slower view: the sweep waits while they are behind, so
      // the heat map and the particles never show two different times.
      if (dtT !== 0 && learnedBehind(p)) dtT = 0;
      if (dtT !== 0) {
        let t = Math.min(1, Math.max(0, p.t + dtT));
        // Never more than LEARNED_LAG ahead of them, however long the frame was.
        const lt = learnedShown(p);
        if (lt !== null) t = dtT > 0 ? Math.min(t, Math.max(p.t, lt + LEARNED_LAG)) : Math.max(t, Math.min(p.t, lt - LEARNED_LAG));
        viewer.setTime(t);
        $(".ip-t").value = String(t);
        $(".ip-t-out").value = fmt(t);
        dirty.eulerian = dirty.lagrangian = dirty.schedule = true;
        hashDirty = true;
        if (t === 1 || t === 0) pause();
        p = params();
      }
    }
    const caughtUp = viewer.tick(FRAME_BUDGET_MS);
    // While catching up the particles move (trails on); once there, one clean redraw.
    if (!caughtUp || catchingUp) dirty.lagrangian = true;
    catchingUp = !caughtUp;
    pollModel(p);
    try {
      // While playing, the heat map is redrawn at most every 30 ms (it costs several ms).
      if (dirty.eulerian && !stroke && (!playing || now - lastEulerian >= 30)) {
        dirty.eulerian = false;
        lastEulerian = now;
        const max = viewer.drawEulerian();
        $(".ip-legend-max").textContent = Number.isFinite(max) ? max.toPrecision(2) : "…";
        if (!Number.isFinite(max) && p.eulerian.startsWith("model")) startEngine().catch(() => {});
      }
      if (dirty.lagrangian) {
        dirty.lagrangian = false;
        viewer.drawLagrangian((playing || !caughtUp) && !reducedMotion.matches);
      }
      if (dirty.schedule && root.querySelector(".ip-schedule-plot").offsetParent !== null) {
        dirty.schedule = false;
        viewer.drawSchedule();
      }
      if (dirty.losses) {
        dirty.losses = false;
        viewer.drawLosses();
      }
    } catch (e) {
      say(`Drawing failed: ${messageOf(e)}`);
    }
    if (hashDirty && widget.hash && now - lastHash > 250) writeHash(now);
    if (drawnWaiters.length && caughtUp && !dirty.eulerian && !dirty.lagrangian && !modelPending(p)) {
      for (const ok of drawnWaiters.splice(0)) ok();
    }
    frameId = requestAnimationFrame(frame);
  }

  /**
   * Whether the learned particles on screen are more than LEARNED_LAG behind the time shown
   * (false when the engine cannot give them: the sweep then goes on without them).
   */
  function learnedBehind(p) {
    if (p.source === "exact" || !engine || modelFailed) return false;
    const t = viewer.modelTime();
    return t === undefined || t === null || Math.abs(t - viewer.modelTarget()) > LEARNED_LAG;
  }
  /** The time of the learned particles the sweep keeps pace with (null when it need not). */
  function learnedShown(p) {
    if (p.source === "exact" || !engine || modelFailed) return null;
    return viewer.modelTime() ?? null;
  }

  /** Whether the learned particles on screen are behind the model or the time shown. */
  function modelPending(p) {
    if (p.eulerian === "model-density" && (!engine || densityRequest || viewer.modelDensityTime() !== p.t)) return true;
    if (p.source === "exact") return false;
    return !engine || !!particleRequest || shownModelVersion !== modelVersion || viewer.modelTime() !== viewer.modelTarget();
  }
  const drawnWaiters = [];

  // ---- links, embeds, URL state -------------------------------------------------------------
  let hashDirty = false;
  let lastHash = 0;
  /** Everything a link must carry: every parameter, plus the widget options that differ. */
  function linkState({ short = false } = {}) {
    const p = params();
    const o = {};
    for (const [k, v] of Object.entries(p)) if (!short || v !== defaults[k]) o[k] = v;
    if (widget.views.join() !== Object.keys(VIEWS).join()) o.views = widget.views.join(",");
    if (widget.hide.length) o.hide = widget.hide.join(",");
    if (widget.backend !== "auto") o.backend = widget.backend;
    if (widget.size) o.size = widget.size;
    return o;
  }
  const hashOf = (o) => new URLSearchParams(Object.entries(o).map(([k, v]) => [k, String(v)])).toString();
  function writeHash(now = performance.now()) {
    hashDirty = false;
    lastHash = now;
    const hash = `#${hashOf(linkState())}`;
    // A full URL: a bare "#…" would resolve against the page's <base>, not the page.
    if (location.hash !== hash) history.replaceState(history.state, "", location.href.split("#")[0] + hash);
  }
  function link() {
    const app = widget.hash ? location.href.split("#")[0] : new URL("./index.html", BASE).href;
    return `${app}#${hashOf(linkState())}`;
  }
  function embedSnippet() {
    const o = linkState({ short: true });
    const kebab = (k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const attrs = Object.entries(o).map(([k, v]) => ` data-${kebab(k)}="${String(v)}"`).join("");
    // Liquid reserves include.size (the number of parameters): the include calls it maxwidth.
    const include = Object.entries(o).map(([k, v]) => ` ${k === "size" ? "maxwidth" : k}="${String(v)}"`).join("");
    return (
      `<!-- in a Jekyll post -->\n{% include interplay.html${include} %}\n\n` +
      `<!-- in any HTML page -->\n<div class="interplay-widget"${attrs}></div>\n` +
      `<script type="module" src="${new URL("./embed.js", BASE).href}"></script>\n\n` +
      `<!-- or the full app in an iframe -->\n<iframe src="${link()}" width="100%" height="900" style="border:0" loading="lazy" title="Interplay"></iframe>`
    );
  }
  function showShare(text, note) {
    const area = $(".ip-share-text");
    area.hidden = false;
    area.value = text;
    area.rows = Math.min(8, text.split("\n").length + 1);
    sayLocal($(".ip-share-msg"), note);
  }
  async function copyText(text, what) {
    showShare(text, "");
    try {
      await navigator.clipboard.writeText(text);
      sayLocal($(".ip-share-msg"), `${what} copied to the clipboard.`);
    } catch (_) {
      $(".ip-share-text").select();
      sayLocal($(".ip-share-msg"), `Copy the ${what.toLowerCase()} above (the clipboard is not available here).`);
    }
  }

  // ---- export ---------------------------------------------------------------------------------
  const CANVASES = { eulerian: ".ip-eulerian", ode: ".ip-ode", sde: ".ip-sde", schedule: ".ip-schedule-plot", losses: ".ip-loss-plot" };
  function save(name, blob) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.hidden = true;
    root.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }
  async function exportPng(view = "eulerian") {
    await api.ready;
    const sel = CANVASES[view];
    if (!sel) throw new Error(`exportPng: view '${view}' is unknown; use ${Object.keys(CANVASES).join(", ")}`);
    if (view === "eulerian" && dirty.eulerian) viewer.drawEulerian();
    const c = $(sel);
    return new Promise((ok, fail) => c.toBlob((b) => (b ? ok(b) : fail(new Error("the canvas could not be encoded"))), "image/png"));
  }
  async function exportCsv() {
    await api.ready;
    const p = params();
    const xy = viewer.points(p.eps > 0 ? 1 : 0);
    const lines = ["x,y"];
    for (let i = 0; i + 1 < xy.length; i += 2) lines.push(`${xy[i]},${xy[i + 1]}`);
    return `${lines.join("\n")}\n`;
  }
  async function exportCheckpoint() {
    await api.ready;
    const client = await ensureRun();
    return new Uint8Array(await client.call("checkpoint"));
  }
  async function exportConfig() {
    await api.ready;
    const client = await ensureRun();
    return client.call("runConfig");
  }
  const stamp = () => `t${fmt(params().t)}`;
  async function exporting(fn) {
    try {
      await fn();
    } catch (e) {
      sayLocal($(".ip-share-msg"), `Export failed: ${messageOf(e)}`);
    }
  }

  function play() {
    if (!viewer) return;
    const p = params();
    if (p.direction === "forward" && p.t >= 1) setParams({ t: 0 });
    if (p.direction === "backward" && p.t <= 0) setParams({ t: 1 });
    playing = true;
    $(".ip-play").innerHTML = PAUSE_ICON;
    $(".ip-play").setAttribute("aria-label", "Pause the time animation");
  }
  function pause() {
    // Only the time animation: training goes on until its own button stops it.
    playing = false;
    if (!viewer) return;
    $(".ip-play").innerHTML = PLAY_ICON;
    $(".ip-play").setAttribute("aria-label", "Play the time animation");
  }

  // ---- API --------------------------------------------------------------------------------
  const api = {
    ready: null,
    backend: null,
    adapter: null,
    /** How `auto` chose the backend: { choice, rates: { cpu, webgpu }, adapter, why, remembered }. */
    backendChoice: null,
    setParams: (changes) => setParams(changes),
    getParams: () => (viewer ? params() : null),
    train,
    /** `n` samples at t = 1: exact by default, or from the model ({ source: "model" }). */
    async sample(n = 1000, opts = {}) {
      await api.ready;
      if (!Number.isInteger(n) || n < 1 || n > 200000) throw new Error("sample(n) needs a whole number from 1 to 200000");
      const steps = opts.steps ?? 100;
      if ((opts.source ?? "exact") === "exact") return new Float32Array(viewer.sample(n, steps));
      const client = await ensureRun();
      const p = params();
      return client.call("sample", { n, steps, eps: opts.eps ?? p.eps, seed: p.seed, schedule: schedule(p) });
    },
    /**
     * The quality panel's numbers for the current model: in_support, sliced_w2, tv, energy,
     * nll, and b_error (‖b̂ − b*‖/‖b*‖ at t = 0.1, 0.3, 0.5, 0.7, 0.9).
     */
    async quality() {
      await api.ready;
      return modelQuality(await ensureRun());
    },
    play,
    pause,
    /**
     * What the engine's worker has done so far: WebGPU shader modules, pipelines and submits
     * created (zero on the CPU), time spent training and on model views, chunks, views run and
     * views superseded. Null before the engine has started.
     */
    async engineStats() {
      await api.ready;
      if (!engineStarting) return null;
      const { client } = await startEngine();
      return client.call("stats");
    },
    /** The time the learned particles on screen have reached (null before there are any). */
    learnedTime: () => (viewer ? (viewer.modelTime() ?? null) : null),
    /** A link to the full app showing this state. */
    link: () => link(),
    /** The Jekyll include and the HTML snippet that embed this state. */
    embedSnippet: () => embedSnippet(),
    exportPng,
    exportCsv,
    exportCheckpoint,
    exportConfig,
    loadCheckpoint,
    /** Resolves after the next frame that leaves nothing to catch up (particles, model views). */
    whenDrawn: () => new Promise((ok) => drawnWaiters.push(ok)),
    /** Whether the frame loop is running (false off screen, paused or destroyed). */
    running: () => frameId !== 0,
    destroy() {
      if (destroyed) return; // a second call has nothing left to free
      destroyed = true;
      stopTraining();
      if (observer) observer.disconnect();
      if (engine) engine.client.terminate();
      if (frameId) cancelAnimationFrame(frameId);
      for (const [t, type, fn, opt] of listeners) t.removeEventListener(type, fn, opt);
      if (viewer) viewer.free();
      viewer = null;
      root.innerHTML = "";
      root.classList.remove("interplay");
    },
  };

  api.ready = (async () => {
    try {
      await init();
    } catch (e) {
      say(`Interplay could not start: this browser could not load WebAssembly (${messageOf(e)}).`);
      throw e;
    }
    viewer = new Viewer($(".ip-eulerian"), $(".ip-ode"), $(".ip-sde"), $(".ip-schedule-plot"), $(".ip-loss-plot"));
    defaults = viewer.getParams();
    $(".ip-legend-bar").style.background = paletteCss();
    for (const el of root.querySelectorAll("input, select")) {
      if (!el.id) el.id = `ip-${uid}-${el.classList[0]}`;
    }
    // Options: widget settings, then picture parameters (all-or-nothing; bad ones are named).
    const picture = {};
    const problems = [];
    for (const [k, v] of Object.entries(options || {})) {
      if (!WIDGET_OPTIONS.includes(k)) picture[k] = v;
      else if (k === "backend" && !["auto", "cpu", "webgpu"].includes(v)) problems.push(`backend '${v}' is unknown (use auto, cpu or webgpu)`);
      else if (k === "autoplay") widget.autoplay = v === true || v === "" || v === "true" || v === "1";
      else if (k === "hash") widget.hash = v === true || v === "true";
      else if (k === "views") {
        const names = listOf(v);
        const bad = names.filter((n) => !(n in VIEWS));
        if (bad.length) problems.push(`views: '${bad.join("', '")}' unknown (use ${Object.keys(VIEWS).join(", ")})`);
        if (names.length && !bad.length) widget.views = names;
      } else if (k === "hide") {
        const known = [...Object.keys(HIDEABLE), ...[...root.querySelectorAll("[data-param]")].map((el) => el.dataset.param)];
        const names = listOf(v);
        const bad = names.filter((n) => !known.includes(n));
        if (bad.length) problems.push(`hide: '${bad.join("', '")}' unknown (use ${known.join(", ")})`);
        widget.hide = names.filter((n) => known.includes(n));
      } else if (k === "size") {
        const m = String(v).trim().match(/^(\d+(?:\.\d+)?)(px|em|rem|%|vw)?$/);
        if (!m || Number(m[1]) <= 0) problems.push(`size '${v}' is not a width such as 640 or 640px`);
        else {
          root.style.maxWidth = `${m[1]}${m[2] || "px"}`;
          widget.size = String(v).trim();
        }
      } else if (k === "checkpoint" && v === "none") {
        widget.checkpoint = null; // train the schedule-free network from scratch
      } else if (v !== undefined && v !== null && v !== "") widget[k] = k === "checkpoint" ? new URL(v, document.baseURI).href : v;
    }
    // Picture options all at once; if that is refused, one by one, keeping the good ones.
    try {
      if (Object.keys(picture).length) viewer.setParams(picture);
    } catch (e) {
      const keys = Object.keys(picture).sort((a, b) => (b === "preset") - (a === "preset"));
      for (const k of keys) {
        try {
          viewer.setParams({ [k]: picture[k] });
        } catch (e1) {
          problems.push(messageOf(e1));
        }
      }
    }
    if (problems.length) say(`Some options were not applied: ${problems.join("; ")}. The defaults are used for those.`);
    const p = params();
    syncControls(root, p);
    refreshPanels(p);
    // Controls → parameters.
    for (const el of root.querySelectorAll("[data-param]")) {
      const ev = el.tagName === "SELECT" || el.type === "checkbox" || el.type === "number" ? "change" : "input";
      listen(el, ev, () => {
        const change = { [el.dataset.param]: readControl(el) };
        // Side by side with ε = 0 would show the same picture twice: give the SDE some noise.
        if (change.compare === true && params().eps === 0) change.eps = 0.5;
        try {
          setParams(change, { from: el });
        } catch (_) {
          /* shown in the widget */
        }
      });
    }
    listen($(".ip-play"), "click", () => (playing ? pause() : play()));
    listen($(".ip-train"), "click", () => (trainingPlaying ? stopTraining() : startTraining()));
    listen($(".ip-step"), "click", () => train(1).catch((e) => say(messageOf(e))));
    listen($(".ip-reset"), "click", async () => {
      stopTraining();
      try {
        const client = await startEngine();
        viewer.clearLosses();
        viewer.clearModel();
        modelVersion++;
        dirty.losses = true;
        const cfg = runConfig();
        const mine = { key: runKey(cfg), done: client.call("configure", { config: cfg }) };
        run = mine;
        mine.done.catch(() => {
          if (run === mine) run = null;
        });
        await mine.done;
        $(".ip-train-status").textContent = "A fresh network: press Train.";
      } catch (e) {
        say(`Reset failed: ${messageOf(e)}`);
      }
    });
    listen(document, "visibilitychange", () => {
      if (!document.hidden) dirty.eulerian = dirty.lagrangian = true;
    });
    // Share and export.
    listen($(".ip-copy-link"), "click", () => copyText(link(), "Link"));
    listen($(".ip-embed"), "click", () => showShare(embedSnippet(), "Paste this into a Jekyll post (with _includes/interplay.html) or any HTML page."));
    listen($(".ip-export-png"), "click", () =>
      exporting(async () => {
        const view = $(".ip-export-view").value;
        save(`interplay-${view}-${stamp()}.png`, await exportPng(view));
      }),
    );
    listen($(".ip-export-csv"), "click", () =>
      exporting(async () => save(`interplay-samples-${stamp()}.csv`, new Blob([await exportCsv()], { type: "text/csv" }))),
    );
    listen($(".ip-export-ckpt"), "click", () =>
      exporting(async () => save("interplay.ckpt", new Blob([await exportCheckpoint()], { type: "application/octet-stream" }))),
    );
    listen($(".ip-export-config"), "click", () =>
      exporting(async () => save("interplay-run.json", new Blob([await exportConfig()], { type: "application/json" }))),
    );
    listen($(".ip-load-file"), "change", async (ev) => {
      const file = ev.target.files && ev.target.files[0];
      if (!file) return;
      try {
        await loadCheckpoint(await file.arrayBuffer());
      } catch (_) {
        /* shown in the widget */
      }
      ev.target.value = "";
    });
    if (widget.hash) {
      // A link pasted into this tab: apply its parameters (the bad ones are named).
      listen(window, "hashchange", () => {
        const o = Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
        const pic = Object.fromEntries(Object.entries(o).filter(([k]) => !WIDGET_OPTIONS.includes(k)));
        try {
          setParams(pic);
        } catch (_) {
          /* shown in the widget */
        }
      });
      writeHash();
    }
    // Off screen, the loop sleeps (and training pauses); back on screen, it resumes.
    if (typeof IntersectionObserver === "function") {
      observer = new IntersectionObserver((entries) => {
        for (const e of entries) {
          visible = e.isIntersecting;
          if (visible && !frameId && viewer && !destroyed) {
            lastFrame = 0;
            dirty.eulerian = dirty.lagrangian = true;
            frameId = requestAnimationFrame(frame);
          }
        }
      });
      observer.observe(root);
    }
    if (p.source !== "exact" || p.eulerian.startsWith("model")) onParamsChanged([], p);
    frameId = requestAnimationFrame(frame);
    if (widget.autoplay) play();
    return api;
  })();
  return api;
}
