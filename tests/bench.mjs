// Browser benchmarks (not tests): bundle sizes, time to the first drawn frame, frame times
// with 20k exact particles, exact-field throughput in wasm, and training steps/s for the
// reference MLP (3×256, batch 1024) on the CPU backend and on WebGPU, in Debian's Chromium.
//
//   node tests/bench.mjs [--quick] [--viewer]   (after `trunk build --release`; --viewer skips training)
//   node tests/bench.mjs --peer [--webgpu | --webgpu-only]
//       training steps/s of one network against TensorFlow.js 4.22 (benches/tfjs, npm ci there)
//       on the same MLP, loss, batch and Adam, in the same Chromium session
//   node tests/bench.mjs --time-to-quality [--budgets 15,30,60] [--sources learned,schedule-free] [--webgpu | --webgpu-only] [--workers 1,2] (default 1) [--against OTHER_DIST]
//       train from scratch for each budget, sample 20 000 points from the model, score them with
//       `interplay eval` (build it: cargo build --release -p interplay-cli); --webgpu adds
//       WebGPU rows (the page shows the training panel alone and its model is scored natively
//       from its checkpoint: the page's sampler on WebGPU waits minutes for autotune on SwiftShader)
//   node tests/bench.mjs --workers-scaling [--counts 1,2] [--rounds 3] [--seconds 8] [--warmup 5] [--sources schedule-free,learned] [--all-views] [--pair] [--against OTHER_DIST]
//       steps/s of the page's network on K workers (CPU backend) through train(n), one session
//       (the training panel alone unless --all-views), after --warmup seconds of training (the
//       first seconds, while V8 optimises the engine's code, are time to quality's business);
//       --pair adds two pages of one worker each training at once: what two workers give
//       without a team, the most a team can reach on the machine; --against OTHER_DIST times
//       each count on another build too, in the same rounds
//   node tests/bench.mjs --watching [--seconds 20] [--webgpu] [--workers 1,2]
//       training steps/s while the learned flow plays (Train pressed, time animation running)
//       against train() alone, the engine's time on model views, the learned particles' lag
//       behind the slider, the page's frames per second and longest frame, and the kernels
//       compiled meanwhile; on the CPU backend for each number of workers
//   node tests/bench.mjs --line [--budgets 2,5,10]
//       the space–time view's Learn b: a fresh network on each target on the line trained for
//       each budget (cumulative) with learnLine(), steps/s and the learned b's error
//   node tests/bench.mjs --flow-map [--budgets 15,30,60,120]
//       the flow-map figure: a map trained in the page for each budget (cumulative), its
//       in-squares fraction for K = 1, 2, 4, 8 jumps, and the map saved then scored natively by
//       `interplay error` (build it: cargo build --release -p interplay-cli)
//   node tests/bench.mjs --idle [--seconds 10] [--rounds 3] [--against OTHER_DIST]
//       what the page costs besides training: frames asked for per second and the main thread's
//       busy time, for the full page left still, for the training panel while 1 and 2 workers
//       train and for the full page with Train pressed (with their steps/s), and on Linux the
//       cores the workers and the rest of Chromium use; --against OTHER_DIST measures another
//       build in the same rounds
//   node tests/bench.mjs --ab OTHER_DIST [--rounds 9] [--webgpu]
//       training steps/s of this build (dist/) against another build of the page (e.g. the
//       engine under another Cargo profile), timed in turns in one session
//   node tests/bench.mjs --soak [--minutes 10] [--webgpu] [--workers K]
//       training on, playing, source and target switched every 4 s; page JS heap, engine wasm
//       memory and live WebGPU buffers sampled every 30 s
//   node tests/bench.mjs --learned-views [--against OTHER_DIST] [--sources schedule-free,learned] [--steps 200]
//       the learned views on WebGPU: a checkpoint trained on the CPU loaded into a WebGPU page,
//       2000 model samples and the quality numbers timed cold and warm (and the pipelines
//       compiled), beside the CPU backend's times; with --against, another build on WebGPU too
//   node tests/bench.mjs --profile [--sources schedule-free,learned] [--width 128] [--batch 1024]
//       one WebGPU training step taken apart: dispatches per step by kernel (the pipelines'
//       labels) and submits (each kernel's time: `interplay bench --train-device wgpu --kernel-times`)
//
// Prints a Markdown table for BENCHMARKS.md. Numbers are medians of a few runs in one session.
import { readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { cpus, tmpdir } from "node:os";
import { serve } from "./lib/server.mjs";
import { DIST, launch, openPage } from "./lib/browser.mjs";
import { interplayBin, timeToQuality, ttqRow } from "./lib/ttq.mjs";
import { trainingWhileWatching } from "./lib/watching.mjs";
import { soak } from "./lib/soak.mjs";
import { abTraining } from "./lib/ab.mjs";
import { learnedViews } from "./lib/learned-views.mjs";
import { pageCost } from "./lib/idle.mjs";

/** The middle value of `xs` (the upper of the two middle ones for an even count). */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The value after flag `name` on the command line, or `dflt`. */
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};

if (process.argv.includes("--peer")) {
  const PEER = join(DIST, "..", "benches", "tfjs");
  const server = await serve({ "/": DIST, "/peer/": PEER });
  const out = [];
  const cases = process.argv.includes("--webgpu-only") ? [] : [["cpu", "wasm", false]];
  if (process.argv.includes("--webgpu") || process.argv.includes("--webgpu-only")) cases.push(["webgpu", "webgpu", true]);
  for (const [ours, theirs, webgpu] of cases) {
    const browser = await launch({ webgpu });
    for (const [width, batch, steps] of [[256, 1024, 10], [128, 1024, 30]]) {
      // On WebGPU the first steps of each shape race autotune's candidates, whose results
      // arrive on the worker's event loop: warm up over several awaited steps before timing.
      const [warm, n] = webgpu ? [6, 4] : [3, steps];
      // No learned view is shown: the peer draws nothing either, and the engine's worker then
      // spends the timed steps on training alone.
      const page = await openPage(browser, server.url(`/index.html#backend=${ours}&source=schedule-free&checkpoint=none&width=${width}&depth=3&batch=${batch}&views=training`));
      const me = await page.evaluate(async ({ warm, n }) => {
        const api = window.interplay;
        await api.ready;
        for (let i = 0; i < warm; i++) await api.train(1);
        const before = await api.engineStats();
        const t0 = performance.now();
        await api.train(n);
        const rate = (1000 * n) / (performance.now() - t0);
        const after = await api.engineStats();
        const perStep = Object.fromEntries(["dispatches", "submits", "shaderModules"].map((k) => [k, (after[k] - before[k]) / n]));
        return { rate, backend: api.backend, adapter: api.adapter, perStep };
      }, { warm, n });
      await page.close();
      const peer = await openPage(browser, server.url("/peer/peer.html"));
      const tf = await peer.evaluate((o) => window.peer(o), { backend: theirs, width, depth: 3, batch, steps: n });
      await peer.close();
      const per = (p) => (p ? ` (${p.dispatches} dispatches, ${p.submits} submits per step)` : "");
      const note = `${me.backend} (${me.adapter})${webgpu ? per(me.perStep) : ""} vs TensorFlow.js ${tf.backend}${webgpu ? per(tf.perStep) : ""}`;
      out.push(`| one ${width}-wide 3-layer net (schedule-free D), batch ${batch}, ${note} | ${me.rate.toFixed(2)} | ${tf.rate.toFixed(2)} | **${(me.rate / tf.rate).toFixed(2)}×** |`);
      console.error(out[out.length - 1]);
    }
    await browser.close();
  }
  await server.close();
  console.log(`Machine: ${cpus().length} × ${cpus()[0].model}; Chromium headless; one session.`);
  console.log("| network | Interplay steps/s | TensorFlow.js steps/s | ratio |\n|---|---|---|---|");
  console.log(out.join("\n"));
  process.exit(0);
}

if (process.argv.includes("--profile")) {
  const server = await serve({ "/": DIST });
  const browser = await launch({ webgpu: true });
  const width = Number(arg("--width", "128"));
  const batch = Number(arg("--batch", "1024"));
  const sources = arg("--sources", "schedule-free,learned").split(",");
  for (const source of sources) {
    // No learned view is shown, so that the counts are a training step's alone.
    const page = await openPage(browser, server.url(`/index.html#backend=webgpu&source=${source}&checkpoint=none&width=${width}&depth=3&batch=${batch}&views=training`));
    const r = await page.evaluate(async () => {
      const api = window.interplay;
      await api.ready;
      // Autotune's results arrive over several awaited steps: warm up before counting (a
      // fractional count per step means some step still ran a candidate).
      for (let i = 0; i < 10; i++) await api.train(1);
      const n = 4;
      const before = await api.engineStats();
      await api.train(n);
      const after = await api.engineStats();
      const kernels = {};
      for (const [k, v] of Object.entries(after.kernels)) {
        const d = (v - (before.kernels[k] || 0)) / n;
        if (d > 0) kernels[k] = d;
      }
      const per = (k) => (after[k] - before[k]) / n;
      const adapter = await navigator.gpu.requestAdapter();
      return {
        backend: api.backend,
        kernels,
        dispatches: per("dispatches"),
        submits: per("submits"),
        pipelines: per("pipelines"),
        timestamps: adapter ? adapter.features.has("timestamp-query") : false,
      };
    });
    await page.close();
    // Kernel labels carry their element types and line sizes: group by the name before them.
    const groups = {};
    for (const [k, v] of Object.entries(r.kernels)) {
      const g = k.replace(/_[0-9a-f]{8}$/, "").replace(/_(f32|u32|i32|lhs|in)_.*$/, "").replace(/_[a-z]$/, "");
      groups[g] = (groups[g] || 0) + v;
    }
    console.log(`\n${source} ${width}×3, batch ${batch} on ${r.backend}: ${r.dispatches} dispatches, ${r.submits} submits, ${r.pipelines} pipelines compiled per step; timestamp queries: ${r.timestamps ? "offered" : "not offered"}`);
    console.log("| kernel | dispatches per step |\n|---|---|");
    for (const [k, v] of Object.entries(groups).sort((a, b) => b[1] - a[1])) console.log(`| ${k} | ${v} |`);
    console.error(JSON.stringify(r.kernels));
  }
  await browser.close();
  await server.close();
  process.exit(0);
}

if (process.argv.includes("--dpr")) {
  // What drawing at the screen's pixel ratio costs: the same page at device scale factor 1 and
  // 2 in one session, in turns (1, 2, 2, 1, …): time to the first drawn frame and the frame
  // interval while 20 000 exact particles play.
  const rounds = Number(arg("--rounds", "4"));
  const server = await serve({ "/": DIST });
  const browser = await launch({ webgpu: false });
  const one = async (dpr) => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1300 }, deviceScaleFactor: dpr });
    await page.goto(server.url("/index.html#particles=20000&t=0"));
    const r = await page.evaluate(async () => {
      const api = window.interplay;
      await api.ready;
      await api.whenDrawn();
      const first = performance.now();
      api.play();
      const gaps = [];
      let last = performance.now();
      const end = last + 3000;
      await new Promise((ok) => {
        const tick = (now) => {
          gaps.push(now - last);
          last = now;
          if (now < end) requestAnimationFrame(tick);
          else ok();
        };
        requestAnimationFrame(tick);
      });
      api.pause();
      gaps.sort((a, b) => a - b);
      return { first, median: gaps[gaps.length >> 1], p95: gaps[Math.floor(gaps.length * 0.95)] };
    });
    await page.close();
    return r;
  };
  const got = { 1: [], 2: [] };
  for (let i = 0; i < rounds; i++) for (const d of i % 2 ? [2, 1] : [1, 2]) got[d].push(await one(d));
  const med = (k, d) => {
    const xs = got[d].map((r) => r[k]).sort((a, b) => a - b);
    return xs[xs.length >> 1];
  };
  console.log(`Machine: ${cpus().length} × ${cpus()[0].model}; Chromium headless, CPU (no WebGPU); one session, ${rounds} rounds each.`);
  console.log("| device pixel ratio | first drawn frame | frame interval, 20k particles playing (median, p95) |\n|---|---|---|");
  for (const d of [1, 2]) console.log(`| ${d} | ${med("first", d).toFixed(0)} ms | ${med("median", d).toFixed(1)} ms, ${med("p95", d).toFixed(1)} ms |`);
  await browser.close();
  await server.close();
  process.exit(0);
}

if (process.argv.includes("--learned-views")) {
  const other = arg("--against");
  const server = await serve(other ? { "/this/": DIST, "/other/": other } : { "/this/": DIST });
  const urls = { this: server.url("/this/index.html") };
  if (other) urls.other = server.url("/other/index.html");
  const browser = await launch({ webgpu: true });
  const steps = Number(arg("--steps", "200"));
  console.log(`this: ${DIST}${other ? `; other: ${other}` : ""}. Machine: ${cpus().length} × ${cpus()[0].model}; Chromium headless (SwiftShader); one session.`);
  console.log("| objective | build, backend | 2000 samples cold / warm (s) | quality numbers cold / warm (s) | pipelines compiled cold / warm | burn matmul kernels run |\n|---|---|---|---|---|---|");
  for (const source of arg("--sources", "schedule-free,learned").split(",")) {
    const rows = await learnedViews(browser, urls, { source, steps });
    for (const r of rows) {
      console.error(JSON.stringify(r));
      const s = (x) => (x / 1000).toFixed(2);
      console.log(`| ${source} | ${r.build}, ${r.backend} | ${s(r.cold.sample)} / ${s(r.warm.sample)} | ${s(r.cold.quality)} / ${s(r.warm.quality)} | ${r.pipelines.cold} / ${r.pipelines.warm} | ${r.matmulKernels} |`);
    }
  }
  await browser.close();
  await server.close();
  process.exit(0);
}

if (process.argv.includes("--idle")) {
  const seconds = Number(arg("--seconds", "10"));
  const rounds = Number(arg("--rounds", "3"));
  const other = arg("--against");
  const server = await serve(other ? { "/a/": DIST, "/b/": other } : { "/": DIST });
  const builds = other ? [["/a/", "this"], ["/b/", other]] : [["/", "this"]];
  const browser = await launch({ webgpu: false });
  const training = (workers) => ({
    hash: `#backend=cpu&source=schedule-free&checkpoint=none&workers=${workers}&views=training`,
    before: (page) =>
      page.evaluate(async () => {
        await window.interplay.train(5);
        const t0 = performance.now();
        while (performance.now() - t0 < 5000) await window.interplay.train(20);
      }),
    work: async (s) => {
      let steps = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < s * 1000) {
        await window.interplay.train(20);
        steps += 20;
      }
      return (1000 * steps) / (performance.now() - t0);
    },
  });
  // The full page with Train pressed: the learned views take their share of the engine's time.
  const pressed = (workers) => ({
    hash: `#backend=cpu&source=schedule-free&checkpoint=none&workers=${workers}`,
    before: (page) =>
      page.evaluate(async () => {
        await window.interplay.train(5);
        document.querySelector(".interplay-app .ip-train").click();
        await new Promise((ok) => setTimeout(ok, 5000));
      }),
    work: async (s) => {
      const a = await window.interplay.engineStats();
      const t0 = performance.now();
      await new Promise((ok) => setTimeout(ok, s * 1000));
      const b = await window.interplay.engineStats();
      return (1000 * (b.steps - a.steps)) / (performance.now() - t0);
    },
  });
  const cases = [
    ["the full page, still", { hash: "" }],
    ["1 worker training (panel alone)", training(1)],
    ["2 workers training (panel alone)", training(2)],
    ["1 worker training, every view (Train pressed)", pressed(1)],
    ["2 workers training, every view (Train pressed)", pressed(2)],
  ];
  const rows = [];
  for (let round = 0; round < rounds; round++) {
    for (const [name, c] of cases) {
      for (const [path, build] of round % 2 ? [...builds].reverse() : builds) {
        const r = await pageCost(browser, server.url(`${path}index.html${c.hash}`), { seconds, before: c.before, work: c.work });
        const row = { case: name, build, round, ...r };
        console.error(JSON.stringify(row));
        rows.push(row);
      }
    }
  }
  await browser.close();
  await server.close();
  const f = (v, d = 3) => (v === null || v === undefined ? "–" : v.toFixed(d));
  console.log(`Machine: ${cpus().length} × ${cpus()[0].model}; Chromium headless, CPU backend; ${rounds} rounds of ${seconds} s, medians.`);
  console.log("| page | build | frames asked /s | main thread busy (cores) | workers (cores) | rest of Chromium (cores) | steps/s |\n|---|---|---|---|---|---|---|");
  for (const [name] of cases) {
    for (const [, build] of builds) {
      const mine = rows.filter((r) => r.case === name && r.build === build);
      const m = (k) => (mine.every((r) => r[k] !== null) ? median(mine.map((r) => r[k])) : null);
      console.log(`| ${name} | ${build} | ${f(m("framesPerSecond"), 1)} | ${f(m("mainBusy"))} | ${f(m("workerCores"))} | ${f(m("browserCores"))} | ${f(m("result"), 2)} |`);
    }
  }
  process.exit(0);
}

if (process.argv.includes("--ab")) {
  const other = arg("--ab");
  const rounds = Number(arg("--rounds", "9"));
  const server = await serve({ "/a/": DIST, "/b/": other });
  const urls = { a: server.url("/a/index.html"), b: server.url("/b/index.html") };
  console.log(`a: ${DIST}; b: ${other}. Machine: ${cpus().length} × ${cpus()[0].model}; Chromium headless; one session.`);
  console.log("| backend | network, batch | a steps/s | b steps/s | b / a | b / a in single rounds | rounds |\n|---|---|---|---|---|---|---|");
  const cases = [["cpu", false, [[256, 1024, 10], [128, 1024, 30]]]];
  if (process.argv.includes("--webgpu")) cases.push(["webgpu", true, [[128, 1024, 1]]]);
  for (const [backend, webgpu, nets] of cases) {
    const browser = await launch({ webgpu });
    const rows = await abTraining(browser, urls, { backend, cases: nets, rounds: webgpu ? Math.min(rounds, 3) : rounds });
    for (const r of rows) {
      console.error(JSON.stringify(r));
      console.log(`| ${r.backend} | 3 × ${r.width}, ${r.batch} | ${r.a.toFixed(3)} | ${r.b.toFixed(3)} | **${r.ratio.toFixed(2)}** | ${r.low.toFixed(2)} – ${r.high.toFixed(2)} | ${r.rounds} × ${r.steps} steps |`);
    }
    await browser.close();
  }
  await server.close();
  process.exit(0);
}

if (process.argv.includes("--workers-scaling")) {
  // Steps/s of the page's network (schedule-free D and b-and-s, 3 × 128, batch 1024) through the
  // public API (`train(n)`), for each number of workers, in one browser session, in alternating
  // rounds (the machine is shared, so only ratios within a round mean much). The engine's own
  // time (the reports' ms) is beside the page's.
  const counts = arg("--counts", "1,2").split(",").map(Number);
  // The training panel alone (as --ab times it), unless --all-views: then the learned views ask
  // the engine for particles between the requests, as on the full page.
  const views = process.argv.includes("--all-views") ? "" : "&views=training";
  const rounds = Number(arg("--rounds", "3"));
  const seconds = Number(arg("--seconds", "8"));
  const warmup = Number(arg("--warmup", "5"));
  const pair = process.argv.includes("--pair");
  // With --against OTHER_DIST, every count is timed on that build too ("K@b"), in the same rounds.
  const other = arg("--against");
  // (Each build under a path of its own: a service worker's scope never covers the other.)
  const server = await serve(other ? { "/a/": DIST, "/b/": other } : { "/": DIST });
  const browser = await launch({ webgpu: false });
  const rates = {};
  const open = async (source, k) => {
    const [workers, build = other ? "a" : ""] = String(k).split("@");
    const page = await openPage(browser, server.url(`/${build ? `${build}/` : ""}index.html#backend=cpu&source=${source}&checkpoint=none&workers=${workers}${views}`));
    await page.evaluate(async (warmup) => {
      const api = window.interplay;
      await api.ready;
      await api.train(5); // the engine, the run and the helpers set up
      const t0 = performance.now();
      while (performance.now() - t0 < warmup * 1000) await api.train(20);
    }, warmup);
    return page;
  };
  const timed = (page) =>
    page.evaluate(async (seconds) => {
      const api = window.interplay;
      let steps = 0;
      let engineMs = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < seconds * 1000) {
        const r = await api.train(20);
        steps += 20;
        engineMs += r.ms;
      }
      return { steps, pageMs: performance.now() - t0, engineMs, workers: api.workers };
    }, seconds);
  for (const source of arg("--sources", "schedule-free,learned").split(",")) {
    for (let round = 0; round < rounds; round++) {
      const cases = [...counts, ...(pair ? ["pair"] : []), ...(other ? counts.map((k) => `${k}@b`) : [])];
      for (const k of round % 2 ? cases.reverse() : cases) {
        let r;
        if (k === "pair") {
          // Two pages of one worker each, timed at once: their steps/s added up.
          const pages = [await open(source, 1), await open(source, 1)];
          const both = await Promise.all(pages.map(timed));
          for (const p of pages) await p.close();
          const sum = (f) => f(both[0]) + f(both[1]);
          r = { steps: sum((b) => b.steps), workers: 2, rate: sum((b) => (1000 * b.steps) / b.pageMs), engineRate: sum((b) => (1000 * b.steps) / b.engineMs) };
        } else {
          const page = await open(source, k);
          r = await timed(page);
          await page.close();
        }
        const row = { source, k, round, rate: (1000 * r.steps) / r.pageMs, engineRate: (1000 * r.steps) / r.engineMs, ...r };
        console.error(JSON.stringify(row));
        ((rates[source] ??= {})[k] ??= []).push(row);
      }
    }
  }
  await browser.close();
  await server.close();
  console.log(`Machine: ${cpus().length} × ${cpus()[0].model}; Chromium headless, CPU backend; ${rounds} rounds of ${seconds} s per count after ${warmup} s of training, alternating; ${views ? "the training panel alone" : "every view"}.`);
  console.log("| network | workers | steps/s (page, median) | steps/s (engine, median) | × one worker (median of rounds) |\n|---|---|---|---|---|");
  for (const [source, byK] of Object.entries(rates)) {
    const base = byK[counts[0]];
    for (const k of [...counts, ...(pair ? ["pair"] : []), ...(other ? counts.map((k) => `${k}@b`) : [])]) {
      const rows = byK[k];
      const ratios = rows.map((r, i) => r.rate / base[i].rate);
      const label = k === "pair" ? "2 pages × 1, at once" : String(k).endsWith("@b") ? `${parseInt(k)} (${other})` : k;
      console.log(`| ${source}, 3 × 128, batch 1024 | ${label} | ${median(rows.map((r) => r.rate)).toFixed(2)} | ${median(rows.map((r) => r.engineRate)).toFixed(2)} | ${median(ratios).toFixed(2)} |`);
    }
  }
  process.exit(0);
}

if (process.argv.includes("--time-to-quality")) {
  const budgets = arg("--budgets", "15,30,60").split(",").map(Number);
  // With --against OTHER_DIST, every case also on that build ("… (OTHER_DIST)"), right after.
  const other = arg("--against");
  const server = await serve(other ? { "/a/": DIST, "/b/": other } : { "/": DIST });
  const builds = other ? [["/a/", ""], ["/b/", ` (${other})`]] : [["/", ""]];
  const out = [];
  const cases = process.argv.includes("--webgpu-only") ? [] : [["cpu", false]];
  if (process.argv.includes("--webgpu") || process.argv.includes("--webgpu-only")) cases.push(["webgpu", true]);
  for (const [backend, webgpu] of cases) {
    const browser = await launch({ webgpu });
    for (const source of arg("--sources", "learned,schedule-free").split(",")) {
      for (const workers of arg("--workers", "1").split(",").map(Number)) {
        // On WebGPU the learned views and the page's sampler run burn's own products, which on a
        // software adapter wait minutes for autotune: that page shows the training panel alone,
        // and its model is scored natively from its checkpoint (the same sampler and metrics).
        const hash = `&workers=${workers}${webgpu ? "&views=training" : ""}`;
        for (const [path, label] of builds) {
          const { rows, problems } = await timeToQuality(browser, server.url(`${path}index.html`), { backend, source, budgets, hash, native: webgpu });
          for (const r of rows) {
            console.error(JSON.stringify({ ...r, workers, build: label }));
            out.push(ttqRow({ ...r, backend: `${workers === 1 ? r.backend : `${r.backend}, ${workers} workers`}${label}` }));
          }
          if (problems.length) console.error(`${source} on ${backend}${label}: page problems: ${problems.join("; ")}`);
        }
      }
    }
    await browser.close();
  }
  await server.close();
  console.log(`Machine: ${cpus().length} × ${cpus()[0].model}; Chromium headless.`);
  console.log("| field source | backend | budget | steps | steps/s | in squares | TV 16² | TV 32² | sliced W2 | b error at t = 0.1, 0.3, 0.5, 0.7, 0.9 |");
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  console.log(out.join("\n"));
  process.exit(0);
}

if (process.argv.includes("--line")) {
  const budgets = arg("--budgets", "2,5,10").split(",").map(Number);
  const server = await serve({ "/": DIST });
  const browser = await launch({ webgpu: false });
  const rows = [];
  for (const line of ["checkerboard", "gmm", "bars"]) {
    const page = await openPage(browser, server.url(`/index.html#views=spacetime&line=${line}`));
    await page.evaluate(() => window.interplay.ready);
    let spent = 0;
    for (const b of budgets) {
      const r = await page.evaluate((ms) => window.interplay.learnLine(ms), 1000 * (b - spent));
      spent = b;
      rows.push({ line, budget: b, ...r });
      console.error(JSON.stringify(rows.at(-1)));
    }
    await page.close();
  }
  await browser.close();
  await server.close();
  const pct = (v) => (100 * v).toFixed(1);
  console.log(`Machine: ${cpus().length} × ${cpus()[0].model}; Chromium headless, CPU backend.`);
  console.log("| target on the line | training | steps | b error (%) at t = 0.1, 0.3, 0.5, 0.7, 0.9 |");
  console.log("|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.line} | ${r.budget} s | ${r.steps} | ${r.bError.map(pct).join(", ")} |`);
  process.exit(0);
}

if (process.argv.includes("--flow-map")) {
  // The flow-map figure from pressing Train the map: cumulative budgets of training in the page
  // (CPU backend), the figure's own in-squares fraction of its 1200 points for each K, and the
  // map saved at each budget scored natively by `interplay error` (20 000 points, 32 × 32 TV).
  const budgets = arg("--budgets", "15,30,60,120").split(",").map(Number);
  const cli = interplayBin();
  const server = await serve({ "/": DIST });
  const browser = await launch({ webgpu: false });
  const page = await openPage(browser, server.url("/index.html#views=flowmap&backend=cpu"));
  await page.evaluate(() => window.interplay.ready);
  const rows = [];
  let spent = 0;
  for (const b of budgets) {
    const r = await page.evaluate((ms) => window.interplay.trainFlowMap(ms), 1000 * (b - spent));
    spent = b;
    const page_k = {};
    for (const k of [1, 2, 4, 8]) page_k[k] = (await page.evaluate((k) => window.interplay.setFlowMapJumps(k), k)).jumps.inSquares[0];
    const bytes = await page.evaluate(async () => [...(await window.interplay.exportFlowMap())]);
    const file = join(tmpdir(), `interplay-bench-map-${b}.ckpt`);
    writeFileSync(file, Buffer.from(bytes));
    const out = JSON.parse(execFileSync(cli, ["error", "--model", file, "--n", "20000"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
    const mean = r.errors.error.reduce((a, v) => a + v, 0) / r.errors.error.length;
    rows.push({ budget: b, steps: r.steps, page_k, mean, native: out.few_step });
    console.error(JSON.stringify(rows.at(-1)));
  }
  await browser.close();
  await server.close();
  const f = (v) => v.toFixed(3);
  console.log(`Machine: ${cpus().length} × ${cpus()[0].model}; Chromium headless, CPU backend; the page's schedule (linear, γ brownian) on the checkerboard.`);
  console.log("| training | steps | in the squares, page (1200 points): K = 1 · 2 · 4 · 8 | mean E\\|X̂ − X\\| over the triangle | `interplay error` (20 000 points): K = 1 · 2 · 4 · 8, in squares / TV | Euler of v̂, K = 1 |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) {
    const nat = r.native.map((x) => `${f(x.map.in_support)} / ${f(x.map.tv)}`).join(" · ");
    const e1 = r.native[0].euler;
    console.log(`| ${r.budget} s | ${r.steps} | ${[1, 2, 4, 8].map((k) => f(r.page_k[k])).join(" · ")} | ${f(r.mean)} | ${nat} | ${f(e1.in_support)} / ${f(e1.tv)} |`);
  }
  process.exit(0);
}

if (process.argv.includes("--no-data")) {
  // The "no data" figure from pressing Train the drift: cumulative budgets of training in the
  // page (CPU backend) for each energy, and the figure's own numbers at τ = 1 for the learned
  // drift and for b̂ = 0 (2000 walkers, 100 steps, ε = 1): ESS, log Z error, weighted TV.
  const budgets = arg("--budgets", "10,20,40").split(",").map(Number);
  const energies = arg("--energies", "gmm,rings,checkerboard").split(",");
  const server = await serve({ "/": DIST });
  const browser = await launch({ webgpu: false });
  const rows = [];
  for (const energy of energies) {
    const page = await openPage(browser, server.url(`/index.html#views=nodata&backend=cpu&energy=${energy}`));
    await page.evaluate(() => window.interplay.ready);
    let spent = 0;
    for (const b of budgets) {
      const r = await page.evaluate((ms) => window.interplay.trainNoData(ms), 1000 * (b - spent));
      spent = b;
      rows.push({ budget: b, ...r });
      console.error(JSON.stringify(rows.at(-1)));
    }
    await page.close();
  }
  await browser.close();
  await server.close();
  const f = (v) => (v === null ? "–" : v.toFixed(3));
  console.log(`Machine: ${cpus().length} × ${cpus()[0].model}; Chromium headless, CPU backend, one worker; the figure's 2000 walkers, 100 steps, ε = 1.`);
  console.log("| energy | training | steps | ESS at τ = 1 (b̂ = 0 / learned) | log Z error (b̂ = 0 / learned) | weighted TV 16² (b̂ = 0 / learned) |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) {
    const err = (v) => (v === null ? null : v - r.logZ.exact);
    console.log(`| ${r.energy} | ${r.budget} s | ${r.steps} | ${f(r.ess.alone)} / ${f(r.ess.learned)} | ${f(err(r.logZ.alone))} / ${f(err(r.logZ.learned))} | ${f(r.tv.alone)} / ${f(r.tv.learned)} |`);
  }
  process.exit(0);
}

if (process.argv.includes("--soak")) {
  const minutes = Number(arg("--minutes", "10"));
  const webgpu = process.argv.includes("--webgpu");
  const server = await serve({ "/": DIST });
  const browser = await launch({ webgpu });
  const workers = Number(arg("--workers", "1"));
  const hash = (webgpu ? "backend=webgpu&width=16&depth=2&batch=64&particles=1000" : "backend=cpu&eps=0.5&checkpoint=none") + (workers > 1 ? `&workers=${workers}` : "");
  const r = await soak(browser, server.url("/index.html"), { hash, minutes });
  await browser.close();
  await server.close();
  const f = (x) => x.toFixed(1);
  console.log(`Machine: ${cpus().length} × ${cpus()[0].model}; Chromium headless; ${minutes} min, ${r.switches} switches of source and target, backend ${r.backend}, \`${hash}\`.`);
  console.log("| minute | page JS heap (MB, after GC) | engine wasm memory (MB) | helpers' wasm memory (MB each) | live WebGPU buffers | shader modules | steps | views |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const s of r.samples) console.log(`| ${f(s.minute)} | ${f(s.jsHeapMB)} | ${f(s.wasmMB)} | ${s.helperMB.map(f).join(", ") || "–"} | ${s.gpuBuffers} | ${s.shaderModules} | ${s.steps} | ${s.views} |`);
  if (r.problems.length) console.log(`page problems: ${r.problems.join("; ")}`);
  process.exit(0);
}

if (process.argv.includes("--watching")) {
  // Training while the learned flow plays, against training alone, in one session.
  const seconds = Number(arg("--seconds", "20"));
  const server = await serve({ "/": DIST });
  const cases = arg("--workers", "1").split(",").map((k) => ["cpu", false, `backend=cpu&source=schedule-free&checkpoint=none&eps=0.5&workers=${k}`, 200]);
  // SwiftShader is slow: a small network, so that a run ends in minutes.
  if (process.argv.includes("--webgpu")) cases.push(["webgpu", true, "backend=webgpu&source=learned&width=16&depth=2&batch=64&particles=1000", 8]);
  const out = [];
  for (const [backend, webgpu, hash, aloneSteps] of cases) {
    const browser = await launch({ webgpu });
    const r = await trainingWhileWatching(browser, server.url("/index.html"), { hash, aloneSteps, watchSeconds: seconds });
    console.error(JSON.stringify(r));
    const e = r.engine;
    const f = (x, d = 2) => (x === null || x === undefined ? "–" : Number(x).toFixed(d));
    out.push(
      `| ${backend} (${r.adapter}) | \`${hash}\` | ${f(r.aloneRate)} | ${f(r.watchingRate)} | ${f(r.watchingRate / r.aloneRate)} | ` +
        `${e ? f(e.viewMs / (e.viewMs + e.trainMs)) : "–"} | ${e ? f(e.longestViewWhileTrainingMs, 0) : "–"} | ${f(r.watching.tPerSecond, 3)} | ` +
        `${f(r.watching.lagMedian, 3)} / ${f(r.watching.lagMax, 3)} | ${f(r.watching.framesPerSecond, 1)} / ${f(r.watching.longestFrameMs, 0)} | ${e ? `${e.shaderModules} / ${e.pipelines}` : "–"} |`,
    );
    if (r.problems.length) console.error(`page problems: ${r.problems.join("; ")}`);
    await browser.close();
  }
  await server.close();
  console.log(`Machine: ${cpus().length} × ${cpus()[0].model}; Chromium headless; ${seconds} s watching.`);
  console.log("| backend | page | steps/s alone | steps/s watching | ratio | view share of engine time | longest view while training (ms) | t per second while playing | lag of the learned particles (median / max) | page frames per second / longest frame (ms) | shader modules / pipelines created while watching |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  console.log(out.join("\n"));
  process.exit(0);
}

const quick = process.argv.includes("--quick");
const rows = [];
const row = (what, value, note = "") => {
  rows.push(`| ${what} | ${value} | ${note} |`);
  console.error(`${what}: ${value} ${note}`);
};

// Sizes.
for (const [name, file] of [["viewer wasm", "interplay-web_bg.wasm"], ["engine wasm", "interplay-engine_bg.wasm"]]) {
  const bytes = readFileSync(join(DIST, file));
  row(`${name} (${file})`, `${(bytes.length / 1e6).toFixed(2)} MB raw, ${(gzipSync(bytes, { level: 9 }).length / 1e6).toFixed(2)} MB gzip`);
}
const js = ["interplay.js", "controls.js", "options.js", "engine-session.js", "model-views.js", "frame-loop.js", "hand-drawing.js", "share.js", "spacetime-pick.js", "flow-pick.js", "viewer-guard.js", "theme.js", "png-export.js", "line-learning.js", "eps-explorer.js", "triangle.js", "flow-map.js", "no-data.js", "weight-curves.js", "figure-training.js", "engine-client.js", "engine-worker.js", "engine-scheduler.js", "engine-team.js", "engine-helper.js", "interplay-web.js", "embed.js"].map((f) => readFileSync(join(DIST, f)));
row("viewer JavaScript (7 modules)", `${(js.reduce((a, b) => a + b.length, 0) / 1e3).toFixed(0)} KB raw, ${(js.reduce((a, b) => a + gzipSync(b, { level: 9 }).length, 0) / 1e3).toFixed(0)} KB gzip`);

const server = await serve({ "/": DIST });
const gpu = await launch({ webgpu: true });
const cpu = await launch({ webgpu: false });

// Time to the first drawn frame (navigation start → exact Eulerian and Lagrangian views drawn).
{
  const times = [];
  for (let i = 0; i < (quick ? 2 : 5); i++) {
    const page = await openPage(gpu, server.url("/index.html"));
    times.push(
      await page.evaluate(async () => {
        await window.interplay.ready;
        await window.interplay.whenDrawn();
        return performance.now();
      }),
    );
    await page.close();
  }
  row("time to first drawn frame (viewer only, local server)", `${median(times).toFixed(0)} ms`, `median of ${times.length}; 5000 particles integrated to t = 0.5 first`);
}

// Frames while playing with 20k exact particles.
{
  const page = await openPage(gpu, server.url("/index.html#particles=20000&t=0"), { width: 1100, height: 1300 });
  const r = await page.evaluate(async () => {
    const api = window.interplay;
    await api.ready;
    await api.whenDrawn();
    api.play();
    const gaps = [];
    const long = [];
    const obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => long.push(e.duration)));
    try {
      obs.observe({ type: "longtask" });
    } catch (_) {}
    let last = performance.now();
    const end = last + 4000;
    await new Promise((ok) => {
      const tick = (now) => {
        gaps.push(now - last);
        last = now;
        if (now < end) requestAnimationFrame(tick);
        else ok();
      };
      requestAnimationFrame(tick);
    });
    api.pause();
    obs.disconnect();
    gaps.sort((a, b) => a - b);
    return { median: gaps[gaps.length >> 1], p95: gaps[Math.floor(gaps.length * 0.95)], frames: gaps.length, long: long.length, t: api.getParams().t };
  });
  row("frame interval, 20k exact particles playing", `median ${r.median.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms`, `${r.frames} frames in 4 s; ${r.long} long tasks (> 50 ms); particle budget 8 ms/frame`);
  await page.close();
}

// Scrubbing: 20k exact particles follow t from 0.5 to 1 (the page's own frame budget).
{
  const page = await openPage(gpu, server.url("/index.html#particles=20000&t=0.5"));
  const ms = await page.evaluate(async () => {
    const api = window.interplay;
    await api.ready;
    await api.whenDrawn();
    const t0 = performance.now();
    api.setParams({ t: 1 });
    await api.whenDrawn();
    return performance.now() - t0;
  });
  row("20k exact particles follow t from 0.5 to 1", `${(ms / 1000).toFixed(2)} s`, "until drawn at t = 1 (54 Heun steps of at most 0.01, finer near 1), 8 ms of particle work per frame");
  await page.close();
}

// Exact-field throughput in wasm (one thread): 20k particles × 100 RK4 steps.
{
  const page = await openPage(gpu, server.url("/index.html"));
  const ms = await page.evaluate(async () => {
    await window.interplay.ready;
    const out = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await window.interplay.sample(20000, { steps: 100 });
      out.push(performance.now() - t0);
    }
    return out.sort((a, b) => a - b)[1];
  });
  row("exact checkerboard, 20k particles × 100 RK4 steps in wasm", `${(ms / 1000).toFixed(2)} s`, `${((20000 * 100) / (ms / 1000) / 1e6).toFixed(2)} M particle-steps/s (4 field evaluations each), main thread`);
  await page.close();
}

const viewerOnly = process.argv.includes("--viewer");
// Training steps/s for the reference MLP: velocity and score, each 3×256 SiLU, batch 1024.
async function trainRate(browser, backend, warm, timed, source = "exact") {
  const page = await openPage(browser, server.url(`/index.html#backend=${backend}&width=256&depth=3&batch=1024&lr=0.002&source=${source}`));
  const r = await page.evaluate(
    async ({ warm, timed }) => {
      const api = window.interplay;
      await api.ready;
      const t0 = performance.now();
      await api.train(warm);
      const first = performance.now() - t0;
      const t1 = performance.now();
      const r = await api.train(timed);
      return { first, ms: performance.now() - t1, steps: r.steps, backend: api.backend, adapter: api.adapter };
    },
    { warm, timed },
  );
  await page.close();
  return r;
}
if (!viewerOnly) {
  const c = await trainRate(cpu, "cpu", 2, quick ? 3 : 10);
  row("training, reference MLP (b and s nets, 3×256, batch 1024), CPU backend", `${((1000 * (quick ? 3 : 10)) / c.ms).toFixed(2)} steps/s`, `first ${c.first.toFixed(0)} ms for 2 warm-up steps`);
  const one = await trainRate(cpu, "cpu", 2, quick ? 3 : 10, "schedule-free");
  row("training, one 3×256 net (schedule-free D), batch 1024, CPU backend", `${((1000 * (quick ? 3 : 10)) / one.ms).toFixed(2)} steps/s`, "TensorFlow.js 4.22 wasm backend: 2.8 steps/s (one net)");
  const g = await trainRate(gpu, "webgpu", 1, quick ? 1 : 3);
  row(`training, reference MLP (b and s nets), WebGPU (${g.adapter})`, `${((1000 * (quick ? 1 : 3)) / g.ms).toFixed(3)} steps/s`, `first step incl. shader compilation ${(g.first / 1000).toFixed(1)} s`);
  const g1 = await trainRate(gpu, "webgpu", 1, quick ? 1 : 3, "schedule-free");
  row(`training, one 3×256 net (schedule-free D), WebGPU (${g1.adapter})`, `${((1000 * (quick ? 1 : 3)) / g1.ms).toFixed(3)} steps/s`, `TensorFlow.js 4.22 on this adapter: 0.17 steps/s (one net); first step ${(g1.first / 1000).toFixed(1)} s`);
}

await gpu.close();
await cpu.close();
await server.close();
console.log(`Machine: ${cpus().length} × ${cpus()[0].model}; Chromium ${process.env.CHROMIUM || "/usr/bin/chromium"} headless.`);
console.log("| what | measured | notes |\n|---|---|---|");
console.log(rows.join("\n"));
