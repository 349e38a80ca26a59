// The training engine's Web Worker: loads interplay-engine (burn on WebGPU or the CPU) the
// first time it is needed and answers requests { id, engine, op, args } with
// { id, ok, result | error }. One worker serves every widget of a page: each widget has its own
// engine (its own training run), and engines with the same backend share one device.
// Training runs here, never on the page's main thread.
import init, { Engine } from "./interplay-engine.js";

const engines = new Map();
let loaded = null;

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
  async particles(key, { t, n, eps, seed, schedule, maxSteps }, engine) {
    const r = await engine.particles(t, n, eps, seed, JSON.stringify(schedule), maxSteps);
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
};

// Requests run one at a time, in order, so two widgets never interleave inside one device step.
let queue = Promise.resolve();
self.onmessage = (ev) => {
  queue = queue.then(() => answer(ev.data));
};

async function answer({ id, engine: key, op, args }) {
  try {
    const fn = ops[op];
    if (!fn) throw new Error(`unknown engine request '${op}'`);
    const engine = engines.get(key);
    if (op !== "create" && op !== "drop" && !engine) throw new Error("the engine is not started");
    let result = await fn(key, args || {}, engine);
    let transfer = [];
    if (result && result.transfer) {
      transfer = result.transfer;
      result = result.value;
    }
    self.postMessage({ id, ok: true, result }, transfer);
  } catch (e) {
    self.postMessage({ id, ok: false, error: typeof e === "string" ? e : String(e && e.message ? e.message : e) });
  }
}
