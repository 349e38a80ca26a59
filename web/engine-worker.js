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
import { Team } from "./engine-team.js";

const engines = new Map();
let loaded = null;
// The helper workers that train CPU runs on more cores (made once the engine is loaded).
let team = null;
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

/**
 * Compiles the engine's module once and instantiates it here; the module is kept for the helper
 * workers, which instantiate the same compiled code instead of fetching and compiling it again.
 */
async function loadEngine() {
  const url = new URL("./interplay-engine_bg.wasm", import.meta.url);
  let module;
  try {
    module = await WebAssembly.compileStreaming(fetch(url));
  } catch {
    // A host that serves the module with another MIME type: compiled from its bytes instead.
    const res = await fetch(url);
    if (!res.ok) throw new Error(`the training engine could not be fetched (HTTP ${res.status})`);
    module = await WebAssembly.compile(await res.arrayBuffer());
  }
  const wasm = await init({ module_or_path: module });
  return { wasm, module };
}

/** Timed training of each backend in the trial that `auto` runs (ms, after one warm-up step). */
const TRIAL_MS = 300;
/** The longest a backend's warm-up step (its shader compilation, on WebGPU) may take in it. */
const TRIAL_WARM_CAP_MS = 4000;

/** Steps/s of `engine` on the run `config` (a LiveRun), or { rate: 0, why } if too slow to start. */
async function trialRate(engine, config) {
  await engine.handle({ op: "configure", args: { config } });
  let timer;
  const capped = new Promise((ok) => (timer = setTimeout(() => ok("slow"), TRIAL_WARM_CAP_MS)));
  const warm = await Promise.race([engine.handle({ op: "train", args: { steps: 1 } }).then(() => "ok"), capped]);
  clearTimeout(timer);
  if (warm === "slow") return { rate: 0, why: `its first step took over ${TRIAL_WARM_CAP_MS / 1000} s` };
  const r = await engine.handle({ op: "trainFor", args: { ms: TRIAL_MS } });
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
   * network `trial` (a LiveRun) and reports what it found as `choice`. On the CPU backend its
   * runs train on `workers` workers (this one and helpers; engine-team.js).
   */
  async create(key, { backend, trial, remembered, workers = 1 }) {
    loaded ??= loadEngine().catch((e) => {
      loaded = null; // the next widget tries again
      throw e;
    });
    team ??= new Team((await loaded).module);
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
    team.want(key, engine.backend() === "cpu" ? workers : 1);
    return { backend: engine.backend(), adapter: engine.adapter(), notice: blocker ?? engine.notice() ?? null, choice, workers: team.wanted.get(key) };
  },
  drop(key) {
    scheduler.stopTraining(key);
    team?.drop(key);
    engines.get(key)?.free();
    engines.delete(key);
    return null;
  },
  /**
   * Ends helper `index`'s worker without a word, as a crash or the browser ending it would: its
   * team has to notice by itself (the failure tests use it).
   */
  stopHelper(key, { index = 0 }) {
    const h = team && team.helpers[index];
    if (!h) throw new Error(`there is no helper ${index}`);
    h.worker.terminate();
    return null;
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
  /**
   * What this worker has done: WebGPU shader modules (and which requests made them), pipelines
   * and buffers created (buffers destroyed), submits, time training and on views (and views run
   * per kind); its engines and wasm memory now.
   */
  async stats() {
    const wasm = loaded ? (await loaded).wasm : null;
    return { ...counters, modulesByOp: { ...modulesByOp }, ...scheduler.stats(), engines: engines.size, deviceFeatures: { ...deviceFeatures }, wasmBytes: wasm && wasm.memory ? wasm.memory.buffer.byteLength : 0, team: team ? await team.stats() : null };
  },
};

const errorText = (e) => (typeof e === "string" ? e : String(e && e.message ? e.message : e));

/** The buffers of the typed arrays in an engine's answer (itself, or its fields): transferred. */
function buffersOf(result) {
  if (ArrayBuffer.isView(result)) return [result.buffer];
  if (!result || typeof result !== "object") return [];
  return Object.values(result).filter((v) => ArrayBuffer.isView(v)).map((v) => v.buffer);
}

/** The requests that set up a new run: the helpers of a team set up the same one. */
const RUN_OPS = new Set(["configure", "configureRun", "load"]);
/** Whether a run set up by `op` with `args` trains on a team: a run of fields (a flow map does not). */
function teamable(op, args) {
  const c = args.config || {};
  return op === "load" || (c.objective ?? (c.train && c.train.objective)) !== "flow-map";
}

/**
 * Trains the engine of `key` (`request`: `steps` steps, or about `ms`): on its team where it has
 * one, else here. The report says on how many workers, and why fewer than asked where that is so.
 */
async function trainRun(key, engine, request, budget) {
  const r = team.size(key) > 1 ? await team.train(key, engine, budget) : await engine.handle(request);
  return { ...r, workers: r.workers || 1, workersNote: team.why(key) };
}

/**
 * Runs one request; resolves to { result, transfer } or throws its error. The worker's own ops
 * (starting, dropping and scheduling engines, its counters) run here, and training, which may
 * run on a team; every other request is the engine's (its `Request`, refused by the engine in
 * words if it is not one).
 */
async function perform({ engine: key, op, args }) {
  const own = Object.hasOwn(ops, op) ? ops[op] : null;
  const engine = engines.get(key);
  if (!engine && op !== "create" && op !== "drop" && op !== "stats") throw new Error("the engine is not started");
  const t0 = performance.now();
  args = args || {};
  let result;
  if (op === "train") result = await counted(op, () => trainRun(key, engine, { op, args }, { steps: args.steps }));
  else result = await counted(op, () => (own ? own(key, args, engine) : engine.handle({ op, args })));
  if (RUN_OPS.has(op)) {
    const c = op === "load" ? result.config.train : op === "configureRun" ? args.config.train : args.config;
    result.workers = await team.form(key, [{ op, args }], engine.backend() === "cpu" && teamable(op, args), c && c.batch);
    result.workersNote = team.why(key);
  }
  // The time a view of the learned particles took, its points read back (so the device's work
  // is in it): the page sizes its next request by it.
  if (op === "particles") result.ms = performance.now() - t0;
  return { result, transfer: own ? [] : buffersOf(result) };
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
    return counted("train", () => trainRun(key, engine, { op: "trainFor", args: { ms } }, { ms }));
  },
  event(key, name, value) {
    self.postMessage({ event: name, engine: key, value: name === "trainError" ? errorText(value) : value });
  },
});

self.onmessage = (ev) => scheduler.submit(ev.data);
