// The engine worker's scheduler: one runner that interleaves continuing training with the
// page's requests, so that neither starves.
//
// - Control requests (create, configure, load, train, sample, checkpoint, …) run in the order
//   they came, ahead of everything else: they are what a reader or the API asked for directly.
// - Model views (particles, density, metrics) are coalesced: a newer request for the same view
//   of the same engine replaces a pending one, and both are answered with the newer one's
//   result (the freshest view is what either caller wants).
// - Training started with `startTraining` runs in chunks of its time budget. While some engine
//   trains, views get a bounded share of the time: each chunk earns view time at
//   share / (1 − share) of its length, each view spends what it took (down to a floor of
//   −MAX_DEBT_MS), and a view runs only while the balance is positive: training waits at most one
//   view at a time and trains at least 1 − share of the time while views are waiting, unless
//   single views take longer than MAX_DEBT_MS; a view never waits more than about 9 s of
//   training. With no training, views run as they come.
// Pure JavaScript without the engine, so it is tested on its own (tests/scheduler.test.mjs).

/** The requests that are model views (coalesced, and shared with training). */
export const VIEW_OPS = new Set(["particles", "density", "metrics"]);

export { MAX_DEBT_MS };

/** The share of the worker's time that model views may take while training runs. */
export const VIEW_SHARE = 0.1;

/** The most view time a run of training can bank (ms), so views cannot burst after a long run. */
const MAX_CREDIT_MS = 50;

/**
 * The most a single view can overdraw (ms). A view slower than this (a software adapter, a big
 * metrics run) would otherwise lock the views out for nine times its length; with the cap the
 * next view comes after at most 9 s of training, and views take more than their share only when
 * each one is slower than this.
 */
const MAX_DEBT_MS = 1000;

/** A macrotask turn, so that messages that arrived meanwhile are taken in between chunks. */
function nextTurn() {
  if (typeof MessageChannel !== "function") return new Promise((ok) => setTimeout(ok, 0));
  return new Promise((ok) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      ok();
    };
    ch.port2.postMessage(0);
  });
}

export class Scheduler {
  /**
   * perform(msg) → { result, transfer }: runs one request. answer(msg, outcome): delivers
   * { ok, result, transfer } or { ok: false, error }; `shared` is set on the answers of
   * requests a newer one replaced (their result must be copied, not transferred, since the
   * newer one's answer transfers it). trainChunk(key, ms) → report:
   * one chunk of training. event(key, name, value): "trained" with a chunk's report, or
   * "trainError" (training of that engine then stops).
   */
  constructor({ perform, answer, trainChunk, event, now = () => performance.now(), viewShare = VIEW_SHARE, yieldTurn = nextTurn }) {
    Object.assign(this, { perform, answer, trainChunk, event, now, viewShare, yieldTurn });
    this.control = [];
    this.views = new Map(); // `${engine}|${op}` → message, oldest first
    this.training = new Map(); // engine → chunk budget (ms)
    this.order = []; // engines in training, round-robin
    this.credit = 0;
    this.running = false;
    this.totals = { trainMs: 0, viewMs: 0, controlMs: 0, chunks: 0, steps: 0, views: 0, superseded: 0, viewsWhileTraining: 0, longestViewWhileTrainingMs: 0, viewsByOp: {} };
  }

  submit(msg) {
    if (VIEW_OPS.has(msg.op)) {
      const key = `${msg.engine}|${msg.op}`;
      const old = this.views.get(key);
      const waiters = old ? [...old.waiters, old.msg] : [];
      if (old) {
        this.views.delete(key);
        this.totals.superseded++;
      }
      this.views.set(key, { msg, waiters });
    } else {
      this.control.push(msg);
    }
    this.kick();
  }

  startTraining(key, ms) {
    const budget = Number.isFinite(ms) && ms > 0 ? Math.min(ms, 2000) : 150;
    if (!this.training.has(key)) this.order.push(key);
    this.training.set(key, budget);
    this.kick();
  }

  stopTraining(key) {
    this.training.delete(key);
    this.order = this.order.filter((k) => k !== key);
    if (!this.training.size) this.credit = 0;
  }

  stats() {
    return { ...this.totals, viewsByOp: { ...this.totals.viewsByOp }, training: [...this.training.keys()], pendingViews: this.views.size, viewShare: this.viewShare };
  }

  kick() {
    if (this.running) return;
    this.running = true;
    this.loop().finally(() => {
      this.running = false;
    });
  }

  async loop() {
    for (;;) {
      if (this.control.length) {
        const msg = this.control.shift();
        this.totals.controlMs += await this.run(msg);
      } else if (this.views.size && (!this.training.size || this.credit > 0)) {
        const [key, { msg, waiters }] = this.views.entries().next().value;
        this.views.delete(key);
        const ms = await this.run(msg, waiters);
        this.totals.viewMs += ms;
        this.totals.views++;
        this.totals.viewsByOp[msg.op] = (this.totals.viewsByOp[msg.op] || 0) + 1;
        if (this.training.size) {
          this.credit = Math.max(this.credit - ms, -MAX_DEBT_MS);
          this.totals.viewsWhileTraining++;
          this.totals.longestViewWhileTrainingMs = Math.max(this.totals.longestViewWhileTrainingMs, ms);
        }
      } else if (this.training.size) {
        await this.chunk();
      } else {
        return;
      }
      // Let messages that arrived meanwhile in before the next piece of work.
      await this.yieldTurn();
    }
  }

  /** Runs `msg`; answers the requests it replaced (copies, `shared`) and then it. */
  async run(msg, waiters = []) {
    const t0 = this.now();
    let outcome;
    try {
      outcome = { ok: true, ...(await this.perform(msg)) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const ms = this.now() - t0;
    for (const w of waiters) this.answer(w, { ...outcome, shared: true });
    this.answer(msg, outcome);
    return ms;
  }

  async chunk() {
    const key = this.order.shift();
    this.order.push(key);
    const budget = this.training.get(key);
    const t0 = this.now();
    try {
      const report = await this.trainChunk(key, budget);
      const ms = this.now() - t0;
      this.totals.trainMs += ms;
      this.totals.chunks++;
      if (report && Number.isFinite(report.done)) this.totals.steps += report.done;
      this.credit = Math.min(MAX_CREDIT_MS, this.credit + (ms * this.viewShare) / (1 - this.viewShare));
      // A chunk that finished after training was stopped is still reported: its steps happened.
      this.event(key, "trained", report);
    } catch (e) {
      this.totals.trainMs += this.now() - t0;
      this.stopTraining(key);
      this.event(key, "trainError", e);
    }
  }
}

/**
 * Wraps the WebGPU methods that compile or submit, on the prototypes of `scope` (a worker's
 * `self`), and returns the live counts: { shaderModules, pipelines, submits, dispatches,
 * buffersCreated, buffersDestroyed }.
 */
export function gpuCounters(scope) {
  const counts = { shaderModules: 0, pipelines: 0, submits: 0, dispatches: 0, buffersCreated: 0, buffersDestroyed: 0 };
  const wrap = (proto, name, field) => {
    const f = proto && proto[name];
    if (typeof f !== "function" || f.__interplayCounted) return;
    const counted = function (...args) {
      counts[field]++;
      return f.apply(this, args);
    };
    counted.__interplayCounted = true;
    proto[name] = counted;
  };
  const device = scope.GPUDevice && scope.GPUDevice.prototype;
  wrap(device, "createShaderModule", "shaderModules");
  wrap(device, "createComputePipeline", "pipelines");
  wrap(device, "createComputePipelineAsync", "pipelines");
  wrap(scope.GPUQueue && scope.GPUQueue.prototype, "submit", "submits");
  wrap(scope.GPUComputePassEncoder && scope.GPUComputePassEncoder.prototype, "dispatchWorkgroups", "dispatches");
  wrap(device, "createBuffer", "buffersCreated");
  wrap(scope.GPUBuffer && scope.GPUBuffer.prototype, "destroy", "buffersDestroyed");
  countKernels(scope.GPUComputePassEncoder && scope.GPUComputePassEncoder.prototype, counts);
  return counts;
}

/**
 * Dispatches by kernel: `counts.kernels[label]` counts the dispatches of each pipeline, named by
 * its label (the kernels' entry points name their pipelines), "unnamed" where it has none. It is
 * the profile of a step that the dispatch total alone cannot give.
 */
function countKernels(pass, counts) {
  counts.kernels = {};
  if (!pass || typeof pass.setPipeline !== "function" || pass.setPipeline.__interplayCounted) return;
  const setPipeline = pass.setPipeline;
  const dispatch = pass.dispatchWorkgroups;
  const named = function (pipeline) {
    this.__interplayKernel = (pipeline && pipeline.label) || "unnamed";
    return setPipeline.call(this, pipeline);
  };
  const tallied = function (...args) {
    const k = this.__interplayKernel || "unnamed";
    counts.kernels[k] = (counts.kernels[k] || 0) + 1;
    return dispatch.apply(this, args);
  };
  named.__interplayCounted = true;
  tallied.__interplayCounted = true;
  pass.setPipeline = named;
  pass.dispatchWorkgroups = tallied;
}
