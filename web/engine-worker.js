// The training engine's Web Worker: loads interplay-engine (burn on WebGPU or the CPU) the
// first time it is needed and answers requests { id, engine, op, args } with
// { id, ok, result | error }. One worker serves every widget of a page: each widget has its own
// engine (its own training run), and engines with the same backend share one device.
// Training runs here, never on the page's main thread, under the scheduler of
// engine-scheduler.js: training in chunks, the page's model views (particles, density, metrics)
// coalesced and given a bounded share of the time in between.
import init, { Engine } from "./interplay-engine.js";
import { Scheduler, gpuCounters } from "./engine-scheduler.js";
import { adapterFacts, requestWantedFeatures } from "./gpu-features.js";

const engines = new Map();
let loaded = null;
// Counts of WebGPU objects and submissions made in this worker (wraps the device's methods
// before the engine exists, so every call is seen).
const counters = gpuCounters(self);
// The device asks for `subgroups` where the adapter offers it (autotune's kernels need it).
const deviceFeatures = requestWantedFeatures(self);
// Shader modules created while each kind of request ran (training chunks as "train"), so a
// compilation after warm-up can be traced to the view that caused it.
const modulesByOp = {};
async function counted(op, work) {
  const before = counters.shaderModules;
  try {
    return await work();
  } finally {
    const made = counters.shaderModules - before;
    if (made) modulesByOp[op] = (modulesByOp[op] || 0) + made;
  }
}

/** Timed training of each backend in the trial that `auto` runs (ms, after one warm-up step). */
const TRIAL_MS = 300;
/** The longest a backend's warm-up step (its shader compilation, on WebGPU) may take in it. */
const TRIAL_WARM_CAP_MS = 4000;

/** Steps/s of `engine` on the run `config` (a LiveRun), or { rate: 0, why } if too slow to start. */
async function trialRate(engine, config) {
  engine.configureLive(JSON.stringify(config));
  let timer;
  const capped = new Promise((ok) => (timer = setTimeout(() => ok("slow"), TRIAL_WARM_CAP_MS)));
  const warm = await Promise.race([engine.train(1).then(() => "ok"), capped]);
  clearTimeout(timer);
  if (warm === "slow") return { rate: 0, why: `its first step took over ${TRIAL_WARM_CAP_MS / 1000} s` };
  const r = await engine.trainFor(TRIAL_MS);
  return { rate: (1000 * r.done) / r.ms };
}

/**
 * What `auto` picks: a short trial of the CPU backend and of WebGPU (where the browser offers an
 * adapter) on the page's network, the faster wins. Resolves to
 * { choice, rates: { cpu, webgpu }, adapter, why }.
 */
async function measureBackends(config) {
  const cpu = await Engine.create("cpu");
  let cpuRate;
  try {
    cpuRate = (await trialRate(cpu, config)).rate;
  } finally {
    cpu.free();
  }
  const out = { choice: "cpu", rates: { cpu: cpuRate, webgpu: null }, adapter: null, why: null };
  if (!self.navigator || !self.navigator.gpu) {
    out.why = "this browser offers no WebGPU";
    return out;
  }
  // Neither an adapter the kernels cannot run on nor a software one is tried: a software
  // adapter is slower than the CPU backend, and autotune's first steps on it would keep the
  // machine busy for minutes after the trial.
  const facts = await adapterFacts(self);
  if (facts && (facts.blocker || facts.software)) {
    out.why = facts.blocker || "its adapter is a software renderer, where the CPU backend trains faster";
    out.skipped = true;
    return out;
  }
  const gpu = await Engine.create("webgpu");
  try {
    if (gpu.backend() !== "webgpu") {
      out.why = gpu.notice() || "no WebGPU adapter";
      return out;
    }
    out.adapter = gpu.adapter();
    const g = await trialRate(gpu, config);
    out.rates.webgpu = g.rate;
    out.why = g.why ?? null;
    if (g.rate > cpuRate) out.choice = "webgpu";
  } finally {
    gpu.free();
  }
  return out;
}

const ops = {
  /**
   * Starts this widget's engine on `backend`: "cpu", "webgpu", or "auto", which takes the choice
   * `remembered` from an earlier trial in this browser, or else measures both backends on the
   * network `trial` (a LiveRun) and reports what it found as `choice`.
   */
  async create(key, { backend, trial, remembered }) {
    loaded ??= init();
    await loaded;
    let choice = null;
    if ((backend || "auto") === "auto") {
      if (remembered && (remembered.choice === "cpu" || remembered.choice === "webgpu")) choice = { ...remembered, remembered: true };
      else if (trial) choice = await measureBackends(trial);
    }
    let wanted = choice ? choice.choice : backend || "auto";
    // An adapter that cannot run the engine's kernels: the CPU backend, and the reason why.
    const facts = wanted === "cpu" ? null : await adapterFacts(self);
    const blocker = facts && facts.blocker ? `Training runs on the CPU backend: ${facts.blocker}.` : null;
    if (blocker) {
      console.info(`interplay engine: ${blocker}`);
      wanted = "cpu";
    }
    const engine = await Engine.create(wanted);
    engines.get(key)?.free();
    engines.set(key, engine);
    return { backend: engine.backend(), adapter: engine.adapter(), notice: blocker ?? engine.notice() ?? null, choice };
  },
  drop(key) {
    scheduler.stopTraining(key);
    engines.get(key)?.free();
    engines.delete(key);
    return null;
  },
  configure(key, { config }, engine) {
    return { generation: engine.configureLive(JSON.stringify(config)) };
  },
  train(key, { steps }, engine) {
    return engine.train(steps);
  },
  trainFor(key, { ms }, engine) {
    return counted("train", () => engine.trainFor(ms));
  },
  /** Training runs on in this worker, in chunks of about `ms`, until trainStop. */
  trainStart(key, { ms }) {
    scheduler.startTraining(key, ms);
    return null;
  },
  trainStop(key) {
    scheduler.stopTraining(key);
    return null;
  },
  async particles(key, { t, n, eps, seed, schedule, maxSteps }, engine) {
    const t0 = performance.now();
    const r = await engine.particles(t, n, eps, seed, JSON.stringify(schedule), maxSteps);
    // The time the engine took (the points read back, so the device's work is in it).
    r.ms = performance.now() - t0;
    return { transfer: [r.points.buffer], value: r };
  },
  async density(key, { t, n, steps, schedule }, engine) {
    const d = await engine.density(t, n, steps, JSON.stringify(schedule));
    return { transfer: [d.buffer], value: d };
  },
  metrics(key, { n, steps, schedule }, engine) {
    return engine.metrics(n, steps, JSON.stringify(schedule));
  },
  /** The ε explorer: samples at each noise level of `grid`, scored, and the SDE's KL bound. */
  epsSweep(key, { grid, n, steps, seed, schedule }, engine) {
    return engine.epsSweep(new Float64Array(grid), n, steps, seed, JSON.stringify(schedule));
  },
  /** The learned flow lines of a run on the line (the space–time view's dashed lines). */
  async lineFlow(key, { schedule }, engine) {
    const r = await engine.lineFlow(JSON.stringify(schedule));
    return { transfer: [r.times.buffer, r.lines.buffer], value: r };
  },
  async sample(key, { n, steps, eps, seed, schedule }, engine) {
    const xy = await engine.sample(n, steps, eps, seed, JSON.stringify(schedule));
    return { transfer: [xy.buffer], value: xy };
  },
  async checkpoint(key, args, engine) {
    const bytes = await engine.checkpoint();
    return { transfer: [bytes.buffer], value: bytes };
  },
  load(key, { bytes }, engine) {
    const generation = engine.loadCheckpoint(new Uint8Array(bytes));
    return { generation, steps: engine.steps(), config: JSON.parse(engine.runConfig()) };
  },
  runConfig(key, args, engine) {
    return engine.runConfig();
  },
  /**
   * What this worker has done: WebGPU shader modules (and which requests made them), pipelines
   * and buffers created (buffers destroyed), submits, time training and on views (and views run
   * per kind); its engines and wasm memory now.
   */
  async stats() {
    const wasm = loaded ? await loaded : null;
    return { ...counters, modulesByOp: { ...modulesByOp }, ...scheduler.stats(), engines: engines.size, deviceFeatures: { ...deviceFeatures }, wasmBytes: wasm && wasm.memory ? wasm.memory.buffer.byteLength : 0 };
  },
};

const errorText = (e) => (typeof e === "string" ? e : String(e && e.message ? e.message : e));

/** Runs one request; resolves to { result, transfer } or throws its error. */
async function perform({ engine: key, op, args }) {
  const fn = ops[op];
  if (!fn) throw new Error(`unknown engine request '${op}'`);
  const engine = engines.get(key);
  if (op !== "create" && op !== "drop" && op !== "stats" && !engine) throw new Error("the engine is not started");
  let result = await counted(op, () => fn(key, args || {}, engine));
  let transfer = [];
  if (result && result.transfer) {
    transfer = result.transfer;
    result = result.value;
  }
  return { result, transfer };
}

const scheduler = new Scheduler({
  perform,
  answer(msg, outcome) {
    if (!msg.id) return; // fire-and-forget (a drop)
    if (outcome.ok) self.postMessage({ id: msg.id, ok: true, result: outcome.result }, outcome.shared ? [] : outcome.transfer);
    else self.postMessage({ id: msg.id, ok: false, error: errorText(outcome.error) });
  },
  /** One chunk of a continuing training run; its report (or error) goes to the page as an event. */
  async trainChunk(key, ms) {
    const engine = engines.get(key);
    if (!engine) throw new Error("the engine is not started");
    return counted("train", () => engine.trainFor(ms));
  },
  event(key, name, value) {
    self.postMessage({ event: name, engine: key, value: name === "trainError" ? errorText(value) : value });
  },
});

self.onmessage = (ev) => scheduler.submit(ev.data);
