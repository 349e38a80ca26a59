// The page's training team outside a browser: the built engine worker and its helpers on Node
// worker threads (benches/node-team), the harness that measures how training scales with cores
// on machines a browser test is not given. Here it checks that the harness runs the page's own
// code and that 1, 2 and 3 workers train the same model (the same batches, summed in another
// order), and that a run asked for K workers trains on K.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DIST } from "./lib/browser.mjs";
import { moduleCopy, rate, runConfig, sameModel, stepCosts } from "../benches/node-team/team.mjs";

test("on Node worker threads, 2 and 3 workers train the model one worker trains", async () => {
  const copy = moduleCopy(DIST);
  try {
    const rows = await sameModel(copy.dir, { steps: 6, counts: [1, 2, 3] });
    assert.deepEqual(rows.map((r) => [r.workers, r.steps]), [[2, 6], [3, 6]]);
    for (const r of rows) {
      assert.ok(r.finite, `the model of ${r.workers} workers samples numbers`);
      assert.ok(r.lossRel <= 1e-5, `${r.workers} workers: losses apart by ${r.lossRel} (relative)`);
      assert.ok(r.sampleAbs <= 1e-4, `${r.workers} workers: samples apart by ${r.sampleAbs}`);
    }
  } finally {
    copy.remove();
  }
});

test("the harness times a team: every step on 2 workers, with where its time went", async () => {
  const copy = moduleCopy(DIST);
  try {
    const config = runConfig({ width: 32, depth: 2, batch: 256 });
    const r = await rate(copy.dir, 2, config, { seconds: 1, warmup: 0.2 });
    assert.equal(r.workers, 2);
    assert.ok(r.steps >= 20 && r.rate > 0 && r.engineRate > 0, JSON.stringify(r));
    for (const k of ["own", "drawing", "waiting", "summing", "applying"]) assert.ok(r.perStep[k] >= 0, `${k}: ${JSON.stringify(r.perStep)}`);
    // Each step this worker draws its rows of the next batch while the helper's shard is due.
    assert.ok(r.perStep.own > 0 && r.perStep.drawing > 0, JSON.stringify(r.perStep));
  } finally {
    copy.remove();
  }
});

test("the harness takes a step apart: drawing the batch, a shard's fixed cost, applying a sum", async () => {
  const copy = moduleCopy(DIST);
  try {
    for (const objective of ["schedule-free", "velocity-score"]) {
      const c = await stepCosts(copy.dir, runConfig({ objective, width: 32, depth: 2, batch: 256 }), 3);
      for (const k of ["draw", "oneRow", "apply", "step", "message"]) assert.ok(Number.isFinite(c[k]) && c[k] > 0, `${objective} ${k}: ${JSON.stringify(c)}`);
    }
  } finally {
    copy.remove();
  }
});
