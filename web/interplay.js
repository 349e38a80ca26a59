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

  const api = {
    ready: null,
    setParams,
    getParams: () => (viewer ? viewer.getParams() : null),
    destroy() {
      destroyed = true;
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
    try {
      if (options && Object.keys(options).length) viewer.setParams(options);
    } catch (e) {
      say(`Some options were not applied: ${e}. Using the defaults.`);
    }
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
