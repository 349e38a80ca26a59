// Training in the browser: the engine (burn in a Web Worker) trains on WebGPU when asked and on
// the CPU backend when WebGPU is absent, and the loss goes down on both.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { serve } from "./lib/server.mjs";
import { DIST, launch, openPage, screenshot } from "./lib/browser.mjs";

const servers = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function trainLosses(page, first, rounds, chunk) {
  return page.evaluate(
    async ({ first, rounds, chunk }) => {
      const api = window.interplay;
      await api.ready;
      const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const start = [];
      for (let i = 0; i < first; i++) start.push((await api.train(1)).loss_b);
      let r = null;
      for (let i = 0; i < rounds; i++) r = await api.train(chunk);
      const end = [];
      for (let i = 0; i < first; i++) end.push((await api.train(1)).loss_b);
      return { start: mean(start), end: mean(end), steps: r.steps, backend: api.backend, adapter: api.adapter, last: r };
    },
    { first, rounds, chunk },
  );
}

test("trains on WebGPU (SwiftShader) when asked, and the loss falls", async () => {
  const server = await serve({ "/": DIST });
  servers.push(server);
  const browser = await launch({ webgpu: true });
  try {
    const page = await openPage(browser, server.url("/index.html#backend=webgpu&width=16&depth=2&batch=64&lr=0.01"));
    const r = await trainLosses(page, 3, 4, 6);
    assert.equal(r.backend, "webgpu", `backend ${r.backend} (${r.adapter})`);
    assert.ok(Number.isFinite(r.start) && Number.isFinite(r.end), JSON.stringify(r));
    assert.ok(r.end < r.start, `WebGPU loss_b ${r.start} → ${r.end}`);
    assert.ok(r.last.ms > 0 && r.last.losses.s !== undefined);
    await screenshot(page, "engine-webgpu");
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});

test("falls back to the CPU backend without WebGPU, says so, and the loss falls", async () => {
  const server = await serve({ "/": DIST });
  servers.push(server);
  const browser = await launch({ webgpu: false });
  try {
    const page = await openPage(browser, server.url("/index.html#width=32&depth=2&batch=128&lr=0.005"));
    const r = await trainLosses(page, 5, 4, 25);
    assert.equal(r.backend, "cpu");
    assert.ok(r.end < r.start, `CPU loss_b ${r.start} → ${r.end}`);
    const notice = await page.locator(".interplay-app .ip-message").textContent();
    assert.match(notice, /CPU backend/);
    await screenshot(page, "engine-cpu");
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});
