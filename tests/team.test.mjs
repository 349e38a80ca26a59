// The rule that splits each batch among a team of workers (web/engine-team.js), on its own:
// pure JavaScript, so it is tested without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { helperLag, nextShare } from "../web/engine-team.js";

const step = { k: 2, n: 1024, ownRows: 512, ownMs: 16, helperRows: 512, helperMs: 16 };

test("a balanced step leaves the split where it is", () => {
  assert.equal(nextShare({ ...step, share: 0.5, lag: 0 }), 0.5);
});

test("rows move to the worker that finished first, by half the imbalance", () => {
  // The helper's answer arrived 2 ms after this worker's shard: 2 ms of rows at 1/32 ms a row
  // each side is 32 rows between them, half of it (16 rows) moves here.
  const later = nextShare({ ...step, share: 0.5, lag: 2 });
  assert.ok(Math.abs(later * 1024 - (512 + 16)) < 1e-9, `${later * 1024} rows here`);
  const earlier = nextShare({ ...step, share: 0.5, lag: -2 });
  assert.ok(Math.abs(earlier * 1024 - (512 - 16)) < 1e-9, `${earlier * 1024} rows here`);
});

test("the split stays within a quarter and twice an even share", () => {
  assert.equal(nextShare({ ...step, share: 0.5, lag: 1e6 }), 1);
  assert.equal(nextShare({ ...step, share: 0.5, lag: -1e6 }), 0.125);
  assert.equal(nextShare({ ...step, k: 4, share: 0.25, lag: -1e6 }), 0.0625);
});

test("a helper that finished early lags by how early, not by the time its answer took to be read", () => {
  // This worker was the slower: its shard ended at 100 ms, the helper's at 97 ms, and the answer
  // (there since 97.2 ms) was read at 100.4 ms. The wait here (0.4 ms) would have said the helper
  // was late and moved rows onto this worker; the lag says 3 ms early.
  const h = { lastDone: 97, lastArrived: 100.4, delivery: 0.2 };
  const lag = helperLag(h, 100);
  assert.ok(Math.abs(lag - -2.8) < 1e-9, `lag ${lag}`);
  assert.equal(h.delivery, 0.2, "an answer read late says nothing of how long answers take to arrive");
  assert.ok(nextShare({ ...step, share: 0.5, lag }) < 0.5, "rows move to the helper");
});

test("where this worker waited, the answers' delivery time is learnt from what it saw", () => {
  // The helper was late (its shard ended at 103 ms, this worker's at 100 ms) and its answer was
  // seen at 104 ms: it took 1 ms to arrive. The estimate moves a fifth of the way there.
  const h = { lastDone: 103, lastArrived: 104, delivery: 0.5 };
  const lag = helperLag(h, 100);
  assert.ok(Math.abs(h.delivery - 0.6) < 1e-12, `delivery ${h.delivery}`);
  assert.ok(Math.abs(lag - 3.6) < 1e-12, `lag ${lag}`);
});
