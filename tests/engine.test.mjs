// Training in the browser: the engine (burn in a Web Worker) trains on WebGPU when asked and on
// the CPU backend when WebGPU is absent, and the loss goes down on both.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { serve } from "./lib/server.mjs";
import { DIST, installWorkerClient, launch, openPage, screenshot } from "./lib/browser.mjs";
import { timeToQuality } from "./lib/ttq.mjs";
import { trainingWhileWatching } from "./lib/watching.mjs";
import { readFileSync } from "node:fs";

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

test("the engine's contract in the browser: the fixture's requests get the answers they get natively", async () => {
  // The same fixture as crates/interplay-engine/tests/session.rs, posted to the engine's Web
  // Worker as the page posts its requests (the CPU backend).
  const fixture = JSON.parse(readFileSync(new URL("./fixtures/engine-contract.json", import.meta.url), "utf8"));
  const server = await serve({ "/": DIST });
  servers.push(server);
  const browser = await launch({ webgpu: false });
  try {
    const page = await openPage(browser, server.url("/index.html#checkpoint=none"));
    await installWorkerClient(page);
    const results = await page.evaluate(async (requests) => {
      const { worker, call: raw } = window.engineWorker();
      const call = (op, args) => raw(1, op, args);
      const started = await call("create", { backend: "cpu" });
      if (!started.ok) return [{ error: started.error }];
      const out = [];
      for (const r of requests) {
        const a = await call(r.op, r.args);
        const v = a.result;
        const numbers = ArrayBuffer.isView(v) ? v.length : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).filter(([, x]) => ArrayBuffer.isView(x)).map(([k, x]) => [k, x.length])) : null;
        // The short lists of numbers themselves (a shard's losses), for the fixture's `close`.
        const lists = v && typeof v === "object" && !ArrayBuffer.isView(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => (ArrayBuffer.isView(x) || Array.isArray(x)) && x.length <= 16).map(([k, x]) => [k, Array.from(x)])) : {};
        out.push({ ok: a.ok, error: a.error, answer: v && !ArrayBuffer.isView(v) && typeof v === "object" ? v : null, numbers, lists });
      }
      worker.terminate();
      return out;
    }, fixture.requests);
    assert.equal(results.length, fixture.requests.length, JSON.stringify(results[0]));
    fixture.requests.forEach((want, i) => {
      const got = results[i];
      const what = `request ${i} (${want.op}): ${JSON.stringify(got).slice(0, 300)}`;
      if (want.refused) {
        assert.ok(!got.ok && got.error.includes(want.refused), what);
        return;
      }
      assert.ok(got.ok, what);
      for (const [k, v] of Object.entries(want.answer || {})) assert.deepEqual(got.answer[k], v, what);
      for (const [k, { values, rel }] of Object.entries(want.close || {})) {
        const have = got.lists[k] || [];
        assert.ok(have.length === values.length && have.every((g, j) => Math.abs(g - values[j]) <= rel * Math.abs(values[j])), `${what}: ${k} ${JSON.stringify(have)}, the fixture's ${JSON.stringify(values)}`);
      }
      if (typeof want.numbers === "number") assert.equal(got.numbers, want.numbers, what);
      else if (want.numbers) for (const [k, n] of Object.entries(want.numbers)) assert.equal(got.numbers[k], n, what);
    });
  } finally {
    await browser.close();
  }
});

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
    // Said once, beside the Train button, not in the message line as well.
    const notice = await page.locator(".interplay-app .ip-backend-note").textContent();
    assert.match(notice, /CPU backend/);
    assert.equal(await page.locator(".interplay-app .ip-message").textContent(), "");
    await screenshot(page, "engine-cpu");
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});

test("Train pressed while the run is still being set up waits for it instead of failing", async () => {
  // The set-up first tries a checkpoint (here one that is missing, so it ends in `configure`):
  // a train() that arrives meanwhile must wait for that set-up, not race ahead of it.
  const server = await serve({ "/": DIST });
  servers.push(server);
  const browser = await launch({ webgpu: false });
  try {
    const page = await openPage(browser, server.url("/index.html#source=schedule-free&checkpoint=none.ckpt&batch=64"));
    const r = await page.evaluate(async () => {
      const api = window.interplay;
      await api.ready;
      // Two callers at once, as soon as the page is ready: the page's own set-up (the learned
      // source asks for a run) and two trains.
      const [a, b] = await Promise.all([api.train(5), api.train(3)]);
      return { a: a.steps, b: b.steps, backend: api.backend };
    });
    assert.equal(r.backend, "cpu");
    assert.deepEqual([r.a, r.b].sort((x, y) => x - y), [5, 8], JSON.stringify(r));
    // The missing checkpoint is reported once, as a notice, and training went on from scratch.
    const msg = await page.locator(".interplay-app .ip-message").textContent();
    assert.match(msg, /could not be loaded.*from scratch/);
    assert.deepEqual(page.problems.filter((p) => !/404|none\.ckpt/.test(p)), []);
  } finally {
    await browser.close();
  }
});

test("Train pressed while the shipped model loads continues from it", async () => {
  const server = await serve({ "/": DIST });
  servers.push(server);
  const browser = await launch({ webgpu: false });
  try {
    const page = await openPage(browser, server.url("/index.html#source=schedule-free&batch=64"));
    const r = await page.evaluate(async () => {
      const api = window.interplay;
      await api.ready;
      const cfg0 = api.train(2);
      return { steps: (await cfg0).steps, config: JSON.parse(await api.exportConfig()) };
    });
    // The shipped checkpoint was trained for thousands of steps: two more come after them.
    assert.ok(r.steps > 1000, JSON.stringify(r.steps));
    assert.equal(r.config.train.objective, "schedule-free");
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});

test("the time-to-quality benchmark runs end to end on a tiny budget", async () => {
  // Not a timed test: the numbers are the benchmark's (tests/bench.mjs --time-to-quality). This
  // checks that it trains from scratch, samples from the model and scores the samples.
  const server = await serve({ "/": DIST });
  servers.push(server);
  const browser = await launch({ webgpu: false });
  try {
    const { rows, problems } = await timeToQuality(browser, server.url("/index.html"), {
      backend: "cpu",
      source: "schedule-free",
      budgets: [0.5, 1],
      samples: 400,
      sampleSteps: 8,
      hash: "&width=16&depth=2&batch=64",
    });
    assert.equal(rows.length, 2);
    const [a, b] = rows;
    assert.ok(a.steps >= 1 && b.steps > a.steps, JSON.stringify(rows));
    assert.equal(a.backend, "cpu");
    for (const r of rows) {
      assert.ok(r.inSupport >= 0 && r.inSupport <= 1 && Number.isFinite(r.tvFine) && Number.isFinite(r.slicedW2), JSON.stringify(r));
      assert.equal(r.bError.length, 5);
      assert.ok(r.bError.every((v) => Number.isFinite(v) && v > 0), JSON.stringify(r.bError));
    }
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test("after training, the learned particles at t = 1 are the trained model's, not the first networks'", async () => {
  // The particles on screen reach t = 1 early in training; when training changes the model,
  // they flow again from t = 0 under it, so the picture after training shows the trained flow.
  const server = await serve({ "/": DIST });
  servers.push(server);
  const browser = await launch({ webgpu: false });
  try {
    const page = await openPage(browser, server.url("/index.html#source=schedule-free&checkpoint=none&t=1&particles=1000"));
    const r = await page.evaluate(async () => {
      const api = window.interplay;
      await api.ready;
      const inSquares = (csv) => {
        const rows = csv.trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
        const ok = rows.filter(([x, y]) => x >= -4 && x < 4 && y >= -4 && y < 4 && (((Math.floor(x / 2) + Math.floor(y / 2)) % 2) + 2) % 2 === 0);
        return { n: rows.length, frac: ok.length / rows.length };
      };
      await api.train(1);
      await api.whenDrawn();
      const before = inSquares(await api.exportCsv());
      await api.train(400);
      await api.whenDrawn();
      const after = inSquares(await api.exportCsv());
      return { before, after };
    });
    assert.ok(r.before.n > 0 && r.after.n === r.before.n, JSON.stringify(r));
    assert.ok(r.after.frac > 0.8 && r.after.frac > r.before.frac + 0.15, JSON.stringify(r));
    await screenshot(page, "engine-trained-particles");
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});

test("a widget that shows no learned particles never asks the engine for them; one that shows them does", async () => {
  // The learned particles cost the engine's worker about 40 ms a request on the page's network,
  // which training then waits for. A widget with only the training panel (or a figure) does not
  // show them, so it must not ask; and its time animation must not wait for them either.
  const server = await serve({ "/": DIST });
  servers.push(server);
  const browser = await launch({ webgpu: false });
  try {
    const run = "#backend=cpu&source=schedule-free&checkpoint=none&width=16&depth=2&batch=64&t=0.5";
    const out = {};
    for (const views of ["training", "training,lagrangian"]) {
      const page = await openPage(browser, server.url(`/index.html${run}&views=${views}`));
      out[views] = await page.evaluate(async () => {
        const api = window.interplay;
        await api.ready;
        for (let i = 0; i < 4; i++) {
          await api.train(2);
          await api.whenDrawn();
        }
        await new Promise((ok) => setTimeout(ok, 300));
        const s = await api.engineStats();
        // The time animation runs to its end without particles to wait for.
        api.setParams({ t: 0.9 });
        api.play();
        const t0 = performance.now();
        while (api.getParams().t < 1 && performance.now() - t0 < 20000) await new Promise((ok) => setTimeout(ok, 100));
        return { particles: s.viewsByOp.particles || 0, steps: s.steps, learnedTime: api.learnedTime(), t: api.getParams().t, shown: !document.querySelector(".ip-ode-panel").hidden };
      });
      assert.deepEqual(page.problems, [], `${views}: ${page.problems.join("; ")}`);
      await page.close();
    }
    assert.equal(out.training.shown, false);
    assert.equal(out.training.particles, 0, JSON.stringify(out.training));
    assert.equal(out.training.learnedTime, null);
    assert.equal(out.training.t, 1, "the time animation reached t = 1");
    assert.equal(out["training,lagrangian"].shown, true);
    assert.ok(out["training,lagrangian"].particles >= 4, JSON.stringify(out["training,lagrangian"]));
    assert.ok(out["training,lagrangian"].learnedTime !== null);
    assert.equal(out["training,lagrangian"].t, 1);
  } finally {
    await browser.close();
  }
});

test("while it trains, the learned flow plays at the slider's t and both go on", async () => {
  // The engine's worker shares its time between training chunks and the model views; the sweep
  // waits for the learned particles, so the heat map and the particles show the same time.
  const server = await serve({ "/": DIST });
  servers.push(server);
  const browser = await launch({ webgpu: false });
  try {
    const r = await trainingWhileWatching(browser, server.url("/index.html"), {
      hash: "backend=cpu&source=schedule-free&checkpoint=none&width=32&depth=2&batch=128&eps=0.5",
      aloneSteps: 20,
      watchSeconds: 5,
    });
    assert.equal(r.backend, "cpu");
    assert.ok(r.watching.steps > 0, `trained while watching: ${JSON.stringify(r.watching)}`);
    assert.ok(r.engine.views >= 3 && r.engine.trainMs > 0, `views and training both ran: ${JSON.stringify(r.engine)}`);
    assert.ok(r.watching.lagSamples >= 5, JSON.stringify(r.watching));
    // The sweep never runs more than LEARNED_LAG (0.02) ahead of the learned particles.
    assert.ok(r.watching.lagMax <= 0.0201, `learned particles ${r.watching.lagMax} behind the slider`);
    assert.deepEqual(r.problems, []);
  } finally {
    await browser.close();
  }
});

test("on WebGPU, nothing is compiled in steady state while training with the learned flow and density on", async () => {
  // Counted inside the engine's worker (its WebGPU device's createShaderModule and
  // createComputePipeline). Warm-up: training with the learned particles and the model density
  // on until each view has run three times while training (the density after a training chunk
  // first makes a few modules of its own), and the end of time once (the particles' Tweedie
  // jump). Then, across more training chunks, particles at new times and a new particle count
  // and the density at two new times, nothing new may be compiled.
  const server = await serve({ "/": DIST });
  servers.push(server);
  const browser = await launch({ webgpu: true });
  try {
    const page = await openPage(browser, server.url("/index.html#backend=webgpu&source=learned&eulerian=model-density&width=16&depth=2&batch=64&particles=300&t=0.4&views=eulerian,lagrangian,training"));
    const r = await page.evaluate(async () => {
      const api = window.interplay;
      const wait = (ms) => new Promise((ok) => setTimeout(ok, ms));
      const count = (s, k) => (s.viewsByOp && s.viewsByOp[k]) || 0;
      const until = async (from, done, ms) => {
        let s = from;
        for (const end = performance.now() + ms; performance.now() < end && !done(s); ) {
          await wait(1000);
          s = await api.engineStats();
        }
        return s;
      };
      await api.ready;
      await api.train(2);
      for (const t of [1, 0.4]) {
        api.setParams({ t });
        await api.whenDrawn();
      }
      const start = await api.engineStats();
      document.querySelector(".ip-train").click();
      api.play();
      const warm = await until(start, (s) => s.chunks >= start.chunks + 3 && count(s, "particles") >= count(start, "particles") + 3 && count(s, "density") >= count(start, "density") + 3, 300000);
      let resized = false;
      const s = await until(warm, (s) => {
        if (!resized && count(s, "particles") > count(warm, "particles")) {
          api.setParams({ particles: 700 });
          resized = true;
        }
        return s.chunks >= warm.chunks + 6 && count(s, "particles") >= count(warm, "particles") + 3 && count(s, "density") >= count(warm, "density") + 2;
      }, 300000);
      document.querySelector(".ip-train").click();
      api.pause();
      return { start, warm, s, backend: api.backend };
    });
    assert.equal(r.backend, "webgpu");
    assert.ok(r.start.shaderModules > 0, "the warm-up compiled the kernels");
    // Views get a tenth of the worker while training: the steady state sees two densities at
    // new times, not three.
    const ran = (a, b, densities) => b.chunks >= a.chunks + 3 && b.viewsByOp.density >= a.viewsByOp.density + densities;
    assert.ok(ran(r.start, r.warm, 3) && ran(r.warm, r.s, 2), `training and the views ran: ${JSON.stringify(r)}`);
    // The views evaluate the networks with the project's kernels (crates/interplay-nn/src/fused/
    // forward.rs), the density with its divergence: no matrix product of burn's, whose autotune
    // would measure candidates for every new number of points.
    const steady = Object.keys(r.s.kernels).filter((k) => r.s.kernels[k] > (r.warm.kernels[k] || 0));
    assert.ok(steady.some((k) => k.startsWith("output_field_")), `the fused forward ran: ${steady}`);
    assert.deepEqual(steady.filter((k) => k.startsWith("matmul")), [], `burn's matrix products ran: ${steady}`);
    const made = `${JSON.stringify(r.start.modulesByOp)} → ${JSON.stringify(r.warm.modulesByOp)} → ${JSON.stringify(r.s.modulesByOp)}`;
    assert.equal(r.s.shaderModules - r.warm.shaderModules, 0, `shader modules in steady state, by request: ${made}`);
    assert.equal(r.s.pipelines - r.warm.pipelines, 0, `pipelines in steady state: ${made}`);
    assert.ok(r.s.steps > r.warm.steps && r.s.submits > r.warm.submits);
    await screenshot(page, "engine-webgpu-watching");
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});

test("auto takes the CPU over a software WebGPU adapter without a trial of it, says why and remembers it", async () => {
  // Chromium's SwiftShader adapter is a fallback (software) adapter: the CPU backend trains
  // faster there (BENCHMARKS.md), and autotuning its kernels would keep the machine busy for
  // minutes, so the trial times the CPU only. On a hardware adapter both are timed.
  const server = await serve({ "/": DIST });
  servers.push(server);
  const browser = await launch({ webgpu: true });
  try {
    const page = await openPage(browser, server.url("/index.html#source=schedule-free&checkpoint=none&width=32&depth=2&batch=128"));
    const first = await page.evaluate(async () => {
      const api = window.interplay;
      await api.ready;
      await api.train(1);
      return { backend: api.backend, choice: api.backendChoice, stored: JSON.parse(localStorage.getItem("interplay.backend-choice")), note: document.querySelector(".ip-backend-note").textContent };
    });
    const { choice } = first;
    assert.ok(choice && !choice.remembered, JSON.stringify(first));
    assert.ok(choice.rates.cpu > 0 && choice.rates.webgpu === null, JSON.stringify(choice));
    assert.equal(choice.choice, "cpu");
    assert.equal(first.backend, "cpu");
    assert.equal(first.stored.choice, "cpu");
    assert.match(first.note, /chosen by a short trial on this network: CPU [\d.]+ steps\/s, WebGPU not used \(its adapter is a software renderer, where the CPU backend trains faster\)/);
    const stats = await page.evaluate(() => window.interplay.engineStats());
    assert.equal(stats.dispatches, 0, "nothing ran on the software adapter");
    // The same browser later: the remembered choice, no second trial.
    await page.goto("about:blank");
    await page.goto(server.url("/index.html#source=schedule-free&checkpoint=none&width=32&depth=2&batch=128&seed=2"));
    const again = await page.evaluate(async () => {
      const api = window.interplay;
      await api.ready;
      await api.train(1);
      return { backend: api.backend, choice: api.backendChoice, note: document.querySelector(".ip-backend-note").textContent };
    });
    assert.equal(again.choice.remembered, true);
    assert.equal(again.backend, choice.choice);
    assert.deepEqual(again.choice.rates, choice.rates);
    assert.match(again.note, /chosen by an earlier trial in this browser: CPU [\d.]+ steps\/s, WebGPU not used \(its adapter is a software renderer/);
    await screenshot(page, "engine-auto-choice", ".interplay-app .ip-training-box");
    // Forced backends take no trial.
    await page.goto("about:blank");
    await page.goto(server.url("/index.html#backend=cpu&width=16&depth=1&batch=16"));
    const forced = await page.evaluate(async () => {
      await window.interplay.ready;
      await window.interplay.train(1);
      return { backend: window.interplay.backend, choice: window.interplay.backendChoice };
    });
    assert.deepEqual(forced, { backend: "cpu", choice: null });
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});
