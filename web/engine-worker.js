// The training engine's Web Worker: loads interplay-engine (burn on WebGPU or the CPU) the
// first time it is needed and answers requests { id, op, args } with { id, ok, result | error }.
// Training runs here, never on the page's main thread.
import init, { Engine } from "./interplay-engine.js";

let engine = null;

const ops = {
  async create({ backend }) {
    await init();
    engine = await Engine.create(backend || "auto");
    return { backend: engine.backend(), adapter: engine.adapter(), notice: engine.notice() ?? null };
  },
  configure({ config }) {
    return { generation: engine.configure(JSON.stringify(config)) };
  },
  train({ steps }) {
    return engine.train(steps);
  },
  trainFor({ ms }) {
    return engine.trainFor(ms);
  },
  async particles({ t, n, eps, seed, schedule, maxSteps }) {
    const r = await engine.particles(t, n, eps, seed, JSON.stringify(schedule), maxSteps);
    return { transfer: [r.points.buffer], value: r };
  },
  async density({ t, n, steps, schedule }) {
    const d = await engine.density(t, n, steps, JSON.stringify(schedule));
    return { transfer: [d.buffer], value: d };
  },
  metrics({ n, steps, schedule }) {
    return engine.metrics(n, steps, JSON.stringify(schedule));
  },
  async sample({ n, steps, eps, seed, schedule }) {
    const xy = await engine.sample(n, steps, eps, seed, JSON.stringify(schedule));
    return { transfer: [xy.buffer], value: xy };
  },
  async checkpoint() {
    const bytes = await engine.checkpoint();
    return { transfer: [bytes.buffer], value: bytes };
  },
  load({ bytes }) {
    return { generation: engine.loadCheckpoint(new Uint8Array(bytes)) };
  },
};

self.onmessage = async (ev) => {
  const { id, op, args } = ev.data;
  try {
    if (op !== "create" && !engine) throw new Error("the engine is not started");
    const fn = ops[op];
    if (!fn) throw new Error(`unknown engine request '${op}'`);
    let result = await fn(args || {});
    let transfer = [];
    if (result && result.transfer) {
      transfer = result.transfer;
      result = result.value;
    }
    self.postMessage({ id, ok: true, result }, transfer);
  } catch (e) {
    self.postMessage({ id, ok: false, error: typeof e === "string" ? e : String(e && e.message ? e.message : e) });
  }
};
