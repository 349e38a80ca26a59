// The widget's own options (which views, which controls, the backend, the checkpoint, size,
// autoplay, URL state), apart from the picture's parameters, which the Rust viewer owns; and the
// rule for which panels are shown.

import { THEMES } from "./theme.js";

/** Options that configure the widget itself rather than the picture. */
export const WIDGET_OPTIONS = ["backend", "workers", "checkpoint", "autoplay", "views", "hide", "size", "hash", "theme"];

/** The most workers (cores) a widget's training may ask for. */
export const MAX_WORKERS = 16;
/** The most `workers=auto` takes: past four, the shards of a batch of 1024 get too small to pay. */
const AUTO_WORKERS = 4;

/**
 * How many workers train on the CPU backend: the widget's `workers` (a whole number), or for
 * "auto" the cores the browser reports, at most AUTO_WORKERS.
 */
export function workersFor(widget, cores = globalThis.navigator?.hardwareConcurrency) {
  if (widget.workers !== "auto") return widget.workers;
  return Math.max(1, Math.min(AUTO_WORKERS, Math.floor(cores) || 1));
}
/** The parts of the widget that `views` can show, and the elements of each. */
export const VIEWS = {
  eulerian: [".ip-eulerian-panel"],
  lagrangian: [".ip-ode-panel", ".ip-sde-panel", ".ip-flow-pick-row"],
  spacetime: [".ip-spacetime-panel"],
  triangle: [".ip-mix-panel"],
  flowmap: [".ip-fmap-panel"],
  nodata: [".ip-nodata-panel"],
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

/** What the heat map shows, by its source (a histogram of samples is not the density). */
const EULERIAN_CAPTIONS = {
  exact: "Eulerian view: density ρ(t, x)",
  samples: "Eulerian view: histogram of samples of xₜ (no simulation)",
  model: "Eulerian view: histogram of the learned particles",
  "model-density": "Eulerian view: the model's density",
};

/** "1 step", "20 steps". */
export const stepsText = (n) => `${n} step${n === 1 ? "" : "s"}`;
export const fmt = (x, d = 3) => (Number.isFinite(x) ? Number(x).toFixed(d) : "–");
export const messageOf = (e) => (typeof e === "string" ? e : String(e && e.message ? e.message : e));
/** A list option: an array, or names separated by commas or spaces. */
const listOf = (v) => (Array.isArray(v) ? v.map(String) : String(v ?? "").split(/[\s,]+/)).filter((x) => x.length > 0);

/** The widget's settings before any option (`base`: where the built files live). */
export function widgetDefaults(base) {
  return {
    backend: "auto",
    workers: "auto",
    checkpoint: new URL("./checkerboard.ckpt", base).href,
    autoplay: false,
    views: Object.keys(VIEWS),
    hide: [],
    size: null,
    hash: false,
    theme: "auto",
  };
}

/**
 * Applies the widget options of `options` to `widget` (and the size to `root`); returns the
 * picture parameters among them, for the viewer, and what was refused, one reason each.
 */
export function applyOptions(options, widget, root) {
  const picture = {};
  const problems = [];
  for (const [k, v] of Object.entries(options || {})) {
    if (!WIDGET_OPTIONS.includes(k)) picture[k] = v;
    else if (k === "backend" && !["auto", "cpu", "webgpu"].includes(v)) problems.push(`backend '${v}' is unknown (use auto, cpu or webgpu)`);
    else if (k === "workers") {
      const n = Number(v);
      if (v === "auto") widget.workers = "auto";
      else if (Number.isInteger(n) && n >= 1 && n <= MAX_WORKERS) widget.workers = n;
      else problems.push(`workers '${v}' is not a number of cores from 1 to ${MAX_WORKERS} (or auto)`);
    } else if (k === "autoplay") widget.autoplay = v === true || v === "" || v === "true" || v === "1";
    else if (k === "hash") widget.hash = v === true || v === "true";
    else if (k === "theme") {
      if (THEMES.includes(v)) widget.theme = v;
      else problems.push(`theme '${v}' is unknown (use ${THEMES.join(", ")})`);
    }
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
  return { picture, problems };
}

/**
 * Before the viewer starts: shows only the panels the `views` option names (the SDE's panel
 * waits for the viewer, which knows whether ε asks for it), so a page does not shift when the
 * widget becomes ready. `refreshPanels` then decides for good.
 */
export function earlyPanels(root, options) {
  const names = listOf(options?.views);
  const views = names.length && names.every((n) => n in VIEWS) ? names : Object.keys(VIEWS);
  for (const [view, sels] of Object.entries(VIEWS)) {
    for (const sel of sels) for (const el of root.querySelectorAll(sel)) el.hidden = !views.includes(view);
  }
  for (const el of root.querySelectorAll(".ip-sde-panel")) el.hidden = true;
}

/**
 * Shows the panels `widget.views` names and, of the Lagrangian ones, those the viewer draws
 * (`shown`: its `shownPanels()`) for the parameters `p`.
 */
export function refreshPanels(root, widget, p, shown) {
  const $ = (sel) => root.querySelector(sel);
  for (const [view, sels] of Object.entries(VIEWS)) {
    for (const sel of sels) $(sel).hidden = !widget.views.includes(view);
  }
  const lagrangian = widget.views.includes("lagrangian");
  $(".ip-sde-panel").hidden = !lagrangian || !shown.sde;
  $(".ip-ode-panel").hidden = !lagrangian || !shown.ode;
  for (const name of widget.hide) {
    const els = HIDEABLE[name]
      ? HIDEABLE[name].flatMap((sel) => [...root.querySelectorAll(sel)])
      : [...root.querySelectorAll(`[data-param="${name}"]`)].map((el) => el.closest(".ip-row") || el);
    for (const el of els) el.hidden = true;
  }
  // The pairing and the notes apply as the viewer's `shownPanels()` says.
  const coupling = $(".ip-coupling");
  if (coupling) {
    coupling.disabled = !shown.coupling;
    const row = coupling.closest(".ip-row");
    row.title = coupling.disabled
      ? "the schedule-free D learns E[x1 | x1 + λξ]: there is no x0 to pair; pick learned b and s"
      : row.dataset.help || "";
  }
  const couplingNote = $(".ip-coupling-note");
  if (couplingNote) couplingNote.hidden = !shown.couplingNote;
  const pathNote = $(".ip-path-note");
  if (pathNote) pathNote.hidden = !shown.pathNote;
  const drawing = p.target === "drawn";
  $(".ip-draw").hidden = !drawing;
  $(".ip-eulerian").classList.toggle("ip-drawing", drawing);
  $(".ip-eulerian-caption").textContent = EULERIAN_CAPTIONS[p.eulerian] || EULERIAN_CAPTIONS.exact;
  $(".ip-sde-caption").textContent =
    `Lagrangian view: particles under the ${p.source === "exact" ? "" : "learned "}SDE, ε = ${fmt(p.eps, 2)}`;
  $(".ip-spacetime-sde").textContent = p.eps > 0 ? `, orange: paths of the SDE (ε = ${fmt(p.eps, 2)})` : "";
  $(".ip-ode-caption").textContent =
    p.source === "exact" ? "Lagrangian view: particles under the ODE (ε = 0)" : "Lagrangian view: the learned flow";
}
