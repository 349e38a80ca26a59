// The training engine's Web Worker: loads interplay-engine (burn on WebGPU or the CPU) the
// first time it is needed and answers requests { id, engine, op, args } with
// { id, ok, result | error }. One worker serves every widget of a page: each widget has its own
// engine (its own training run), and engines with the same backend share one device.
// Training runs here, never on the page's main thread, under the scheduler of
// engine-scheduler.js: training in chunks, the page's model views (particles, density, metrics)
// coalesced and given a bounded share of the time in between.
import init, { Engine } from "./interplay-engine.js";
import { Scheduler, gpuCounters } from "./engine-scheduler.js";

const engines = new Map();
let loaded = null;
// Counts of WebGPU objects and submissions made in this worker (wraps the device's methods
// before the engine exists, so every call is seen).
const counters = gpuCounters(self);

const ops = {
  async create(key, { backend }) {
    loaded ??= init();
    await loaded;
    const engine = await Engine.create(backend || "auto");
    engines.get(key)?.free();
    engines.set(key, engine);
    return { backend: engine.backend(), adapter: engine.adapter(), notice: engine.notice() ?? null };
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
    return engine.trainFor(ms);
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
    return { generation, config: JSON.parse(engine.runConfig()) };
  },
  runConfig(key, args, engine) {
    return engine.runConfig();
  },
  /** What this worker has done: WebGPU objects created, submits, time training and on views. */
  stats() {
    return { ...counters, ...scheduler.stats() };
  },
};

const errorText = (e) => (typeof e === "string" ? e : String(e && e.message ? e.message : e));

/** Runs one request; resolves to { result, transfer } or throws its error. */
async function perform({ engine: key, op, args }) {
  const fn = ops[op];
  if (!fn) throw new Error(`unknown engine request '${op}'`);
  const engine = engines.get(key);
  if (op !== "create" && op !== "drop" && op !== "stats" && !engine) throw new Error("the engine is not started");
  let result = await fn(key, args || {}, engine);
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
    return engine.trainFor(ms);
  },
  event(key, name, value) {
    self.postMessage({ event: name, engine: key, value: name === "trainError" ? errorText(value) : value });
  },
});

self.onmessage = (ev) => scheduler.submit(ev.data);
