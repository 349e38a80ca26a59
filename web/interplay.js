// Interplay widget: builds its DOM inside the element it is given, loads the Rust viewer
// (WebAssembly) at once and the training engine lazily in a Web Worker, and runs one
// requestAnimationFrame loop. No ids, no global CSS, no globals: several widgets can live on
// one page, and every listener outside the widget is removed by destroy().
//
// This module composes the widget from modules with one job each: options.js (the widget's own
// options and which panels show), engine-session.js (the engine, the training run, training,
// checkpoints), model-views.js (the learned particles, density and quality numbers),
// frame-loop.js (the time animation and the redraws), hand-drawing.js (a target drawn by hand)
// and share.js (URL state, links, embeds, exports). They share one context, `w`, built here.
import init, { Viewer, controls, paletteCss, takeLastPanic } from "./interplay-web.js";
import { TEMPLATE, buildControls, readControl, syncControls } from "./controls.js";
import { engineSession } from "./engine-session.js";
import { frameLoop } from "./frame-loop.js";
import { handDrawing } from "./hand-drawing.js";
import { modelViews } from "./model-views.js";
import { VIEWS, WIDGET_OPTIONS, applyOptions, earlyPanels, messageOf, refreshPanels, widgetDefaults } from "./options.js";
import { share } from "./share.js";
import { spacetimePick } from "./spacetime-pick.js";
import { lineLearning } from "./line-learning.js";
import { epsExplorer } from "./eps-explorer.js";
import { flowPick } from "./flow-pick.js";
import { mixTriangle } from "./triangle.js";
import { flowMapFigure } from "./flow-map.js";
import { noDataFigure } from "./no-data.js";
import { guardViewer } from "./viewer-guard.js";
import { THEMES, applyTheme } from "./theme.js";

export { VIEWS };

/** Where the built files live (the directory of this module), for the shipped checkpoint. */
const BASE = new URL(".", import.meta.url);
/** From this width (CSS px) the widget puts its panels beside the views. */
const WIDE_PX = 1100;
/** A figure with one view and its controls (a post's schedule figure): side by side from here. */
const SIDE_PX = 620;

/** Creates a widget inside `root`. Returns its API at once; `api.ready` resolves when it draws. */
export function create(root, options = {}) {
  if (!(root instanceof HTMLElement)) throw new Error("Interplay: create(root) needs an element");
  root.classList.add("interplay");
  root.innerHTML = TEMPLATE;
  const $ = (sel) => root.querySelector(sel);
  // Unique ids only where labels need them (none are fixed, so widgets never collide).
  const uid = Math.random().toString(36).slice(2);
  const listeners = [];
  const message = $(".ip-message");

  /** The widget's context, shared by its modules. */
  const w = {
    root,
    $,
    viewer: null,
    destroyed: false,
    visible: true, // on screen (IntersectionObserver); off screen the loop sleeps
    widget: widgetDefaults(BASE),
    defaults: null, // the parameters before any option, for short links and snippets
    dirty: null, // the views to redraw (the frame loop's flags: setting one wakes it)
    listen(target, type, fn, opt) {
      target.addEventListener(type, fn, opt);
      listeners.push([target, type, fn, opt]);
    },
    say(text, kind = "error") {
      message.textContent = text || "";
      message.classList.toggle("ip-notice", kind === "notice");
    },
    sayLocal(el, text) {
      el.textContent = text || "";
    },
    params: () => w.viewer.getParams(),
    setParams,
    applyParams,
    paramsChanged,
  };

  /**
   * Applies parameter changes all-or-nothing. A refused change shows a message where it was
   * made and keeps the last good state; the error is also thrown to API callers.
   */
  function setParams(changes, opts = {}) {
    const r = applyParams(changes, opts);
    if (r.refused !== undefined) throw new Error(r.refused);
    return r.changed;
  }
  /**
   * What the widget's own controls use: like setParams, but a refusal (shown where the change was
   * made, the last good setting kept) is returned as `{ refused: message }`, not thrown.
   */
  function applyParams(changes, { from } = {}) {
    if (!w.viewer) throw new Error("Interplay is still loading: await interplay.ready first");
    let changed;
    try {
      changed = w.viewer.setParams(changes);
    } catch (e) {
      // While the viewer is being restored its guard speaks for it.
      if (w.recovering) return { refused: messageOf(e) };
      const text = `Not applied: ${messageOf(e)}. The last good setting is kept.`;
      if (from && from.closest(".ip-schedule-box")) w.sayLocal($(".ip-schedule-msg"), text);
      else w.say(text);
      syncControls(root, w.params());
      return { refused: messageOf(e) };
    }
    w.sayLocal($(".ip-schedule-msg"), "");
    if (message.classList.contains("ip-notice") === false) w.say("");
    paramsChanged(changed);
    return { changed };
  }
  /**
   * The panels go beside the views when there is room: in a wide widget, or in a figure that shows
   * one view and some controls, so its picture and the controls its text talks about are on one
   * screen.
   */
  function layout() {
    const width = root.clientWidth;
    const shown = (el) => !el.hidden && el.offsetParent !== null;
    const square = [...root.querySelectorAll(".ip-views > .ip-panel")].filter(shown).length;
    const wide = [...root.querySelectorAll(".ip-spacetime-panel, .ip-mix-panel, .ip-fmap-panel, .ip-nodata-panel")].filter(shown).length;
    const boxes = [...root.querySelectorAll(".ip-panels > .ip-box")].filter((el) => !el.hidden).length;
    const side = boxes > 0 && (width >= WIDE_PX || (width >= SIDE_PX && square <= 1 && wide === 0));
    root.classList.toggle("ip-beside", side);
  }
  /** After the viewer's parameters changed (`changed`: their names; null: all of them). */
  function paramsChanged(changed) {
    const p = w.params();
    syncControls(root, p);
    const touched = w.viewer.touched(changed ?? null);
    if (touched.onlyFlowMap) {
      // Only the flow-map figure's jumps: it redraws its map; nothing else moves.
      w.flowMap.changed();
      w.share.hashChanged();
      return;
    }
    if (touched.onlyNoData) {
      // Only the "no data" figure's energy or noise: it redraws its walkers; nothing else moves.
      w.noData.changed();
      w.share.hashChanged();
      return;
    }
    if (touched.onlyTriangle) {
      // Only the triangle moved: the other views, the training run and the panels stand.
      w.mix.changed();
      w.share.hashChanged();
      return;
    }
    refreshPanels(root, w.widget, p, w.viewer.shownPanels());
    layout();
    w.dirty.eulerian = w.dirty.lagrangian = w.dirty.spacetime = true;
    if (touched.line) w.spacetime?.refresh();
    if (touched.schedule) w.dirty.schedule = true;
    if (touched.mix) w.mix.changed();
    if (touched.losses) w.dirty.losses = true;
    w.flowMap.changed();
    w.noData.changed();
    w.share.hashChanged();
    w.session.paramsChanged(p);
  }

  w.loop = frameLoop(w); // first: it owns the dirty flags
  w.session = engineSession(w);
  w.views = modelViews(w, w.session);
  w.share = share(w);
  w.drawing = handDrawing(w);
  w.spacetime = spacetimePick(w);
  w.flowPick = flowPick(w);
  w.lineLearning = lineLearning(w);
  w.epsExplorer = epsExplorer(w, w.session);
  w.mix = mixTriangle(w);
  w.flowMap = flowMapFigure(w);
  w.noData = noDataFigure(w);
  const { session, views, loop } = w;
  let observer = null;
  let resizer = null;

  // ---- API --------------------------------------------------------------------------------
  const api = {
    ready: null,
    backend: null,
    adapter: null,
    /** How many workers (cores) train the run on the CPU backend (the `workers` option; 1 on WebGPU). */
    workers: null,
    /** How `auto` chose the backend: { choice, rates: { cpu, webgpu }, adapter, why, remembered }. */
    backendChoice: null,
    setParams: (changes) => setParams(changes),
    getParams: () => (w.viewer ? w.params() : null),
    train: (steps) => session.train(steps),
    /** `n` samples at t = 1: exact by default, or from the model ({ source: "model" }). */
    async sample(n = 1000, opts = {}) {
      await api.ready;
      if (!Number.isInteger(n) || n < 1 || n > 200000) throw new Error("sample(n) needs a whole number from 1 to 200000");
      const steps = opts.steps ?? 100;
      if ((opts.source ?? "exact") === "exact") return new Float32Array(w.viewer.sample(n, steps));
      const client = await session.ensureRun();
      const p = w.params();
      return client.call("sample", { n, steps, eps: opts.eps ?? p.eps, seed: p.seed, schedule: w.viewer.scheduleSpec() });
    },
    /**
     * The quality panel's numbers for the current model: in_support, sliced_w2, tv, energy,
     * nll, and b_error (‖b̂ − b*‖/‖b*‖ at t = 0.1, 0.3, 0.5, 0.7, 0.9).
     */
    async quality() {
      await api.ready;
      return views.quality(await session.ensureRun());
    },
    /**
     * Makes the viewer panic, as a bug would (for the test of the widget's recovery); with
     * "triangle", the triangle's view panics while it holds the viewer.
     */
    panicForTest(where = "viewer") {
      if (where === "triangle") return w.mix.panicForTest();
      try {
        w.viewer.panicForTest();
      } catch (e) {
        // The guard answers the panic with the restart (and has said so in the widget).
        if (!/was restarted/.test(messageOf(e))) throw e;
      }
    },
    play: () => loop.play(),
    pause: () => loop.pause(),
    /**
     * What the engine's worker has done so far: WebGPU shader modules, pipelines and submits
     * created (zero on the CPU), time spent training and on model views, chunks, views run and
     * views superseded. Null before the engine has started.
     */
    async engineStats() {
      await api.ready;
      if (!session.started()) return null;
      const { client } = await session.start();
      return client.call("stats");
    },
    /** The time the learned particles on screen have reached (null before there are any). */
    learnedTime: () => (w.viewer ? (w.viewer.modelTime() ?? null) : null),
    /** A link to the full app showing this state. */
    link: () => w.share.link(),
    /** The Jekyll include and the HTML snippet that embed this state. */
    embedSnippet: () => w.share.embedSnippet(),
    exportPng: (view) => w.share.exportPng(view),
    exportCsv: () => w.share.exportCsv(),
    exportCheckpoint: () => w.share.exportCheckpoint(),
    exportConfig: () => w.share.exportConfig(),
    loadCheckpoint: (bytes) => session.loadCheckpoint(bytes),
    /** Resolves after the next frame that leaves nothing to catch up (particles, model views). */
    whenDrawn: () => loop.whenDrawn(),
    /** Shows the conditional paths through (t, x) on the space–time view (no arguments: none);
     * returns {t, x, b, mean, n, halfWidth} or null. */
    pickSpacetime: (t, x) => w.spacetime.pick(t, x),
    /** Shows the conditional paths through (x, y) at the current t in the Lagrangian view (no
     * arguments: none); returns {t, x, y, b, mean, n, drawn, radius} or null. */
    pickFlow: (x, y) => w.flowPick.pick(x, y),
    /** Trains the space–time view's network on the line for about `ms` and draws its flow
     * lines over the exact ones; resolves to {steps, ms, bError} (at t = 0.1, 0.3, …, 0.9). */
    learnLine: (ms) => w.lineLearning.learn(ms),
    /** The quality panel's ε explorer for the current model: resolves to {eps, tv, inSupport,
     * bestTv, bound: {a, b, c, t_end}, bestBound, n, steps} and draws its chart. */
    exploreEps: () => w.epsExplorer.explore(),
    /** Plays the particles along the triangle's path (the `mixPath` parameter); resolves at
     * its end, or fails with why there is no flow (no exact fields for these targets). */
    flowTriangle: () => w.mix.flow(),
    /** The triangle's state: {s (along the path; null at the point), playing, hasFlow}. */
    triangleState: () => w.mix.state(),
    /** Trains the flow-map figure's map for about `ms` and draws it; resolves to {steps, k,
     * inSquares: [map, exact ODE], errors: {times, s, t, error, moved}}. */
    trainFlowMap: (ms) => w.flowMap.train(ms),
    /** The flow-map figure's number of jumps: 1, 2, 4 or 8 (any other is refused with a
     * message); redraws the trained map with it. */
    setFlowMapJumps: (k) => w.flowMap.setJumps(k),
    /** The flow-map figure's state: {k, steps, inSquares, cells, learning}. */
    flowMapState: () => w.flowMap.state(),
    /** The flow map's checkpoint bytes (a Uint8Array; `interplay sample --model` reads them). */
    exportFlowMap: () => w.flowMap.checkpoint(),
    /** Trains the "no data" figure's drift for about `ms` and draws both arms; resolves to
     * {energy, eps, steps, drift, ess: {learned, alone}, logZ: {learned, alone, exact}, tv:
     * {learned, alone}, learning} (ESS and log Z at τ = 1). */
    trainNoData: (ms) => w.noData.train(ms),
    /** Redraws the "no data" figure's walkers for the current energy and ε; resolves to its state. */
    redrawNoData: () => w.noData.redraw(),
    /** Plays the "no data" figure's annealing from τ = 0 to 1; resolves at its end. */
    playNoData: () => w.noData.play(),
    /** Draws the "no data" figure's walkers and annealed density at τ; returns its state. */
    showNoDataAt: (tau) => w.noData.showAt(tau),
    /** The "no data" figure's transport as checkpoint bytes (a Uint8Array; `interplay
     * sample-energy --model` reads them). */
    exportNoData: () => w.noData.checkpoint(),
    /** The "no data" figure's state, as `trainNoData` resolves to. */
    noDataState: () => w.noData.state(),
    /** Whether the frame loop is running (false off screen, paused or destroyed). */
    running: () => loop.running(),
    destroy() {
      if (w.destroyed) return; // a second call has nothing left to free
      w.destroyed = true;
      session.terminate();
      w.lineLearning.terminate();
      w.flowMap.terminate();
      w.noData.terminate();
      w.mix.free();
      if (observer) observer.disconnect();
      if (resizer) resizer.disconnect();
      stopTheme();
      loop.stop();
      for (const [t, type, fn, opt] of listeners) t.removeEventListener(type, fn, opt);
      if (w.viewer) w.viewer.free();
      w.viewer = null;
      root.innerHTML = "";
      root.classList.remove("interplay", "ip-theme-dark", "ip-beside");
    },
  };
  w.api = api;

  /** Controls → parameters, and the buttons. */
  function wireControls() {
    for (const el of root.querySelectorAll("[data-param]")) {
      const ev = el.tagName === "SELECT" || el.type === "checkbox" || el.type === "number" ? "change" : "input";
      w.listen(el, ev, () => {
        const change = { [el.dataset.param]: readControl(el) };
        // Side by side with ε = 0 would show the same picture twice: give the SDE some noise.
        if (change.compare === true && w.params().eps === 0) change.eps = 0.5;
        applyParams(change, { from: el });
      });
    }
    w.listen($(".ip-play"), "click", () => (loop.playing() ? loop.pause() : loop.play()));
    w.listen($(".ip-train"), "click", () => (session.training() ? session.stopTraining() : session.startTraining()));
    w.listen($(".ip-step"), "click", () => session.train(1).catch((e) => w.say(messageOf(e))));
    w.listen($(".ip-reset"), "click", () => session.reset());
    w.listen(document, "visibilitychange", () => {
      if (!document.hidden) w.dirty.eulerian = w.dirty.lagrangian = w.dirty.spacetime = true;
    });
    w.share.wire();
    if (w.widget.hash) {
      // A link pasted into this tab: apply its parameters (the bad ones are named).
      w.listen(window, "hashchange", () => {
        const o = Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
        const pic = Object.fromEntries(Object.entries(o).filter(([k]) => !WIDGET_OPTIONS.includes(k)));
        applyParams(pic);
      });
      w.share.writeHash();
    }
  }

  /** Picture options all at once; if that is refused, one by one, keeping the good ones. */
  function applyPicture(picture, problems) {
    try {
      if (Object.keys(picture).length) w.viewer.setParams(picture);
    } catch {
      // Refused as a whole: each option on its own, so the good ones still apply.
      const keys = Object.keys(picture).sort((a, b) => (b === "preset") - (a === "preset"));
      for (const k of keys) {
        try {
          w.viewer.setParams({ [k]: picture[k] });
        } catch (e1) {
          problems.push(messageOf(e1));
        }
      }
    }
  }

  /** After the viewer panicked and a fresh one took over: say so, and redraw everything. */
  function recovered({ why, restored }) {
    console.error(`Interplay: the viewer panicked (${why}); a fresh one took over.`);
    w.say(
      `Something went wrong inside the viewer (${why}). It was restarted with ${restored ? "the last settings that worked" : "the default settings"}.`,
    );
    w.recovering = true;
    queueMicrotask(() => {
      w.recovering = false;
      if (!w.destroyed) paramsChanged(null);
    });
  }

  const stopTheme = applyTheme(root, w.listen, THEMES.includes(options.theme) ? options.theme : "auto");
  earlyPanels(root, options);
  api.ready = (async () => {
    try {
      await init();
    } catch (e) {
      w.say(`Interplay could not start: this browser could not load WebAssembly (${messageOf(e)}).`);
      throw e;
    }
    w.viewer = guardViewer(
      () => new Viewer($(".ip-eulerian"), $(".ip-ode"), $(".ip-sde"), $(".ip-spacetime"), $(".ip-schedule-plot"), $(".ip-loss-plot")),
      { lastPanic: takeLastPanic, recovered },
    );
    w.defaults = w.viewer.getParams();
    buildControls(root, controls());
    $(".ip-legend-bar").style.background = paletteCss();
    for (const el of root.querySelectorAll("input, select")) {
      if (!el.id) el.id = `ip-${uid}-${el.classList[0]}`;
    }
    // Options: widget settings, then picture parameters (all-or-nothing; bad ones are named).
    const { picture, problems } = applyOptions(options, w.widget, root);
    applyPicture(picture, problems);
    if (problems.length) w.say(`Some options were not applied: ${problems.join("; ")}. The defaults are used for those.`);
    const p = w.params();
    syncControls(root, p);
    refreshPanels(root, w.widget, p, w.viewer.shownPanels());
    wireControls();
    w.listen(message, "click", () => w.say(""));
    // Wide enough (the full app on a large screen): the panels go beside the views.
    if (typeof ResizeObserver === "function") {
      // Only a new width matters; the layout is changed in the next frame, never inside the
      // observer's callback (which would resize what it observes while it is delivering).
      let lastWidth = -1;
      resizer = new ResizeObserver((entries) => {
        const width = entries[entries.length - 1].contentRect.width;
        if (width === lastWidth) return;
        lastWidth = width;
        requestAnimationFrame(() => !w.destroyed && layout());
      });
      resizer.observe(root);
    }
    // Off screen, the loop sleeps (and training pauses); back on screen, it resumes.
    if (typeof IntersectionObserver === "function") {
      observer = new IntersectionObserver((entries) => {
        for (const e of entries) {
          w.visible = e.isIntersecting;
          if (w.visible) {
            w.dirty.eulerian = w.dirty.lagrangian = w.dirty.spacetime = true;
            loop.wake();
          }
        }
      });
      observer.observe(root);
    }
    session.paramsChanged(p);
    w.mix.refresh();
    w.flowMap.refresh();
    w.noData.refresh();
    loop.wake();
    if (w.widget.autoplay) loop.play();
    return api;
  })();
  return api;
}
