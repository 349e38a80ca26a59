// The rule that splits each batch among a team of workers (web/engine-team.js), on its own:
// pure JavaScript, so it is tested without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { busyLag, nextShare } from "../web/engine-team.js";

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

test("the lag is how much longer the busiest helper worked than this worker", () => {
  // This worker: 18 ms of shard, 5 of rows drawn ahead, 0.3 of sum, 1 of Adam. The helpers: their
  // step and shard, and their rows drawn ahead; the busier one decides.
  const helpers = [
    { busy: 19, drawBusy: 5.5 },
    { busy: 17, drawBusy: 5 },
  ];
  assert.ok(Math.abs(busyLag(24.3, helpers) - 0.2) < 1e-12);
  assert.ok(nextShare({ ...step, k: 3, share: 1 / 3, lag: busyLag(24.3, helpers) }) > 1 / 3, "rows move here");
  assert.ok(Math.abs(busyLag(30, helpers) - -5.5) < 1e-12);
  assert.ok(nextShare({ ...step, share: 0.5, lag: busyLag(30, helpers) }) < 0.5, "rows move to the helpers");
});

test("waiting and messages move no rows: only the work each worker timed enters", () => {
  // However long this worker waited for the answers, or they took to arrive, a helper that
  // worked as long as this worker leaves the split where it is.
  const h = { busy: 20, drawBusy: 4, ms: 19 };
  assert.equal(busyLag(24, [h]), 0);
  assert.equal(nextShare({ ...step, share: 0.5, ownMs: 23, helperMs: h.ms + h.drawBusy, lag: busyLag(24, [h]) }), 0.5);
});
