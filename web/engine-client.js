// A promise-based client of the training engine. The engine runs in one module Web Worker per
// page, shared by every widget (each widget gets its own engine in it); the worker is loaded the
// first time training or a learned field is needed and closed when the last widget lets go.

let shared = null; // { worker, pending, next, clients, dead }

function openWorker() {
  const w = {
    worker: new Worker(new URL("./engine-worker.js", import.meta.url), { type: "module" }),
    pending: new Map(),
    next: 1,
    clients: 0,
    dead: null,
    listeners: new Map(), // engine key → { event name → handler }
  };
  w.worker.onmessage = (ev) => {
    const { id, ok, result, error, event, engine } = ev.data;
    if (event) {
      const fn = w.listeners.get(engine)?.[event];
      if (fn) fn(ev.data.value);
      return;
    }
    const p = w.pending.get(id);
    if (!p) return;
    w.pending.delete(id);
    ok ? p.resolve(result) : p.reject(new Error(error));
  };
  w.worker.onerror = (ev) => {
    w.dead = new Error(`the training engine stopped: ${ev.message || "it could not be loaded"}`);
    for (const p of w.pending.values()) p.reject(w.dead);
    w.pending.clear();
    // Training that ran inside the worker ends with it: say so to every widget that trains.
    for (const l of w.listeners.values()) if (l.trainError) l.trainError(w.dead.message);
    if (shared === w) shared = null;
  };
  return w;
}

let nextKey = 1;

export class EngineClient {
  constructor() {
    shared ??= openWorker();
    this.shared = shared;
    this.shared.clients++;
    this.key = nextKey++;
    this.closed = null;
  }

  /** Sends a request for this client's engine; resolves with the engine's answer. */
  call(op, args = {}, transfer = []) {
    const w = this.shared;
    const dead = this.closed || w.dead;
    if (dead) return Promise.reject(dead);
    const id = w.next++;
    return new Promise((resolve, reject) => {
      w.pending.set(id, { resolve, reject, key: this.key });
      w.worker.postMessage({ id, engine: this.key, op, args }, transfer);
    });
  }

  /**
   * Handles the engine's events: "trained" (the report of a chunk of the training that
   * `trainStart` began) and "trainError" (that training stopped, with the message).
   */
  on(event, fn) {
    const w = this.shared;
    if (!w.listeners.has(this.key)) w.listeners.set(this.key, {});
    w.listeners.get(this.key)[event] = fn;
  }

  /** Frees this client's engine; the worker closes with its last client. */
  terminate() {
    if (this.closed) return;
    const w = this.shared;
    w.listeners.delete(this.key);
    this.closed = new Error("the widget was destroyed");
    for (const [id, p] of w.pending) {
      if (p.key === this.key) {
        w.pending.delete(id);
        p.reject(this.closed);
      }
    }
    w.clients--;
    if (w.clients > 0 && !w.dead) {
      w.worker.postMessage({ id: 0, engine: this.key, op: "drop" });
    } else {
      w.worker.terminate();
      if (shared === w) shared = null;
    }
  }
}
