// Interplay widget: builds its DOM inside the element it is given, loads the Rust viewer
// (WebAssembly) and runs one requestAnimationFrame loop. No ids, no global CSS, no globals:
// several widgets can live on one page.
import init, { Viewer, paletteCss } from "./interplay-web.js";

const TEMPLATE = `
  <figure class="ip-figure" style="margin:0">
    <div class="ip-view"><canvas class="ip-eulerian" role="img"
      aria-label="Heat map of the density rho(t, x) on the square [-5, 5] squared"></canvas></div>
    <figcaption class="ip-caption">Eulerian view: the exact density ρ(t, x) on [−5, 5]².</figcaption>
  </figure>
  <div class="ip-legend"><span>0</span><div class="ip-legend-bar"></div><span class="ip-legend-max"></span></div>
  <div class="ip-controls">
    <label class="ip-t-label">time t</label>
    <input class="ip-t" type="range" min="0" max="1" step="0.001">
    <output class="ip-t-out"></output>
  </div>
  <div class="ip-message" role="status" aria-live="polite"></div>
`;

function fmt(x, digits = 3) {
  return Number(x).toFixed(digits);
}

/** Widget options that are not picture parameters (the rest go to the viewer). */
const WIDGET_OPTIONS = ["backend", "objective", "width", "depth", "batch", "lr"];

const TRAIN_DEFAULTS = { objective: "velocity-score", width: 64, depth: 3, batch: 256, lr: 2e-3 };

/**
 * A promise-based client of the training engine, which runs in a Web Worker and is loaded
 * the first time training or a learned field is needed.
 */
class EngineClient {
  constructor() {
    this.worker = new Worker(new URL("./engine-worker.js", import.meta.url), { type: "module" });
    this.pending = new Map();
    this.next = 1;
    this.worker.onmessage = (ev) => {
      const { id, ok, result, error } = ev.data;
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      ok ? p.resolve(result) : p.reject(new Error(error));
    };
    this.worker.onerror = (ev) => {
      const err = new Error(`the training engine failed to load: ${ev.message || "unknown error"}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }
  call(op, args = {}, transfer = []) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }
  terminate() {
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new Error("the widget was destroyed"));
    this.pending.clear();
  }
}

/** Creates a widget inside `root`. Returns its API at once; `api.ready` resolves when it draws. */
export function create(root, options = {}) {
  if (!(root instanceof HTMLElement)) throw new Error("Interplay: create(root) needs an element");
  root.classList.add("interplay");
  root.innerHTML = TEMPLATE;
  const $ = (sel) => root.querySelector(sel);
  const canvas = $(".ip-eulerian");
  const slider = $(".ip-t");
  const out = $(".ip-t-out");
  const message = $(".ip-message");
  const legendMax = $(".ip-legend-max");
  slider.id = `ip-t-${Math.random().toString(36).slice(2)}`;
  $(".ip-t-label").htmlFor = slider.id;

  let viewer = null;
  let engine = null; // { client, info } once started
  let engineStarting = null;
  let configuredFor = null; // JSON of the run configuration the engine was set up with
  const widget = { backend: "auto", ...TRAIN_DEFAULTS };
  let dirty = true;
  let frame = 0;
  let destroyed = false;
  const listeners = [];
  const listen = (target, type, fn) => {
    target.addEventListener(type, fn);
    listeners.push([target, type, fn]);
  };

  function say(text, kind = "error") {
    message.textContent = text || "";
    message.classList.toggle("ip-notice", kind === "notice");
  }

  function syncControls() {
    const p = viewer.getParams();
    slider.value = String(p.t);
    out.value = fmt(p.t);
    slider.setAttribute("aria-valuetext", `t = ${fmt(p.t)}`);
  }

  function setParams(changes) {
    if (!viewer) throw new Error("Interplay is still loading: await interplay.ready first");
    try {
      viewer.setParams(changes);
    } catch (e) {
      const text = typeof e === "string" ? e : String(e && e.message ? e.message : e);
      say(`Not applied: ${text}. The last good setting is kept.`);
      syncControls();
      throw new Error(text);
    }
    say("");
    syncControls();
    dirty = true;
  }

  function draw() {
    frame = 0;
    if (destroyed || !viewer) return;
    if (dirty && !document.hidden) {
      dirty = false;
      try {
        const max = viewer.drawEulerian();
        legendMax.textContent = max.toPrecision(2);
      } catch (e) {
        say(`Drawing failed: ${e}`);
      }
    }
    frame = requestAnimationFrame(draw);
  }

  function startEngine() {
    if (engineStarting) return engineStarting;
    say("Loading the training engine…", "notice");
    const client = new EngineClient();
    engineStarting = client.call("create", { backend: widget.backend }).then(
      (info) => {
        engine = { client, info };
        api.backend = info.backend;
        api.adapter = info.adapter;
        say(info.notice || "", "notice");
        return engine;
      },
      (e) => {
        engineStarting = null;
        client.terminate();
        say(`The training engine could not start: ${e.message}. The exact views still work.`);
        throw e;
      },
    );
    return engineStarting;
  }

  function runConfig() {
    const p = viewer.getParams();
    return {
      train: {
        objective: widget.objective,
        net: { width: widget.width, depth: widget.depth, activation: "silu", fourier: 3, spatial: 6 },
        batch: widget.batch,
        lr: widget.lr,
        decay: { kind: "constant" },
        t_min: 0.001,
        seed: p.seed,
      },
      schedule: { path: p.path, gamma: p.gamma, alpha_exp: p.alphaExp, beta_exp: p.betaExp, gamma_scale: p.gammaScale },
      target: { name: p.target },
      steps: 0,
    };
  }

  async function train(steps = 1) {
    await api.ready;
    if (!Number.isInteger(steps) || steps < 1 || steps > 100000) {
      say(`train(${steps}): the number of steps must be a whole number from 1 to 100000.`);
      throw new Error("train(steps) needs a whole number of steps from 1 to 100000");
    }
    const { client } = await startEngine();
    const config = JSON.stringify(runConfig());
    if (config !== configuredFor) {
      await client.call("configure", { config: JSON.parse(config) });
      configuredFor = config;
    }
    const r = await client.call("train", { steps });
    const losses = Object.fromEntries(r.losses);
    for (const [k, v] of Object.entries(losses)) {
      if (!Number.isFinite(v)) {
        say(`Training diverged (loss ${k} is ${v}); lower the learning rate and reset.`);
      }
    }
    return {
      steps: r.steps,
      loss_b: losses.b ?? losses.v ?? null,
      loss_s: losses.s ?? null,
      losses,
      ms: r.ms,
      backend: engine.info.backend,
    };
  }

  const api = {
    ready: null,
    backend: null,
    adapter: null,
    setParams,
    getParams: () => (viewer ? viewer.getParams() : null),
    train,
    destroy() {
      destroyed = true;
      if (engine) engine.client.terminate();
      if (frame) cancelAnimationFrame(frame);
      for (const [t, type, fn] of listeners) t.removeEventListener(type, fn);
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
      say(`Interplay could not start: this browser could not load WebAssembly (${e}).`);
      throw e;
    }
    viewer = new Viewer(canvas);
    $(".ip-legend-bar").style.background = paletteCss();
    const picture = {};
    const problems = [];
    for (const [k, v] of Object.entries(options || {})) {
      if (!WIDGET_OPTIONS.includes(k)) {
        picture[k] = v;
      } else if (k === "backend" && !["auto", "cpu", "webgpu"].includes(v)) {
        problems.push(`backend '${v}' is unknown (use auto, cpu or webgpu)`);
      } else if (["width", "depth", "batch"].includes(k) && !(Number.isInteger(Number(v)) && Number(v) >= 1)) {
        problems.push(`${k} must be a whole number ≥ 1, got ${v}`);
      } else if (k === "lr" && !(Number(v) > 0 && Number(v) <= 1)) {
        problems.push(`lr must be in (0, 1], got ${v}`);
      } else {
        widget[k] = typeof TRAIN_DEFAULTS[k] === "number" ? Number(v) : v;
      }
    }
    try {
      if (Object.keys(picture).length) viewer.setParams(picture);
    } catch (e) {
      problems.push(String(e));
    }
    if (problems.length) say(`Some options were not applied: ${problems.join("; ")}. Using the defaults.`);
    syncControls();
    listen(slider, "input", () => {
      try {
        setParams({ t: Number(slider.value) });
      } catch (_) {
        /* shown in the widget */
      }
    });
    listen(document, "visibilitychange", () => {
      if (!document.hidden) dirty = true;
    });
    draw();
    return api;
  })();
  return api;
}
