// Training on WebGPU gives the CPU backend's numbers, on a device with the features its
// autotuned kernels use (Chromium's WebGPU adapter, SwiftShader).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { serve } from "./lib/server.mjs";
import { DIST, installWorkerClient, launch, openPage } from "./lib/browser.mjs";

const servers = [];
after(async () => {
  for (const s of servers) await s.close();
});

/** The parameters of a checkpoint (docs/checkpoints: magic, version, header, count, f32s, sum). */
function checkpointParams(bytes) {
  const buf = Buffer.from(bytes);
  assert.equal(buf.subarray(0, 8).toString("latin1"), "IPLYCKPT");
  const headerLen = buf.readUInt32LE(12);
  const at = 16 + headerLen;
  const count = buf.readUInt32LE(at);
  const params = new Float32Array(count);
  for (let i = 0; i < count; i++) params[i] = buf.readFloatLE(at + 4 + 4 * i);
  return { header: JSON.parse(buf.subarray(16, at).toString("utf8")), params };
}

/**
 * Trains `steps` steps of `source` on `backend` from the run's seeded start; the parameters
 * (of each network, in turn), the losses and what ran (the engine's counters around the last
 * step; no learned view is shown, so the step is all the worker does).
 */
async function trained(browser, server, backend, steps, { source, width, depth, batch }) {
  const page = await openPage(browser, server.url(`/index.html#backend=${backend}&source=${source}&checkpoint=none&width=${width}&depth=${depth}&batch=${batch}&views=training`));
  const r = await page.evaluate(async (steps) => {
    const api = window.interplay;
    await api.ready;
    const losses = [];
    let before;
    for (let i = 0; i < steps; i++) {
      before = await api.engineStats();
      losses.push(Object.values((await api.train(1)).losses));
    }
    const stats = await api.engineStats();
    const bytes = await api.exportCheckpoint();
    const adapter = await navigator.gpu.requestAdapter();
    const subgroups = adapter.features.has("subgroups");
    return { bytes: Array.from(bytes), losses, backend: api.backend, subgroups, before, stats };
  }, steps);
  assert.deepEqual(page.problems, []);
  await page.close();
  return { ...r, ...checkpointParams(r.bytes) };
}

/** The kernels of the fused step (crates/interplay-nn/src/fused), by the entry point's name. */
const FUSED = ["features", "hidden_forward", "output_loss", "hidden_backward", "gradient_adam"];

// The page's network at a small batch (the same layers, activations and Adam as the default),
// for one network and for two; and sizes that are not whole tiles of the kernels (4 × 4).
const CASES = [
  { source: "schedule-free", nets: 1, width: 32, depth: 2, batch: 128 },
  { source: "learned", nets: 2, width: 32, depth: 2, batch: 128 },
  { source: "schedule-free", nets: 1, width: 30, depth: 3, batch: 61 },
];

for (const run of CASES) test(`a few steps of ${run.source} (${run.depth} × ${run.width}, batch ${run.batch}) on WebGPU from the same start and batches give the CPU backend's parameters, in the fused step's dispatches`, async () => {
  const { nets, depth } = run;
  const server = await serve({ "/": DIST });
  servers.push(server);
  const browser = await launch({ webgpu: true });
  try {
    const steps = 4;
    const cpu = await trained(browser, server, "cpu", steps, run);
    const gpu = await trained(browser, server, "webgpu", steps, run);
    assert.equal(cpu.backend, "cpu");
    assert.equal(gpu.backend, "webgpu");
    // The engine's device was given the adapter's subgroups, which autotune's kernels read.
    const f = gpu.stats.deviceFeatures;
    assert.ok(gpu.subgroups, "Chromium's adapter offers subgroups");
    assert.deepEqual(f.offered, ["subgroups"], JSON.stringify(f));
    assert.ok(f.requested.includes("subgroups"), JSON.stringify(f));
    assert.ok(gpu.stats.dispatches > 0 && cpu.stats.dispatches === 0);
    // A step is the fused kernels: per network, the features, each hidden layer forward and
    // back, the output layer with the loss, and each layer's gradient with its Adam step.
    const ran = {};
    for (const [k, v] of Object.entries(gpu.stats.kernels)) {
      const name = FUSED.find((f) => k.startsWith(`${f}_`));
      const d = v - (gpu.before.kernels[k] || 0);
      if (d > 0) ran[name || k] = (ran[name || k] || 0) + d;
    }
    assert.deepEqual(ran, { features: nets, hidden_forward: depth * nets, output_loss: nets, hidden_backward: depth * nets, gradient_adam: (depth + 1) * nets }, JSON.stringify(ran));
    assert.equal(gpu.stats.dispatches - gpu.before.dispatches, nets * (3 + 3 * depth));
    assert.equal(gpu.stats.pipelines - gpu.before.pipelines, 0, "nothing compiled after the first step");
    assert.deepEqual(gpu.header.net, cpu.header.net);
    assert.equal(gpu.params.length, cpu.params.length);
    // Each layer's weights and biases in turn (the header's shapes), network by network,
    // compared as vectors: an Adam step moves a weight whose gradient is ~0 by ±lr either way,
    // so elementwise ratios of such weights say nothing about the backends.
    const net = cpu.header.net;
    const dims = [3 + 2 * net.fourier + 4 * net.spatial, ...Array(net.depth).fill(net.width), 2];
    let at = 0;
    const worst = [];
    for (let m = 0; m < nets; m++) for (let k = 0; k + 1 < dims.length; k++) {
      for (const n of [dims[k] * dims[k + 1], dims[k + 1]]) {
        let diff = 0;
        let norm = 0;
        let moved = 0;
        for (let i = at; i < at + n; i++) {
          diff += (gpu.params[i] - cpu.params[i]) ** 2;
          norm += cpu.params[i] ** 2;
          moved += Number(gpu.params[i] !== cpu.params[i]);
        }
        worst.push({ layer: k, n, rel: Math.sqrt(diff / norm), moved });
        at += n;
      }
    }
    assert.equal(at, cpu.params.length, "the shapes cover every parameter");
    for (const w of worst) assert.ok(w.rel <= 1e-4, `parameters differ: ${JSON.stringify(worst)}`);
    // The losses along the way agree too (the same batches on both backends).
    for (let i = 0; i < steps; i++) {
      for (let m = 0; m < nets; m++) {
        const [a, b] = [cpu.losses[i][m], gpu.losses[i][m]];
        assert.ok(Math.abs(b - a) <= 1e-4 * Math.abs(a), `losses: ${JSON.stringify(cpu.losses)} vs ${JSON.stringify(gpu.losses)}`);
      }
    }
    // Trained at all: the parameters are not the shared starting point.
    assert.ok(cpu.losses[steps - 1][0] !== cpu.losses[0][0]);
  } finally {
    await browser.close();
  }
});

/**
 * Runs `fn` in a page of the build with a client of a fresh engine worker (`window.engineWorker`,
 * tests/lib/browser.mjs) on a browser with WebGPU, and returns what it returns.
 */
async function inWorker(fn) {
  const server = await serve({ "/": DIST });
  servers.push(server);
  const browser = await launch({ webgpu: true });
  try {
    const page = await openPage(browser, server.url("/index.html#checkpoint=none"));
    await installWorkerClient(page);
    return await page.evaluate(fn);
  } finally {
    await browser.close();
  }
}

test("the learned views on WebGPU, run by the project's forward kernels, give the CPU backend's particles and density", async () => {
  // One checkpoint, trained on the CPU, loaded by a CPU engine and a WebGPU engine of the same
  // worker; the same requests to both. `sample` integrates the ODE with the network forward;
  // `density` integrates back to t = 0 with the divergence (the kernels' tangents). For the
  // schedule-free D (one network, the skip with the target's moments) and for b and s.
  const r = await inWorker(async () => {
    const { worker, call, ask: ok } = window.engineWorker();
    const schedule = { path: "linear", gamma: "brownian", alpha_exp: 1, beta_exp: 1, gamma_scale: 1 };
    const out = {};
    for (const objective of ["schedule-free", "velocity-score"]) {
      const config = { objective, width: 24, depth: 2, batch: 64, lr: 0.005, seed: 7, schedule, target: { name: "checkerboard" }, coupling: "independent" };
      await ok(1, "create", { backend: "cpu" });
      await ok(1, "configure", { config });
      await ok(1, "train", { steps: 20 });
      const bytes = await ok(1, "checkpoint", {});
      const gpu = await ok(2, "create", { backend: "webgpu" });
      await ok(2, "load", { bytes });
      const views = {};
      for (const engine of [1, 2]) {
        const before = (await ok(engine, "stats", {})).kernels;
        views[engine] = {
          sample: Array.from(await ok(engine, "sample", { n: 64, steps: 8, eps: 0, seed: 3, schedule })),
          density: Array.from(await ok(engine, "density", { t: 0.6, n: 12, steps: 6, schedule })),
        };
        const after = (await ok(engine, "stats", {})).kernels;
        views[engine].kernels = Object.keys(after).filter((k) => after[k] > (before[k] || 0));
      }
      out[objective] = { cpu: views[1], gpu: views[2], backend: gpu.backend };
      for (const engine of [1, 2]) await call(engine, "drop", {});
    }
    worker.terminate();
    return out;
  });
  for (const [objective, { cpu, gpu, backend }] of Object.entries(r)) {
    assert.equal(backend, "webgpu", objective);
    assert.equal(gpu.sample.length, cpu.sample.length);
    const worst = Math.max(...cpu.sample.map((v, i) => Math.abs(v - gpu.sample[i])));
    assert.ok(worst < 1e-3, `${objective}: samples differ by ${worst}`);
    assert.equal(gpu.density.length, 144);
    const scale = Math.max(...cpu.density);
    const off = Math.max(...cpu.density.map((v, i) => Math.abs(v - gpu.density[i])));
    assert.ok(scale > 0 && off < 1e-3 * scale, `${objective}: densities differ by ${off} of ${scale}`);
    // On WebGPU the networks ran as the forward kernels, and no matrix product of burn's.
    for (const k of ["features_", "hidden_forward_", "output_field_"]) assert.ok(gpu.kernels.some((n) => n.startsWith(k)), `${objective}: ${gpu.kernels}`);
    assert.deepEqual(gpu.kernels.filter((n) => n.startsWith("matmul")), [], objective);
  }
});

test("every activation trains and evaluates in the fused kernels on WebGPU, as on the CPU backend", async () => {
  // A run set up in full (`configureRun`: the page offers SiLU only) with ReLU, tanh and GELU
  // units, on a CPU and a WebGPU engine of one worker from the same seed: a few steps give the
  // same parameters, and the model's samples agree, through the fused kernels.
  const r = await inWorker(async () => {
    const { worker, call, ask: ok } = window.engineWorker();
    const schedule = { path: "linear", gamma: "brownian", alpha_exp: 1, beta_exp: 1, gamma_scale: 1 };
    await ok(1, "create", { backend: "cpu" });
    await ok(1, "configure", { config: { objective: "velocity-score", width: 20, depth: 2, batch: 61, lr: 0.005, seed: 7, schedule, target: { name: "checkerboard" }, coupling: "independent" } });
    const base = JSON.parse(await ok(1, "runConfig", {}));
    await ok(2, "create", { backend: "webgpu" });
    const out = {};
    for (const activation of ["relu", "tanh", "gelu"]) {
      const config = { ...base, train: { ...base.train, net: { ...base.train.net, activation } } };
      const got = {};
      for (const engine of [1, 2]) {
        const before = (await ok(engine, "stats", {})).kernels;
        await ok(engine, "configureRun", { config });
        await ok(engine, "train", { steps: 3 });
        const sample = Array.from(await ok(engine, "sample", { n: 32, steps: 6, eps: 0, seed: 3, schedule }));
        const after = (await ok(engine, "stats", {})).kernels;
        got[engine] = { bytes: Array.from(await ok(engine, "checkpoint", {})), sample, kernels: Object.keys(after).filter((k) => after[k] > (before[k] || 0)) };
      }
      out[activation] = got;
    }
    worker.terminate();
    return out;
  });
  for (const [activation, got] of Object.entries(r)) {
    const [cpu, gpu] = [checkpointParams(got[1].bytes), checkpointParams(got[2].bytes)];
    assert.equal(gpu.header.net.activation, activation);
    assert.deepEqual(gpu.header.net, cpu.header.net);
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < cpu.params.length; i++) {
      diff += (gpu.params[i] - cpu.params[i]) ** 2;
      norm += cpu.params[i] ** 2;
    }
    assert.ok(Math.sqrt(diff / norm) <= 1e-4, `${activation}: parameters differ by ${Math.sqrt(diff / norm)} relative`);
    const worst = Math.max(...got[1].sample.map((v, i) => Math.abs(v - got[2].sample[i])));
    assert.ok(worst < 1e-3, `${activation}: samples differ by ${worst}`);
    for (const k of ["gradient_adam_", "hidden_forward_", "output_field_"]) assert.ok(got[2].kernels.some((n) => n.startsWith(k)), `${activation}: ${got[2].kernels}`);
    assert.deepEqual(got[2].kernels.filter((n) => n.startsWith("matmul")), [], activation);
  }
});
