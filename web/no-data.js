// The "no data" figure: sampling a density known only as an energy U = −log ρ up to its
// normalisation. Walkers start from N(0, I) and are annealed towards e^{−U} by Langevin steps,
// each carrying a Jarzynski weight; with b̂ = 0 (annealing alone) the weights collapse onto a few
// walkers, and a drift b̂ learned by NETS (the physics-informed loss, no data) moves the walkers
// along with the density so the weights stay even. Left: the energy's density and the walkers at
// τ = 1, drawn by their weights; right: the effective sample size and the log Z estimate over τ,
// for the learned drift and for b̂ = 0, beside the exact log Z. The reader picks the energy, ε and
// which drift moves the walkers on the left; training runs in an engine of the figure's own.
import { figureTraining } from "./figure-training.js";
import { fmt, messageOf, stepsText } from "./options.js";
import { drawWeightCurves } from "./weight-curves.js";

/** Training time between two drawings (ms). */
const CHUNK_MS = 1500;
/** How long the annealing plays, τ from 0 to 1 (ms). */
const PLAY_MS = 4000;
/** The heat map's cells per side, and the half-width of the square drawn. */
const GRID = 64;
const HALF = 4.5;
/** Colours of the two arms: the learned drift, and annealing alone (b̂ = 0). */
const LEARNED = "#f28e2b";
const ALONE = "#4e79a7";

/** The colour of the walkers without a drift (lighter than ALONE, to stand out on the dark map). */
const ALONE_DOTS = "#cfe4ff";

/** The heat map's colour at u in [0, 1]: dark to a muted teal, which both walkers' colours stand out on. */
function shade(u) {
  const v = Math.sqrt(Math.min(1, Math.max(0, u)));
  return [Math.round(20 + 30 * v), Math.round(20 + 120 * v), Math.round(30 + 100 * v)];
}

/** The "no data" figure of the widget `w`. */
export function noDataFigure(w) {
  const $ = w.$;
  const panel = $(".ip-nodata-panel");
  const status = $(".ip-nodata-status");
  const driftBox = $(".ip-nodata-drift");
  const canvases = { walkers: $(".ip-nodata-walkers"), curves: $(".ip-nodata-curves") };
  let run = null; // { key, generation }
  let alone = null; // the walkers without a drift, drawn
  let aloneCache = null; // the walkers without a drift: { key, r } (they do not change as it trains)
  let learned = null; // the walkers with the drift, for the run as trained
  let train = null; // the last training report
  let client = null; // the figure's engine, once started
  let tauShown = 1; // the annealing time the walkers are drawn at
  let playing = null; // the annealing played: { frame, done }
  const playButton = $(".ip-nodata-play");
  const tauInput = $(".ip-nodata-tau");
  // The figure's own time (not a parameter of the picture, so not in the viewer's list).
  Object.assign(tauInput, { min: "0", max: "1", step: "0.01", value: "1" });
  const tauOut = $(".ip-nodata-tau-out");

  async function ensureRun(c) {
    const e = w.viewer.energyRun();
    const key = JSON.stringify(e);
    if (run && run.key === key) return run;
    const r = await c.call("netsStart", e);
    run = { key, generation: r.generation };
    alone = aloneCache = learned = train = null;
    save.hidden = true;
    training.forget();
    return run;
  }

  /** The walkers at the reader's ε, with the drift or without (those cached for b̂ = 0). */
  async function walkers(c, drift) {
    const p = w.params();
    const key = `${run.key}|${p.walkerEps}|${p.seed}`;
    if (!drift && aloneCache && aloneCache.key === key) return aloneCache.r;
    const r = await c.call("netsWalkers", { drift, eps: p.walkerEps, seed: p.seed });
    if (!drift) aloneCache = { key, r };
    return r;
  }

  let logRho = null; // log ρ₁ on the heat map's grid: { key, values }

  /** log ρ₁ = −U on the grid, from the viewer (cached by energy). */
  function logDensity() {
    const key = JSON.stringify(w.viewer.energyRun());
    if (logRho && logRho.key === key) return logRho.values;
    const density = w.viewer.energyDensity(GRID, HALF);
    logRho = { key, values: Float64Array.from(density, (v) => Math.log(v)) };
    return logRho.values;
  }

  /** The annealed density e^{−U_τ}, U_τ = (1 − τ)|x|²/2 + τU, as an image scaled to its peak. */
  function heatMap(tau) {
    const lr = logDensity();
    const cell = (2 * HALF) / GRID;
    const u = new Float64Array(GRID * GRID);
    let top = -Infinity;
    for (let row = 0; row < GRID; row++) {
      const y = HALF - (row + 0.5) * cell;
      for (let col = 0; col < GRID; col++) {
        const x = -HALF + (col + 0.5) * cell;
        const i = row * GRID + col;
        u[i] = -(1 - tau) * 0.5 * (x * x + y * y) + (tau > 0 ? tau * lr[i] : 0);
        if (u[i] > top) top = u[i];
      }
    }
    const img = new ImageData(GRID, GRID);
    for (let i = 0; i < GRID * GRID; i++) img.data.set([...shade(Math.exp(u[i] - top)), 255], 4 * i);
    const image = new OffscreenCanvas(GRID, GRID);
    image.getContext("2d").putImageData(img, 0, 0);
    return image;
  }

  /** The frame of the walkers' film nearest `tau`: { tau, at (its offset), n }. */
  function frameAt(r, tau) {
    const f = r.frameTau.reduce((best, t, i) => (Math.abs(t - tau) < Math.abs(r.frameTau[best] - tau) ? i : best), 0);
    const n = r.weights.length;
    return { tau: r.frameTau[f], at: 3 * n * f, n };
  }

  /** The annealed density at τ, and over it the walkers of `r` at τ if given. */
  function drawWalkers(r, tau = 1) {
    const canvas = canvases.walkers;
    const ctx = canvas.getContext("2d");
    const W = canvas.width;
    const H = canvas.height;
    const frame = r ? frameAt(r, tau) : { tau };
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(heatMap(frame.tau), 0, 0, W, H);
    if (!r) return;
    // Each walker, its area its weight (the weight of an even sample: 1/n).
    const px = (v) => ((v + HALF) / (2 * HALF)) * W;
    const py = (v) => ((HALF - v) / (2 * HALF)) * H;
    const { at, n } = frame;
    const f = r.frames;
    ctx.fillStyle = r.drift ? LEARNED : ALONE_DOTS;
    for (let i = 0; i < n; i++) {
      const rel = f[at + 3 * i + 2] * n;
      if (rel < 0.02) continue;
      const rad = Math.min(9, 1.3 * Math.sqrt(rel));
      ctx.globalAlpha = Math.min(0.9, 0.25 + 0.35 * rel);
      ctx.beginPath();
      ctx.arc(px(f[at + 3 * i]), py(f[at + 3 * i + 1]), rad, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  }

  /** Before any run: the energy's density, and empty plots. */
  function drawIdle() {
    try {
      drawWalkers(null);
    } catch (e) {
      w.sayLocal(status, `The energy could not be drawn: ${messageOf(e)}`);
    }
    drawCurves([], null);
  }

  /** ESS and log Z over τ for `arms`, the exact log Z, a line at `tau`, in the widget's ink. */
  function drawCurves(arms, exact, tau = null) {
    const ink = getComputedStyle(w.root).getPropertyValue("--ip-fg").trim() || "#222";
    drawWeightCurves(canvases.curves, arms, exact, tau, ink);
  }

  /** The walkers drawn: the learned drift's where the switch asks for them and they exist. */
  const shownArm = () => (driftBox.checked && learned ? learned : alone);

  /** The pictures at τ: the walkers and the density on the left, the marker on the curves. */
  function drawAt(tau) {
    tauShown = tau;
    tauInput.value = String(tau);
    tauOut.value = tau.toFixed(2);
    const shown = shownArm();
    if (!shown) return;
    drawWalkers(shown, tau);
    const arms = [{ r: alone, colour: ALONE }];
    if (learned) arms.push({ r: learned, colour: LEARNED });
    drawCurves(arms, alone.exactLogZ, tau);
  }

  /** Plays the annealing from τ = 0 to 1 (PLAY_MS); resolves at its end or when stopped. */
  function play() {
    stopPlaying();
    if (!shownArm()) return Promise.resolve();
    return new Promise((done) => {
      const t0 = performance.now();
      const tick = () => {
        if (!playing || w.destroyed) return done();
        const tau = Math.min(1, (performance.now() - t0) / PLAY_MS);
        drawAt(tau);
        if (tau >= 1) {
          stopPlaying();
          return done();
        }
        playing.frame = requestAnimationFrame(tick);
      };
      playing = { frame: requestAnimationFrame(tick), done };
      playButton.textContent = "Stop";
    });
  }

  function stopPlaying() {
    if (!playing) return;
    cancelAnimationFrame(playing.frame);
    const { done } = playing;
    playing = null;
    playButton.textContent = "Play the annealing";
    done();
  }

  function show(c) {
    if (!shownArm()) return;
    playButton.disabled = tauInput.disabled = false;
    if (!playing) drawAt(tauShown);
    const end = (r) => r.ess[r.ess.length - 1];
    const logZ = (r) => r.logZ[r.logZ.length - 1];
    // The standard error of log(mean weight) by the delta method, √((1/ESS − 1)/n): how far
    // the estimate may be from its mean, which the weights' spread decides (a collapse shows).
    const se = (r) => Math.sqrt(Math.max(0, 1 / end(r) - 1) / r.weights.length);
    const arm = (r, name) =>
      `${name}: ESS ${fmt(end(r), 3)}, log Z ${fmt(logZ(r), 3)} ± ${fmt(se(r), 3)} (error ${fmt(logZ(r) - r.exactLogZ, 3)}), weighted TV ${fmt(r.tv, 3)}`;
    const backend = c.info.backend === "webgpu" ? `WebGPU (${c.info.adapter})` : "CPU";
    const trained = train ? `The drift after ${stepsText(train.steps)} (${backend}). ` : "";
    const parts = [arm(alone, "b̂ = 0 (annealing alone)")];
    if (learned) parts.push(arm(learned, "learned drift"));
    w.sayLocal(status, `${trained}At τ = 1, ${parts.join("; ")}. Exact log Z = ${fmt(alone.exactLogZ, 3)} (± one standard error of the estimate, from the weights' spread).`);
  }

  /**
   * The pictures for the run trained as `report` says (none: not yet trained): the walkers
   * without a drift, and with it once trained. What is drawn and what `state` says change
   * together.
   */
  async function picture(c, report) {
    const mine = run;
    const a = await walkers(c, false);
    const l = report ? await walkers(c, true) : null;
    if (run !== mine || a.generation !== mine.generation) return null;
    client = c;
    train = report;
    alone = a;
    learned = l;
    save.hidden = !report;
    show(c);
    return { a, l };
  }

  async function chunk(c, ms) {
    const mine = await ensureRun(c);
    const r = await c.call("netsTrain", { ms });
    if (run !== mine || r.generation !== mine.generation) return null;
    await picture(c, r);
    return { steps: r.steps };
  }

  const training = figureTraining(w, {
    chunk,
    button: $(".ip-nodata-train"),
    status,
    words: { start: "Train the drift", more: "Go on training the drift", pause: "Pause", loading: "Loading the engine and annealing the first walkers…", stopped: "The transport stopped" },
    chunkMs: CHUNK_MS,
  });

  /** Redraws for the settings as they are (a new ε or drift: new walkers; a new energy: a new run). */
  async function redraw() {
    if (!run) return null;
    const c = await training.engine();
    if (run.key !== JSON.stringify(w.viewer.energyRun())) {
      if (training.learning()) training.stop();
      await ensureRun(c);
    }
    return picture(c, train);
  }

  function redrawLater() {
    redraw().catch((e) => w.sayLocal(status, `The walkers could not be drawn: ${messageOf(e)}`));
  }

  const save = $(".ip-nodata-save");
  w.listen(save, "click", () => training.saveCheckpoint("interplay-transport.ckpt", "The transport's checkpoint"));

  // Which walkers the left side shows: both arms are at hand, so nothing is recomputed.
  w.listen(driftBox, "change", () => {
    if (client) show(client);
  });
  w.listen(playButton, "click", () => (playing ? stopPlaying() : play()));
  w.listen(tauInput, "input", () => {
    stopPlaying();
    drawAt(Number(tauInput.value));
  });

  const state = () => {
    const end = (r) => (r ? r.ess[r.ess.length - 1] : null);
    return {
      energy: w.params().energy,
      eps: w.params().walkerEps,
      steps: train?.steps ?? 0,
      drift: driftBox.checked,
      tau: tauShown,
      playing: playing !== null,
      // The walkers drawn on the left, and their ESS at τ = 1.
      shown: { drift: Boolean(driftBox.checked && learned), ess: end(driftBox.checked && learned ? learned : alone) },
      ess: { learned: end(learned), alone: end(alone) },
      logZ: { learned: learned ? learned.logZ[learned.logZ.length - 1] : null, alone: alone ? alone.logZ[alone.logZ.length - 1] : null, exact: alone?.exactLogZ ?? null },
      tv: { learned: learned?.tv ?? null, alone: alone?.tv ?? null },
      learning: training.learning(),
    };
  };

  return {
    /** Trains the drift for about `ms` and draws both arms; resolves to the figure's state. */
    async train(ms = 2000) {
      await training.train(ms, "trainNoData");
      return state();
    },
    /** Redraws with the current settings; resolves to the figure's state. */
    async redraw() {
      await redraw();
      return state();
    },
    state,
    /** Plays the annealing from τ = 0 to 1; resolves at its end. */
    play,
    /** The transport's checkpoint bytes (`interplay sample-energy --model` reads them). */
    async checkpoint() {
      if (!train) throw new Error("exportNoData(): train the drift first");
      const c = await training.engine();
      return new Uint8Array(await c.call("checkpoint"));
    },
    /** Draws the walkers and the density at annealing time `tau` in [0, 1]. */
    showAt(tau) {
      if (!(Number.isFinite(tau) && tau >= 0 && tau <= 1)) throw new Error("showNoDataAt(tau) needs a time τ from 0 to 1");
      stopPlaying();
      drawAt(tau);
      return state();
    },
    /** The settings changed: a new energy starts a new run; a new ε or seed new walkers. */
    changed() {
      // While it trains, the next chunk draws with the new settings (a new energy: a new run).
      if (panel.hidden || training.learning()) return;
      if (!run) drawIdle();
      else redrawLater();
    },
    /** Draws the figure as it stands (before any run: the energy alone). */
    refresh() {
      if (!panel.hidden && !run) drawIdle();
    },
    terminate() {
      stopPlaying();
      training.terminate();
    },
  };
}
