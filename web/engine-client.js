// A promise-based client of the training engine, which runs in a module Web Worker and is
// loaded the first time training or a learned field is needed.

export class EngineClient {
  constructor() {
    this.worker = new Worker(new URL("./engine-worker.js", import.meta.url), { type: "module" });
    this.pending = new Map();
    this.next = 1;
    this.dead = null;
    this.worker.onmessage = (ev) => {
      const { id, ok, result, error } = ev.data;
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      ok ? p.resolve(result) : p.reject(new Error(error));
    };
    this.worker.onerror = (ev) => {
      this.dead = new Error(`the training engine stopped: ${ev.message || "it could not be loaded"}`);
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
    };
  }

  /** Sends a request; resolves with the engine's answer. */
  call(op, args = {}, transfer = []) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  terminate() {
    this.worker.terminate();
    this.dead = new Error("the widget was destroyed");
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
  }
}
