// The flow-map figure: the reader trains a flow map X̂_{s,t} (a network that jumps along the
// probability-flow ODE from any time s to any later t) in its own engine in the page's worker,
// on the widget's schedule and target, and chooses 1, 2, 4 or 8 jumps. Left: the map's
// particles, with each jump drawn as a segment from x_s to X̂_{s,t}(x_s); middle: the exact
// ODE's particles from the same starts at the same times, in the same colours; right: the map's
// error E|X̂_{s,t} − X_{s,t}| over the (s, t) triangle, which fills in row by row as the exact
// side is solved and darkens as the map learns.
import { figureTraining } from "./figure-training.js";
import { fmt, messageOf, stepsText } from "./options.js";

/** Training time between two drawings (ms). */
const CHUNK_MS = 400;
/** Particles drawn on each side. */
const POINTS = 1200;
/** The half-width of the square the particles are drawn on. */
const HALF = 4.6;
/** The error at which the heat map's colour saturates (a quarter of a square's width). */
const ERROR_MAX = 0.5;
/** The network: the page's width and depth, a batch the CPU backend trains quickly. */
const NET = { width: 128, depth: 3, batch: 512, lr: 0.01 };

const pct = (v) => `${fmt(100 * v, 1)} %`;

/** A colour of the heat map's scale at u in [0, 1] (dark blue to yellow, like the viewer's). */
function heat(u) {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(1, Math.max(0, u)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + f * (stops[i + 1][k] - a)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Each starting point's colour: its angle as the hue, its radius as the lightness. */
function colours(learned, n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const x = learned[2 * i];
    const y = learned[2 * i + 1];
    const hue = ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
    const light = 45 + 25 * Math.min(1, Math.hypot(x, y) / 2.5);
    out[i] = `hsl(${hue.toFixed(0)},85%,${light.toFixed(0)}%)`;
  }
  return out;
}

/**
 * `n` points of N(0, I) from `seed` (a small generator of the page's own, so that the figure
 * shows the starting points before the engine is loaded): [x0, y0, x1, …].
 */
function gaussianStarts(n, seed) {
  let state = (seed * 2654435761 + 12345) >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const a = 2 * Math.PI * uniform();
    out[2 * i] = r * Math.cos(a);
    out[2 * i + 1] = r * Math.sin(a);
  }
  return out;
}

/** The flow-map figure of the widget `w`. */
export function flowMapFigure(w) {
  const $ = w.$;
  const status = $(".ip-fmap-status");
  const save = $(".ip-fmap-save");
  const canvases = { learned: $(".ip-fmap-learned"), exact: $(".ip-fmap-exact"), errors: $(".ip-fmap-errors") };
  let run = null; // { key, generation }
  let last = null; // what is drawn: { train, jumps, errors }
  let redrawing = null; // the redraw for a new number of jumps, in flight
  let idleSeed = null; // the seed of the starting points drawn before any map
  const panel = $(".ip-fmap-panel");

  /** The map's run: the widget's schedule, target and seed, the objective flow-map. */
  function config() {
    return { ...w.viewer.runConfig(), objective: "flow-map", coupling: "independent", ...NET };
  }

  async function ensureRun(c) {
    const cfg = config();
    const key = JSON.stringify(cfg);
    if (run && run.key === key) return run;
    const r = await c.call("configure", { config: cfg });
    run = { key, generation: r.generation };
    last = null;
    idleSeed = null;
    training.forget();
    return run;
  }

  function drawParticles(canvas, pts, n, stops, col, segments) {
    const ctx = canvas.getContext("2d");
    const W = canvas.width;
    const H = canvas.height;
    const px = (v) => ((v + HALF) / (2 * HALF)) * W;
    const py = (v) => ((HALF - v) / (2 * HALF)) * H;
    ctx.fillStyle = "#14141e";
    ctx.fillRect(0, 0, W, H);
    if (segments) {
      // Each jump as a segment from where it starts to where the map puts the point.
      ctx.lineWidth = 0.7;
      ctx.globalAlpha = 0.28;
      for (let j = 0; j + 1 < stops; j++) {
        for (let i = 0; i < n; i++) {
          const a = 2 * (j * n + i);
          const b = 2 * ((j + 1) * n + i);
          ctx.strokeStyle = col[i];
          ctx.beginPath();
          ctx.moveTo(px(pts[a]), py(pts[a + 1]));
          ctx.lineTo(px(pts[b]), py(pts[b + 1]));
          ctx.stroke();
        }
      }
    }
    // The stops on the way, faint; the last one bright.
    for (let j = 0; j < stops; j++) {
      const end = j === stops - 1;
      ctx.globalAlpha = end ? 0.95 : 0.22;
      const r = end ? 1.6 : 1.1;
      for (let i = 0; i < n; i++) {
        const a = 2 * (j * n + i);
        ctx.fillStyle = col[i];
        ctx.fillRect(px(pts[a]) - r, py(pts[a + 1]) - r, 2 * r, 2 * r);
      }
    }
    ctx.globalAlpha = 1;
  }

  /** The error over the (s, t) triangle: s across, t up; rows not yet solved are hatched. */
  function drawErrors(e) {
    const canvas = canvases.errors;
    const ctx = canvas.getContext("2d");
    const W = canvas.width;
    const H = canvas.height;
    const PAD = 34;
    const m = e.times.length - 1;
    const cw = (W - PAD - 8) / m;
    const ch = (H - PAD - 8) / m;
    const styles = getComputedStyle(w.root);
    const ink = styles.getPropertyValue("--ip-fg").trim() || "#222";
    ctx.clearRect(0, 0, W, H);
    // Every cell s_i < t_j: drawn at column i, row j (t = 1 at the top).
    const at = (i, j) => [PAD + i * cw, 8 + (m - j) * ch];
    ctx.fillStyle = "rgba(128,128,128,0.25)";
    for (let i = 0; i < m; i++) for (let j = i + 1; j <= m; j++) ctx.fillRect(...at(i, j), cw - 1, ch - 1);
    for (let c = 0; c < e.s.length; c++) {
      const i = e.times.indexOf(e.s[c]);
      const j = e.times.indexOf(e.t[c]);
      ctx.fillStyle = heat(e.error[c] / ERROR_MAX);
      ctx.fillRect(...at(i, j), cw - 1, ch - 1);
    }
    ctx.fillStyle = ink;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.fillText("s (start) →", PAD + (m * cw) / 2, H - 6);
    ctx.fillText("0", PAD + cw / 2, H - 20);
    ctx.fillText("1", PAD + (m - 0.5) * cw, H - 20);
    ctx.save();
    ctx.translate(12, 8 + (m * ch) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText("t (end) →", 0, 0);
    ctx.restore();
    ctx.textAlign = "right";
    ctx.fillText("1", PAD - 4, 8 + ch / 2 + 4);
    // The colour scale, in the empty corner below the diagonal.
    const [bx, by, bw, bh] = [PAD + m * cw * 0.45, 8 + m * ch * 0.72, m * cw * 0.5, 10];
    for (let x = 0; x < bw; x++) {
      ctx.fillStyle = heat(x / bw);
      ctx.fillRect(bx + x, by, 1.5, bh);
    }
    ctx.fillStyle = ink;
    ctx.textAlign = "left";
    ctx.fillText("0", bx, by + bh + 12);
    ctx.textAlign = "right";
    ctx.fillText(`≥ ${ERROR_MAX}`, bx + bw, by + bh + 12);
    ctx.textAlign = "center";
    ctx.fillText("E|X̂ − X|", bx + bw / 2, by - 5);
  }

  /** Before any map: the starting points on both sides and the empty triangle. */
  function drawIdle() {
    const seed = w.params().seed;
    if (last || seed === idleSeed) return;
    idleSeed = seed;
    const starts = gaussianStarts(POINTS, w.params().seed);
    const col = colours(starts, POINTS);
    drawParticles(canvases.learned, starts, POINTS, 1, col, false);
    drawParticles(canvases.exact, starts, POINTS, 1, col, false);
    drawErrors({ times: Array.from({ length: 9 }, (_, i) => i / 8), s: [], t: [], error: [] });
  }

  function show(r, c) {
    const backend = c.info.backend === "webgpu" ? `WebGPU (${c.info.adapter})` : "CPU";
    const { train, jumps, errors } = r;
    const stops = jumps.times.length;
    const col = colours(jumps.exact, jumps.n);
    drawParticles(canvases.learned, jumps.learned, jumps.n, stops, col, true);
    drawParticles(canvases.exact, jumps.exact, jumps.n, stops, col, false);
    drawErrors(errors);
    const rows = errors.times.length - 1;
    const solved = new Set(errors.s).size;
    const mean = errors.error.length ? errors.error.reduce((a, b) => a + b, 0) / errors.error.length : NaN;
    const rate = train.ms > 0 ? `${fmt((1000 * train.done) / train.ms, 1)} steps/s · ` : "";
    const grid = solved < rows ? ` (the exact map solved for ${solved} of ${rows} start times; the rest fills in as it trains)` : "";
    w.sayLocal(
      status,
      `The map after ${stepsText(train.steps)} (${rate}${backend}): ${jumps.k} jump${jumps.k === 1 ? "" : "s"} put ${pct(jumps.inSquares[0])} of the points in the target's support; the exact ODE ${pct(jumps.inSquares[1])}. ` +
        `Mean error E|X̂ − X| over the triangle: ${fmt(mean, 3)}${grid}.`,
    );
    save.hidden = false;
  }

  /** The pictures for the run as it stands (no training). */
  async function picture(c, train) {
    const p = w.params();
    const jumps = await c.call("mapJumps", { k: p.jumps, n: POINTS, seed: p.seed });
    const errors = await c.call("mapErrors");
    if (jumps.generation !== run.generation) return null;
    last = { train, jumps, errors, steps: train.steps };
    show(last, c);
    return last;
  }

  /** One chunk: train about `ms`, then draw. Resolves to { train, jumps, errors, steps }. */
  async function chunk(c, ms) {
    const mine = await ensureRun(c);
    const train = await c.call("trainFor", { ms });
    if (run !== mine) return null;
    return picture(c, train);
  }

  const training = figureTraining(w, {
    chunk,
    button: $(".ip-fmap-train"),
    status,
    words: { start: "Train the map", more: "Go on training the map", pause: "Pause", loading: "Loading the training engine for the flow map…", stopped: "The flow map stopped" },
    chunkMs: CHUNK_MS,
  });

  /**
   * Sets the number of jumps (the parameter `jumps`, which links keep): anything but 1, 2, 4 or
   * 8 is refused with the viewer's message, said in the figure, and the last K is kept.
   * Resolves once the trained map is drawn with the new K.
   */
  async function setJumps(value) {
    const kept = w.params().jumps;
    redrawing = null;
    const r = w.applyParams({ jumps: value });
    if (r.refused !== undefined) {
      w.sayLocal(status, `Not applied: ${r.refused}. ${kept} kept.`);
      throw new Error(r.refused);
    }
    return redrawing;
  }

  w.listen(save, "click", () => training.saveCheckpoint("interplay-flow-map.ckpt", "The map's checkpoint"));

  return {
    /** Trains the map for about `ms` and draws it; resolves to { steps, k, inSquares, errors }. */
    async train(ms = 2000) {
      const { report: r } = await training.train(ms, "trainFlowMap");
      return r && { steps: r.train.steps, k: r.jumps.k, inSquares: r.jumps.inSquares, errors: r.errors };
    },
    setJumps,
    /** The map's checkpoint bytes. */
    async checkpoint() {
      const c = await training.engine();
      return new Uint8Array(await c.call("checkpoint"));
    },
    /** Draws the figure as it stands (the starting points before any map). */
    refresh: drawIdle,
    /** What the figure shows: { k, steps, inSquares, cells, learning }. */
    state: () => ({ k: w.params().jumps, steps: last?.train.steps ?? 0, inSquares: last?.jumps.inSquares ?? null, cells: last?.errors.s.length ?? 0, learning: training.learning() }),
    /** The settings changed: a map of the old ones no longer matches the picture; a new K redraws. */
    changed() {
      // A widget without the figure has nothing to redraw (a slider moves this on every input).
      if (panel.hidden) return;
      if (last && run && last.jumps.k !== w.params().jumps && run.key === JSON.stringify(config())) {
        redrawing = training.engine().then((c) => picture(c, last.train));
        redrawing.catch((e) => w.sayLocal(status, `The flow map could not be drawn: ${messageOf(e)}`));
      }
      if (run && run.key !== JSON.stringify(config())) {
        if (training.learning()) training.stop();
        if (last) w.sayLocal(status, "The schedule, target or seed changed: press Train the map to learn the map for them.");
      }
      drawIdle();
    },
    terminate: () => training.terminate(),
  };
}
