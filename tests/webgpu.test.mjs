// Training on WebGPU gives the CPU backend's numbers, on a device with the features its
// autotuned kernels use (Chromium's WebGPU adapter, SwiftShader).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { serve } from "./lib/server.mjs";
import { DIST, launch, openPage } from "./lib/browser.mjs";

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

/** Trains `steps` steps on `backend` from the run's seeded start; the parameters and what ran. */
async function trained(browser, server, backend, steps) {
  // The page's network at a small batch: the same layers, activations and Adam as the default.
  const page = await openPage(browser, server.url(`/index.html#backend=${backend}&source=schedule-free&checkpoint=none&width=32&depth=2&batch=128`));
  const r = await page.evaluate(async (steps) => {
    const api = window.interplay;
    await api.ready;
    const losses = [];
    for (let i = 0; i < steps; i++) losses.push(Object.values((await api.train(1)).losses)[0]);
    const bytes = await api.exportCheckpoint();
    const adapter = await navigator.gpu.requestAdapter();
    const subgroups = adapter.features.has("subgroups");
    return { bytes: Array.from(bytes), losses, backend: api.backend, subgroups, stats: await api.engineStats() };
  }, steps);
  assert.deepEqual(page.problems, []);
  await page.close();
  return { ...r, ...checkpointParams(r.bytes) };
}

test("a few steps on WebGPU from the same start and batches give the CPU backend's parameters", async () => {
  const server = await serve({ "/": DIST });
  servers.push(server);
  const browser = await launch({ webgpu: true });
  try {
    const steps = 4;
    const cpu = await trained(browser, server, "cpu", steps);
    const gpu = await trained(browser, server, "webgpu", steps);
    assert.equal(cpu.backend, "cpu");
    assert.equal(gpu.backend, "webgpu");
    // The engine's device was given the adapter's subgroups, which autotune's kernels read.
    const f = gpu.stats.deviceFeatures;
    assert.ok(gpu.subgroups, "Chromium's adapter offers subgroups");
    assert.deepEqual(f.offered, ["subgroups"], JSON.stringify(f));
    assert.ok(f.requested.includes("subgroups"), JSON.stringify(f));
    assert.ok(gpu.stats.dispatches > 0 && cpu.stats.dispatches === 0);
    assert.deepEqual(gpu.header.net, cpu.header.net);
    assert.equal(gpu.params.length, cpu.params.length);
    // Each layer's weights and biases in turn (the header's shapes), compared as vectors: an
    // Adam step moves a weight whose gradient is ~0 by ±lr either way, so elementwise ratios of
    // such weights say nothing about the backends.
    const net = cpu.header.net;
    const dims = [3 + 2 * net.fourier + 4 * net.spatial, ...Array(net.depth).fill(net.width), 2];
    let at = 0;
    const worst = [];
    for (let k = 0; k + 1 < dims.length; k++) {
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
      assert.ok(Math.abs(gpu.losses[i] - cpu.losses[i]) <= 1e-4 * Math.abs(cpu.losses[i]), `losses: ${cpu.losses} vs ${gpu.losses}`);
    }
    // Trained at all: the parameters are not the shared starting point.
    assert.ok(cpu.losses[steps - 1] !== cpu.losses[0]);
  } finally {
    await browser.close();
  }
});
