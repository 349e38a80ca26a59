// Time to quality in the browser: what a reader gets after pressing Train. A fresh page trains
// from scratch through the public API (`train`) for a few wall-clock budgets; at each, 20 000
// samples from the model (the page's ODE sampler, `sample(n, {source: "model"})`) are scored by
// `interplay eval` (the same metrics as natively) and the quality panel's velocity error is read
// (`quality()`). Evaluation time is not counted as training time.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, openPage } from "./browser.mjs";

/** The `interplay` binary: release if built, else the debug build of `cargo test`. */
export function interplayBin() {
  const dir = process.env.CARGO_TARGET_DIR || join(ROOT, "target");
  for (const kind of ["release", "debug"]) {
    const bin = join(dir, kind, "interplay");
    if (existsSync(bin)) return bin;
  }
  throw new Error(`no interplay binary under ${dir}: run cargo build --release -p interplay-cli first`);
}

/**
 * Scores a model exported from the page (checkpoint bytes) natively on the CPU: `samples` points
 * from `interplay sample` (the page's ODE sampler) scored by `interplay eval`, and the velocity
 * error of `interplay error`. The same metrics as `score` and `quality()`, for a page whose
 * device would first autotune the sampler's kernels (WebGPU on a software adapter: minutes).
 */
export function scoreCheckpoint(bytes, samples, sampleSteps) {
  const dir = mkdtempSync(join(tmpdir(), "interplay-ttq-"));
  try {
    const model = join(dir, "model.ckpt");
    const out = join(dir, "samples.csv");
    writeFileSync(model, Buffer.from(bytes));
    const run = (args) => execFileSync(interplayBin(), args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    run(["sample", "--model", model, "--n", String(samples), "--steps", String(sampleSteps), "--out", out]);
    const m = JSON.parse(run(["eval", out]));
    const e = JSON.parse(run(["error", "--model", model]));
    return { m, bError: e.b_relative_l2 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Scores xy samples (Float32Array of pairs) with `interplay eval`. */
export function score(xy) {
  const dir = mkdtempSync(join(tmpdir(), "interplay-ttq-"));
  try {
    const csv = ["x,y"];
    for (let i = 0; i < xy.length; i += 2) csv.push(`${xy[i]},${xy[i + 1]}`);
    const file = join(dir, "samples.csv");
    writeFileSync(file, csv.join("\n") + "\n");
    return JSON.parse(execFileSync(interplayBin(), ["eval", file], { encoding: "utf8" }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Trains `source` ("learned" = b and s, or "schedule-free") from scratch on `backend` and
 * scores the model at each of `budgets` (seconds of training wall time). `hash` adds page
 * parameters. Returns one row per budget.
 */
export async function timeToQuality(browser, url, { backend, source, budgets, samples = 20000, sampleSteps = 100, hash = "", native = false }) {
  const page = await openPage(browser, `${url}#backend=${backend}&source=${source}&checkpoint=none&particles=1000${hash}`);
  await page.evaluate(() => window.interplay.ready);
  const rows = [];
  let trainedMs = 0;
  let steps = 0;
  for (const budget of [...budgets].sort((a, b) => a - b)) {
    // Train in chunks of about half a second until the budget, as the Train button does.
    const r = await page.evaluate(
      async ({ untilMs, trainedMs, steps }) => {
        const api = window.interplay;
        let chunk = 1;
        let info = null;
        // At least one chunk per budget: the first call also waits for the engine and the run
        // to be set up, which on a loaded machine can outlast a small budget by itself.
        do {
          const t0 = performance.now();
          info = await api.train(chunk);
          const ms = performance.now() - t0;
          trainedMs += ms;
          steps = info.steps;
          chunk = Math.max(1, Math.min(200, Math.round((chunk * 500) / Math.max(ms, 1))));
        } while (trainedMs < untilMs);
        return { trainedMs, steps, backend: api.backend, adapter: api.adapter, losses: info && info.losses };
      },
      { untilMs: budget * 1000, trainedMs, steps },
    );
    trainedMs = r.trainedMs;
    steps = r.steps;
    const t0 = Date.now();
    let m;
    let bError;
    if (native) {
      const bytes = await page.evaluate(async () => Array.from(await window.interplay.exportCheckpoint()));
      ({ m, bError } = scoreCheckpoint(bytes, samples, sampleSteps));
    } else {
      const { xy, quality } = await page.evaluate(
        async ({ samples, sampleSteps }) => {
          const api = window.interplay;
          const xy = await api.sample(samples, { source: "model", steps: sampleSteps, eps: 0 });
          return { xy: Array.from(xy), quality: await api.quality() };
        },
        { samples, sampleSteps },
      );
      m = score(Float32Array.from(xy));
      bError = quality.b_error;
    }
    rows.push({
      source,
      backend: r.backend,
      adapter: r.adapter,
      budget,
      trainedS: trainedMs / 1000,
      steps,
      rate: steps / (trainedMs / 1000),
      inSupport: m.in_support,
      tv: m.tv,
      tvFine: m.tv_fine,
      slicedW2: m.sliced_w2,
      bError,
      evalS: (Date.now() - t0) / 1000,
    });
  }
  const problems = page.problems;
  await page.close();
  return { rows, problems };
}

/** A Markdown row of a time-to-quality result. */
export function ttqRow(r) {
  const f = (v, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : "–");
  return `| ${r.source} | ${r.backend} | ${r.budget} s | ${r.steps} | ${f(r.rate, 1)} | ${f(r.inSupport)} | ${f(r.tv)} | ${f(r.tvFine)} | ${f(r.slicedW2)} | ${r.bError.map((v) => f(v, 2)).join(", ")} |`;
}
