// Training on several cores (CPU backend): with `workers=2` the engine's worker trains each step
// on itself and a helper worker, and the model is the one a single worker trains from the same
// run (the same batches, up to the order of the sums); the panel says how many cores train; a
// helper that dies, or that cannot be loaded, stops training with a message and leaves a model
// that whole steps made, and training goes on on one core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "./lib/server.mjs";
import { DIST, installWorkerClient, launch, openPage, screenshot } from "./lib/browser.mjs";

let server;
let browser;
// The built files without the helper's script, as a host that lost it or a blocker would serve.
const noHelper = mkdtempSync(join(tmpdir(), "interplay-nohelper-"));
for (const f of readdirSync(DIST)) if (f !== "engine-helper.js") symlinkSync(join(DIST, f), join(noHelper, f));

before(async () => {
  server = await serve({ "/": DIST, "/nohelper/": noHelper });
  browser = await launch({ webgpu: false });
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(noHelper, { recursive: true, force: true });
});

const RUN = "backend=cpu&source=schedule-free&checkpoint=none&width=32&depth=2&batch=256&seed=5";

/** `steps` steps through the public API, then 300 samples of the model (ODE, 8 steps). */
async function trainAndSample(page, steps) {
  return page.evaluate(async (steps) => {
    const api = window.interplay;
    await api.ready;
    const r = await api.train(steps);
    const xy = await api.sample(300, { source: "model", steps: 8, eps: 0 });
    return { r, xy: Array.from(xy), workers: api.workers };
  }, steps);
}

const worst = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test("two workers train the model one worker trains, and the panel says two cores train", async () => {
  const two = await openPage(browser, server.url(`/index.html#${RUN}&workers=2`));
  const one = await openPage(browser, server.url(`/index.html#${RUN}&workers=1`));
  const a = await trainAndSample(two, 6);
  const b = await trainAndSample(one, 6);
  assert.equal(a.r.workers, 2, JSON.stringify(a.r));
  assert.equal(a.workers, 2);
  assert.equal(b.r.workers, 1);
  assert.equal(a.r.steps, 6);
  const d = worst(a.xy, b.xy);
  assert.ok(d < 1e-3, `the models of 2 and 1 workers differ: samples apart by up to ${d}`);
  assert.ok(a.xy.some((v, i) => v !== 0 && Number.isFinite(v) && v !== a.xy[i + 1]), "samples are numbers");
  await two.locator(".ip-training-box").scrollIntoViewIfNeeded();
  assert.match(await two.locator(".ip-workers-note").textContent(), /Training on 2 cores/);
  assert.match(await two.locator(".ip-train-status").textContent(), /CPU, 2 cores/);
  assert.match(await one.locator(".ip-workers-note").textContent(), /one core/);
  const stats = await two.evaluate(() => window.interplay.engineStats());
  assert.equal(stats.team.helpers, 1, JSON.stringify(stats.team));
  // A link keeps the choice; a bad one is refused with a message and trains as before.
  assert.match(await two.evaluate(() => window.interplay.link()), /workers=2/);
  await screenshot(two, "workers-two-cores", ".ip-training-box");
  const bad = await openPage(browser, server.url(`/index.html#${RUN}&workers=lots`));
  await bad.evaluate(() => window.interplay.ready);
  assert.match(await bad.locator(".ip-message").textContent(), /workers 'lots' is not a number of cores/);
  assert.equal((await trainAndSample(bad, 1)).r.steps, 1);
  for (const p of [two, one, bad]) {
    assert.deepEqual(p.problems.filter((m) => !/workers 'lots'/.test(m)), []);
    await p.close();
  }
});

test("a helper that dies stops training with a message; the model is whole steps, and training goes on one core", async () => {
  const page = await openPage(browser, server.url(`/index.html#${RUN}`));
  await installWorkerClient(page);
  const out = await page.evaluate(async () => {
    const { worker, call } = window.engineWorker();
    const config = {
      objective: "velocity-score", width: 16, depth: 2, batch: 128, lr: 0.005, seed: 3,
      schedule: { path: "linear", gamma: "brownian", alpha_exp: 1, beta_exp: 1, gamma_scale: 1 },
      target: { name: "checkerboard" }, coupling: "independent",
    };
    const sample = { n: 64, steps: 6, eps: 0, seed: 2, schedule: config.schedule };
    const team = 1, solo = 2;
    await call(team, "create", { backend: "cpu", workers: 2 });
    const formed = await call(team, "configure", { config });
    const first = await call(team, "train", { steps: 3 });
    await call(team, "stopHelper", { index: 0 });
    const t0 = performance.now();
    const failed = await call(team, "train", { steps: 2 });
    const noticedMs = performance.now() - t0;
    const after = await call(team, "train", { steps: 2 });
    const mine = await call(team, "sample", sample);
    await call(solo, "create", { backend: "cpu", workers: 1 });
    await call(solo, "configure", { config });
    const alone = await call(solo, "train", { steps: after.result ? after.result.steps : 1 });
    const theirs = await call(solo, "sample", sample);
    worker.terminate();
    return { formed, first, failed, noticedMs, after, alone, mine: Array.from(mine.result), theirs: Array.from(theirs.result) };
  });
  assert.equal(out.formed.result.workers, 2, JSON.stringify(out.formed));
  assert.equal(out.first.result.workers, 2);
  assert.equal(out.first.result.steps, 3);
  assert.ok(!out.failed.ok, "training with a dead helper fails");
  assert.match(out.failed.error, /helper 1 did not answer/);
  assert.match(out.failed.error, /after 0 steps on 2 workers/);
  assert.ok(out.noticedMs < 30000, `noticed after ${out.noticedMs} ms`);
  // The step in flight never happened: training goes on alone from step 3.
  assert.ok(out.after.ok, JSON.stringify(out.after));
  assert.equal(out.after.result.steps, 5);
  assert.equal(out.after.result.workers, 1);
  assert.match(out.after.result.workersNote, /did not answer/);
  assert.equal(out.alone.result.steps, 5);
  const d = worst(out.mine, out.theirs);
  assert.ok(d < 1e-3, `the model after the failure is not the one whole steps make: samples apart by ${d}`);
  await page.close();
});

test("a helper that cannot be loaded leaves training on one core, and the panel says why", async () => {
  const page = await openPage(browser, server.url(`/nohelper/index.html#${RUN}&workers=2`));
  const a = await trainAndSample(page, 2);
  assert.equal(a.r.steps, 2);
  assert.equal(a.workers, 1);
  await page.locator(".ip-training-box").scrollIntoViewIfNeeded();
  assert.match(await page.locator(".ip-workers-note").textContent(), /one core.*could not be loaded|one core.*stopped/);
  await screenshot(page, "workers-helper-missing", ".ip-training-box");
  await page.close();
});
