// Training on K workers without a browser: the page's engine worker (web/engine-worker.js, as
// built into dist/) and its helpers run on Node worker threads (worker-scope.mjs), driven by the
// requests the page sends ({ id, engine, op, args }), so the team's code and the engine's wasm
// are the page's own and only the browser is missing. It measures how training scales with the
// number of workers on a machine with more cores than a browser test can be given, and takes no
// share of those cores for a page, a compositor or a browser's other threads.
//
//   node benches/node-team/team.mjs [--dist dist] [--counts 1,2,4] [--rounds 3] [--seconds 8]
//       [--warmup 5] [--objective schedule-free|velocity-score] [--width 128] [--depth 3] [--batch 1024]
//       [--pair]   adds two engine workers of one worker each timed at once: two cores with no team
//       [--ab OTHER_DIST]   times every count on OTHER_DIST's build too, in the same rounds
//   node benches/node-team/team.mjs --costs [--dist dist] [--ab OTHER_DIST] [--width 128] [--batch 1024]
//       what a step's parts cost one worker (drawing the batch, a shard's fixed cost, applying a
//       sum, a whole step), for the D and for b and s
//   node benches/node-team/team.mjs --check [--dist dist]
//       K = 1 and K = 2 (and 3) train the same small run a few steps: their losses must agree to
//       1e-5 (relative) and their samples to 1e-4; exits 1 where they do not
//
// Each (round, K) is a fresh engine worker, as a fresh page is; rounds alternate the order of the
// counts. Prints a Markdown table (steps/s by the harness's clock and by the engine's reports,
// and the ratio to the first count within each round: only ratios within a run mean much on a
// shared machine).
import { copyFileSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "./worker-scope.mjs";

const ROOT = resolve(import.meta.dirname, "../..");

/**
 * The built page's scripts where Node takes them for ES modules: a temporary folder with a copy
 * of dist's scripts, a package.json that says so, and a link to the wasm. Returns its path and
 * a function that removes it.
 */
export function moduleCopy(dist = join(ROOT, "dist")) {
  const dir = mkdtempSync(join(tmpdir(), "interplay-node-team-"));
  for (const f of readdirSync(dist)) {
    if (f.endsWith(".js")) copyFileSync(join(dist, f), join(dir, f));
    else if (f.endsWith(".wasm")) symlinkSync(resolve(dist, f), join(dir, f));
  }
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The engine's worker on a thread of its own: `call(engine, op, args)` resolves with the
 * request's result or rejects with the engine's error; `stop()` ends it and its helpers.
 */
export function engineWorker(dir) {
  const worker = new Worker(pathToFileURL(join(dir, "engine-worker.js")));
  const pending = new Map();
  let next = 1;
  worker.onmessage = ({ data }) => {
    const p = data.id && pending.get(data.id);
    if (!p) return; // an event (a training chunk's report)
    pending.delete(data.id);
    data.ok ? p.resolve(data.result) : p.reject(new Error(data.error));
  };
  worker.onerror = (e) => {
    for (const p of pending.values()) p.reject(new Error(`the engine's worker stopped: ${e.message}`));
    pending.clear();
  };
  const call = (engine, op, args = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, engine, op, args });
    });
  return { call, stop: () => worker.terminate() };
}

/** The page's training run (a LiveRun): the page's network, batch and rate by default. */
export function runConfig({ objective = "schedule-free", width = 128, depth = 3, batch = 1024, lr = 0.02, seed = 0 } = {}) {
  return {
    objective, width, depth, batch, lr, seed,
    schedule: { path: "linear", gamma: "brownian", alpha_exp: 1, beta_exp: 1, gamma_scale: 1 },
    target: { name: "checkerboard" },
    coupling: "independent",
  };
}

/** An engine on `workers` workers (CPU backend) with `config` set up; resolves to the worker's client. */
export async function startRun(dir, workers, config) {
  const w = engineWorker(dir);
  await w.call(1, "create", { backend: "cpu", workers });
  const formed = await w.call(1, "configure", { config });
  if (formed.workers !== workers) {
    w.stop();
    throw new Error(`asked for ${workers} workers, the run trains on ${formed.workers} (${formed.workersNote})`);
  }
  return w;
}

/**
 * Steps/s of `config` on `workers` workers: `train(20)` requests for `warmup` seconds (V8
 * optimises the engine's code meanwhile), then for `seconds`, timed here and by the engine's
 * reports; with where a team's step went (this worker's shard, the wait, the sum, the step).
 */
export async function rate(dir, workers, config, { seconds = 8, warmup = 5 } = {}) {
  const w = await startRun(dir, workers, config);
  try {
    return await timed(w, workers, { seconds, warmup });
  } finally {
    w.stop();
  }
}

/**
 * Two engine workers of one worker each, trained and timed at once: what two cores give with no
 * team (no exchange, no shared step), the most a team of two can reach on the machine.
 */
export async function pairRate(dir, config, { seconds = 8, warmup = 5 } = {}) {
  const pair = [await startRun(dir, 1, config), await startRun(dir, 1, config)];
  try {
    const both = await Promise.all(pair.map((w) => timed(w, 1, { seconds, warmup })));
    const sum = (f) => f(both[0]) + f(both[1]);
    return { workers: "2 × 1", steps: sum((r) => r.steps), ms: Math.max(both[0].ms, both[1].ms), rate: sum((r) => r.rate), engineRate: sum((r) => r.engineRate), perStep: {} };
  } finally {
    for (const w of pair) w.stop();
  }
}

/** `rate`'s timing of the run of engine worker `w`. */
async function timed(w, workers, { seconds, warmup }) {
  const train = () => w.call(1, "train", { steps: 20 });
  for (const t0 = performance.now(); performance.now() - t0 < warmup * 1000; ) await train();
  const before = (await w.call(0, "stats")).team?.time;
  let steps = 0;
  let engineMs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const r = await train();
    steps += r.done;
    engineMs += r.ms;
  }
  const ms = performance.now() - t0;
  const after = (await w.call(0, "stats")).team?.time;
  const per = {};
  if (before && after && after.steps > before.steps) {
    for (const k of ["own", "drawing", "waiting", "summing", "applying", "helpers"]) per[k] = (after[k] - before[k]) / (after.steps - before.steps);
  }
  return { workers, steps, ms, rate: (1000 * steps) / ms, engineRate: (1000 * steps) / engineMs, perStep: per };
}

/**
 * The same small run trained on 1, 2 and 3 workers, `steps` steps: each one's reported losses and
 * 200 samples of its model (the ODE, 8 steps), and the worst differences against one worker.
 */
export async function sameModel(dir, { steps = 6, counts = [1, 2, 3] } = {}) {
  const config = runConfig({ objective: "velocity-score", width: 32, depth: 2, batch: 256, lr: 0.005, seed: 5 });
  const sample = { n: 200, steps: 8, eps: 0, seed: 2, schedule: config.schedule };
  const runs = [];
  for (const k of counts) {
    const w = await startRun(dir, k, config);
    try {
      const r = await w.call(1, "train", { steps });
      const xy = Array.from(await w.call(1, "sample", sample));
      runs.push({ workers: r.workers, steps: r.steps, losses: r.losses, xy });
    } finally {
      w.stop();
    }
  }
  const [one, ...rest] = runs;
  const rel = (a, b) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
  return rest.map((r) => ({
    workers: r.workers,
    steps: r.steps,
    lossRel: Math.max(...r.losses.map(([name, v], i) => (name === one.losses[i][0] ? rel(v, one.losses[i][1]) : Infinity))),
    sampleAbs: Math.max(...r.xy.map((v, i) => Math.abs(v - one.xy[i]))),
    finite: r.xy.every(Number.isFinite) && r.xy.some((v) => v !== 0),
  }));
}

/**
 * What a step's parts cost one worker of the run `config` (ms, the median of `n`, each request
 * timed from this side, so with its message): drawing the whole batch ahead, a one-row shard (a
 * shard's fixed cost), applying a summed gradient, and a whole step.
 */
export async function stepCosts(dir, config, n = 20) {
  const w = await startRun(dir, 1, config);
  try {
    const timeIt = async (f) => {
      await f();
      const ms = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await f();
        ms.push(performance.now() - t0);
      }
      return median(ms);
    };
    const one = await w.call(1, "gradients", { from: 0, to: 1 });
    const zero = { grads: new Float32Array(one.grads.length), losses: Array.from(one.losses, () => 0) };
    return {
      // A step far ahead: the rows are drawn and kept, never used.
      draw: await timeIt(() => w.call(1, "draw", { step: 1e9, from: 0, to: config.batch })),
      oneRow: await timeIt(() => w.call(1, "gradients", { from: 0, to: 1 })),
      apply: await timeIt(() => w.call(1, "apply", zero)),
      step: await timeIt(() => w.call(1, "train", { steps: 1 })),
      message: await timeIt(() => w.call(0, "stats")),
    };
  } finally {
    w.stop();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

async function main() {
  const copy = moduleCopy(resolve(arg("--dist", join(ROOT, "dist"))));
  const other = process.argv.includes("--ab") ? moduleCopy(resolve(arg("--ab"))) : null;
  try {
    if (process.argv.includes("--check")) {
      const rows = await sameModel(copy.dir);
      console.log(JSON.stringify(rows));
      const bad = rows.filter((r) => !(r.lossRel <= 1e-5 && r.sampleAbs <= 1e-4 && r.finite));
      if (bad.length) {
        console.error(`K workers do not train the model one does: ${JSON.stringify(bad)}`);
        process.exitCode = 1;
      }
      return;
    }
    if (process.argv.includes("--costs")) {
      console.log(`Machine: ${cpus().length} × ${cpus()[0].model}; Node ${process.version}, one worker, CPU backend; ms per request (median of 20), message included.`);
      console.log("| build | objective | draw the batch | a one-row shard | apply a sum | a whole step | an empty request |\n|---|---|---|---|---|---|---|");
      for (const [dir, label] of [[copy.dir, "this"], ...(other ? [[other.dir, arg("--ab")]] : [])]) {
        for (const objective of ["schedule-free", "velocity-score"]) {
          const c = await stepCosts(dir, runConfig({ objective, width: Number(arg("--width", "128")), batch: Number(arg("--batch", "1024")) }));
          console.log(`| ${label} | ${objective} | ${[c.draw, c.oneRow, c.apply, c.step, c.message].map((v) => v.toFixed(2)).join(" | ")} |`);
        }
      }
      return;
    }
    const counts = arg("--counts", "1,2").split(",").map(Number);
    const rounds = Number(arg("--rounds", "3"));
    const seconds = Number(arg("--seconds", "8"));
    const warmup = Number(arg("--warmup", "5"));
    const net = { objective: arg("--objective", "schedule-free"), width: Number(arg("--width", "128")), depth: Number(arg("--depth", "3")), batch: Number(arg("--batch", "1024")) };
    const config = runConfig(net);
    // A case: a count of workers (or the pair) on this build, or with --ab on the other one.
    const cases = [...counts, ...(process.argv.includes("--pair") ? ["2 × 1"] : [])].map((k) => ({ k, label: k, dir: copy.dir }));
    if (other) cases.push(...counts.map((k) => ({ k, label: `${k} (${arg("--ab")})`, dir: other.dir })));
    const byK = new Map(cases.map((c) => [c.label, []]));
    for (let round = 0; round < rounds; round++) {
      for (const { k, label, dir } of round % 2 ? [...cases].reverse() : cases) {
        const opts = { seconds, warmup };
        const r = k === "2 × 1" ? await pairRate(dir, config, opts) : await rate(dir, k, config, opts);
        console.error(JSON.stringify({ round, case: label, ...r }));
        byK.get(label).push(r);
      }
    }
    const base = byK.get(counts[0]);
    console.log(`Machine: ${cpus().length} × ${cpus()[0].model}; Node ${process.version}, worker threads, CPU backend; ${config.objective} ${net.depth} × ${net.width}, batch ${net.batch}; ${rounds} rounds of ${seconds} s per count after ${warmup} s of training, alternating.`);
    console.log(`| workers | steps/s (median) | steps/s (engine, median) | × ${counts[0]} worker(s), per round | a team's step: own shard / drawing ahead / wait / sum / Adam (ms) |\n|---|---|---|---|---|`);
    for (const { label: k } of cases) {
      const rows = byK.get(k);
      const ratios = rows.map((r, i) => (r.rate / base[i].rate).toFixed(2)).join(", ");
      const p = rows[rows.length - 1].perStep;
      const split = p.own !== undefined ? [p.own, p.drawing, p.waiting, p.summing, p.applying].map((v) => v.toFixed(2)).join(" / ") : "";
      console.log(`| ${k} | ${median(rows.map((r) => r.rate)).toFixed(2)} | ${median(rows.map((r) => r.engineRate)).toFixed(2)} | ${ratios} | ${split} |`);
    }
  } finally {
    copy.remove();
    other?.remove();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
