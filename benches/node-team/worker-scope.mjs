// A Web Worker's scope on a Node worker thread, so that the page's own worker scripts
// (web/engine-worker.js and the helpers it starts, web/engine-helper.js) run unchanged outside a
// browser: `self`, `postMessage` and `onmessage` on the thread's port, a `Worker` class that
// starts another such thread (the engine's worker starts its helpers with it), and a `fetch`
// that reads file: URLs (the engine's worker fetches its wasm beside its own script).
//
// Imported in the main thread it only exports `Worker`; started as a thread (by that class) it
// sets up the scope and imports the script named in its workerData.
import { Worker as NodeWorker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** A browser `Worker` on a Node worker thread: `onmessage`, `onerror`, `postMessage`, `terminate`. */
export class Worker {
  constructor(url) {
    this.onmessage = null;
    this.onerror = null;
    this.thread = new NodeWorker(new URL(import.meta.url), { workerData: { script: String(url) } });
    this.thread.on("message", (data) => this.onmessage?.({ data }));
    this.thread.on("error", (e) => this.onerror?.({ message: e && e.message, error: e, preventDefault() {} }));
  }

  postMessage(msg, transfer = []) {
    this.thread.postMessage(msg, transfer);
  }

  terminate() {
    this.thread.terminate();
  }
}

if (!isMainThread && workerData && workerData.script) {
  globalThis.self = globalThis;
  globalThis.Worker = Worker;
  globalThis.postMessage = (msg, transfer = []) => parentPort.postMessage(msg, transfer);
  const webFetch = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    const u = new URL(String(url));
    if (u.protocol !== "file:") return webFetch(url, init);
    const type = u.pathname.endsWith(".wasm") ? "application/wasm" : "text/javascript";
    return new Response(await readFile(fileURLToPath(u)), { headers: { "content-type": type } });
  };
  await import(workerData.script);
  // Messages wait on the port until the script has set its handler, as a module worker's do.
  parentPort.on("message", (data) => globalThis.onmessage?.({ data }));
}
