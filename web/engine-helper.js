// A helper of the training engine's worker: one more core for training a run of the CPU
// backend (engine-team.js). The engine's worker starts it, hands it the engine's compiled module
// ({ module }) and then sends it lists of requests for one of its engines,
// { id, key, requests: [{ op, args }, …] }: "create" and "drop" start and free the engine of
// `key` (on the CPU backend), every other op is the engine's own request (a configure or a load
// that mirrors the run, the gradients of a shard, a step to apply, rows drawn ahead); "memory"
// answers the size of its wasm memory. They run in order, one message after the other; the
// answer is the last request's result, { id, ok, result | error, ms, busy }, with a gradient's
// buffer transferred, `ms` the time the last request took here and `busy` the time the whole
// message took (the team balances its shards by them).
import init, { Engine } from "./interplay-engine.js";

const engines = new Map();
let queue = Promise.resolve();
let wasm = null;

/** How long the last engine request of a message took here (ms). */
let ms = 0;
/** When the message being served began here, then how long it took (ms). */
let busy = 0;

async function serve({ module, key, requests }) {
  if (module) {
    wasm = await init({ module_or_path: module });
    return null;
  }
  let result = null;
  for (const r of requests) {
    if (r.op === "memory") {
      result = wasm && wasm.memory ? wasm.memory.buffer.byteLength : 0;
      continue;
    }
    if (r.op === "create" || r.op === "drop") {
      engines.get(key)?.free();
      engines.delete(key);
      if (r.op === "create") engines.set(key, await Engine.create("cpu"));
      result = null;
      continue;
    }
    const engine = engines.get(key);
    if (!engine) throw new Error("the helper's engine is not started");
    const t0 = performance.now();
    result = await engine.handle(r);
    ms = performance.now() - t0;
  }
  return result;
}

self.onmessage = (ev) => {
  const msg = ev.data;
  queue = queue
    .then(() => {
      busy = performance.now();
      return serve(msg);
    })
    .then(
      (result) => self.postMessage({ id: msg.id, ok: true, result, ms, busy: performance.now() - busy }, result && result.grads ? [result.grads.buffer] : []),
      (e) => self.postMessage({ id: msg.id, ok: false, error: String(e && e.message ? e.message : e) }),
    );
};
