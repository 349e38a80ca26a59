// The engine worker's scheduler on its own (no browser): control requests in order, model
// views coalesced, training in chunks with views held to their share, and the WebGPU counters.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_DEBT_MS, Scheduler, VIEW_SHARE, gpuCounters } from "../web/engine-scheduler.js";

/** A scheduler over a fake clock: each request or chunk "takes" the ms it is given. */
function harness({ viewMs = 10, chunkMs = 100 } = {}) {
  let clock = 0;
  const log = [];
  const answers = [];
  const events = [];
  const s = new Scheduler({
    now: () => clock,
    yieldTurn: () => new Promise((ok) => setImmediate(ok)),
    async perform(msg) {
      log.push(msg.op);
      clock += msg.args?.ms ?? (["particles", "density", "metrics"].includes(msg.op) ? viewMs : 1);
      if (msg.op === "fail") throw new Error("it failed");
      return { result: `${msg.op}#${msg.id}`, transfer: [] };
    },
    answer(msg, outcome) {
      answers.push({ id: msg.id, ...outcome });
    },
    async trainChunk(key, ms) {
      log.push(`train:${key}`);
      clock += ms;
      if (key === "bad") throw new Error("diverged");
      return { steps: log.length };
    },
    event(key, name, value) {
      events.push({ key, name, value });
    },
  });
  const settle = async () => {
    for (let i = 0; i < 50 && s.running; i++) await new Promise((ok) => setTimeout(ok, 0));
  };
  return { s, log, answers, events, settle, clock: () => clock };
}

test("control requests run in order and every one is answered", async () => {
  const h = harness();
  h.s.submit({ id: 1, engine: 1, op: "configure" });
  h.s.submit({ id: 2, engine: 1, op: "fail" });
  h.s.submit({ id: 3, engine: 1, op: "sample" });
  await h.settle();
  assert.deepEqual(h.log, ["configure", "fail", "sample"]);
  assert.deepEqual(h.answers.map((a) => [a.id, a.ok]), [[1, true], [2, false], [3, true]]);
  assert.equal(h.answers[1].error.message, "it failed");
});

test("a newer request for the same view replaces the pending one, and both get its answer", async () => {
  const h = harness();
  // A control request first keeps the runner busy while the views queue up behind it.
  h.s.submit({ id: 1, engine: 1, op: "configure" });
  h.s.submit({ id: 2, engine: 1, op: "particles" });
  h.s.submit({ id: 3, engine: 1, op: "density" });
  h.s.submit({ id: 4, engine: 1, op: "particles" });
  h.s.submit({ id: 5, engine: 2, op: "particles" }); // another widget's view is its own
  await h.settle();
  const byId = Object.fromEntries(h.answers.map((a) => [a.id, a]));
  for (const id of [1, 2, 3, 4, 5]) assert.equal(byId[id].ok, true, `request ${id}`);
  // The replaced request gets the newer one's result, as a copy; the newer one transfers it.
  assert.equal(byId[2].result, "particles#4");
  assert.equal(byId[2].shared, true);
  assert.equal(byId[4].shared, undefined);
  // The replaced one is answered just before the one that replaced it.
  assert.deepEqual(h.answers.map((a) => a.id), [1, 3, 2, 4, 5]);
  assert.deepEqual(h.log, ["configure", "density", "particles", "particles"]);
  assert.equal(h.s.stats().superseded, 1);
  // Views run are counted per kind (a replaced request is not run).
  assert.deepEqual(h.s.stats().viewsByOp, { density: 1, particles: 2 });
});

test("while training, views get at most their share of the time and are never starved", async () => {
  const h = harness({ viewMs: 40, chunkMs: 100 });
  h.s.startTraining(1, 100);
  // A view is always waiting (the page asks again as soon as it is answered).
  let asked = 0;
  const ask = () => h.s.submit({ id: 100 + asked++, engine: 1, op: "particles" });
  ask();
  const origAnswer = h.s.answer;
  h.s.answer = (msg, o) => {
    origAnswer(msg, o);
    if (msg.op === "particles" && asked < 40) ask();
  };
  while (h.s.stats().chunks < 60) await new Promise((ok) => setTimeout(ok, 0));
  const st = h.s.stats();
  h.s.stopTraining(1);
  await h.settle();
  const share = st.viewMs / (st.viewMs + st.trainMs);
  assert.ok(st.viewsWhileTraining >= 10, `views ran ${st.viewsWhileTraining} times in 60 chunks`);
  assert.ok(share <= VIEW_SHARE + 0.04, `views took ${(100 * share).toFixed(1)} % of the time`);
  // Training waited behind at most one view at a time: never two views in a row while training.
  const seq = h.log.filter((x) => x === "particles" || x === "train:1");
  const lastChunk = seq.lastIndexOf("train:1");
  for (let i = 1; i < lastChunk; i++) assert.ok(!(seq[i] === "particles" && seq[i - 1] === "particles"), `two views in a row at ${i}`);
  assert.equal(h.events.filter((e) => e.name === "trained").length, h.s.stats().chunks);
});

test("a slow view overdraws at most MAX_DEBT_MS: the next one comes after about 9 s of training", async () => {
  const h = harness({ viewMs: 20000 });
  h.s.startTraining(1, 100);
  let asked = 0;
  const ask = () => h.s.submit({ id: 200 + asked++, engine: 1, op: "metrics" });
  ask();
  const origAnswer = h.s.answer;
  h.s.answer = (msg, o) => {
    origAnswer(msg, o);
    if (msg.op === "metrics" && asked < 4) ask();
  };
  while (h.s.stats().views < 3) await new Promise((ok) => setTimeout(ok, 0));
  h.s.stopTraining(1);
  await h.settle();
  // Between two views: the chunks that repay the capped debt at 1 : 9, and no more.
  const seq = h.log.filter((x) => x === "metrics" || x === "train:1");
  const first = seq.indexOf("metrics");
  const second = seq.indexOf("metrics", first + 1);
  const chunks = second - first - 1;
  const most = Math.ceil((MAX_DEBT_MS * (1 - VIEW_SHARE)) / VIEW_SHARE / 100) + 1;
  assert.ok(chunks >= 1 && chunks <= most, `${chunks} chunks between slow views (at most ${most})`);
});

test("control requests go ahead of views and training; stopped training ends the loop", async () => {
  const h = harness();
  h.s.startTraining(1, 100);
  await new Promise((ok) => setTimeout(ok, 0));
  h.s.submit({ id: 1, engine: 1, op: "particles" });
  h.s.submit({ id: 2, engine: 1, op: "checkpoint" });
  while (!h.answers.some((a) => a.id === 2)) await new Promise((ok) => setTimeout(ok, 0));
  // The checkpoint (control) was answered before the view that came before it.
  const i2 = h.log.indexOf("checkpoint");
  const i1 = h.log.indexOf("particles");
  assert.ok(i1 === -1 || i2 < i1, h.log.join(","));
  h.s.stopTraining(1);
  await h.settle();
  assert.equal(h.s.running, false);
  assert.ok(h.answers.some((a) => a.id === 1 && a.ok));
});

test("a failing chunk stops that engine's training and reports it; others go on", async () => {
  const h = harness();
  h.s.startTraining("bad", 50);
  h.s.startTraining(2, 50);
  while (h.s.stats().chunks < 4) await new Promise((ok) => setTimeout(ok, 0));
  h.s.stopTraining(2);
  await h.settle();
  const errs = h.events.filter((e) => e.name === "trainError");
  assert.equal(errs.length, 1);
  assert.equal(errs[0].key, "bad");
  assert.equal(errs[0].value.message, "diverged");
  assert.equal(h.log.filter((x) => x === "train:bad").length, 1);
  assert.ok(h.log.filter((x) => x === "train:2").length >= 4);
});

test("the WebGPU counters count calls on the prototypes, once wrapped", () => {
  class GPUDevice {
    createShaderModule(d) {
      return { d };
    }
    createComputePipeline() {
      return 1;
    }
    createComputePipelineAsync() {
      return Promise.resolve(2);
    }
  }
  class GPUQueue {
    submit(b) {
      return b.length;
    }
  }
  class GPUBuffer {
    destroy() {}
  }
  class GPUComputePassEncoder {
    setPipeline(p) {
      this.p = p;
    }
    dispatchWorkgroups() {}
  }
  GPUDevice.prototype.createBuffer = () => new GPUBuffer();
  const scope = { GPUDevice, GPUQueue, GPUBuffer, GPUComputePassEncoder };
  const c = gpuCounters(scope);
  gpuCounters(scope); // wrapping twice must not count twice
  const dev = new GPUDevice();
  assert.deepEqual(dev.createShaderModule("x"), { d: "x" });
  dev.createComputePipeline();
  dev.createComputePipelineAsync();
  assert.equal(new GPUQueue().submit([1, 2]), 2);
  dev.createBuffer().destroy();
  dev.createBuffer();
  new GPUComputePassEncoder().dispatchWorkgroups(4);
  // Dispatches are also tallied by the label of the pipeline set before them.
  const pass = new GPUComputePassEncoder();
  pass.setPipeline({ label: "matmul" });
  pass.dispatchWorkgroups(1);
  pass.dispatchWorkgroups(2);
  pass.setPipeline({ label: "adam" });
  pass.dispatchWorkgroups(1);
  assert.equal(pass.p.label, "adam");
  assert.deepEqual(
    { ...c },
    { shaderModules: 1, pipelines: 2, submits: 1, dispatches: 4, buffersCreated: 2, buffersDestroyed: 1, kernels: { unnamed: 1, matmul: 2, adam: 1 } },
  );
  // Without WebGPU there is nothing to wrap, and the counts stay zero.
  assert.deepEqual({ ...gpuCounters({}) }, { shaderModules: 0, pipelines: 0, submits: 0, dispatches: 0, buffersCreated: 0, buffersDestroyed: 0, kernels: {} });
});
