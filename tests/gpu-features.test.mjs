// The engine's device features (web/gpu-features.js) as plain functions: which features a
// device is given and when an adapter is refused. The browser path runs in webgpu.test.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { missingFeatures, requestWantedFeatures } from "../web/gpu-features.js";

/** A stand-in for GPUAdapter's prototype: requestDevice returns the descriptor it was given. */
function scopeWith() {
  class GPUAdapter {
    constructor(features) {
      this.features = new Set(features);
    }
    requestDevice(desc) {
      return desc;
    }
  }
  return { GPUAdapter };
}

test("the device asks for subgroups exactly when the adapter offers them, keeping what wgpu asked", () => {
  const scope = scopeWith();
  const record = requestWantedFeatures(scope);
  assert.equal(requestWantedFeatures(scope), record, "wrapping twice wraps once");
  const offered = new scope.GPUAdapter(["subgroups", "timestamp-query"]);
  const d = offered.requestDevice({ requiredFeatures: ["timestamp-query"], requiredLimits: { maxBufferSize: 4 } });
  assert.deepEqual(d.requiredFeatures, ["timestamp-query", "subgroups"]);
  assert.deepEqual(d.requiredLimits, { maxBufferSize: 4 });
  assert.deepEqual(record, { offered: ["subgroups"], requested: ["timestamp-query", "subgroups"] });
  const plain = new scope.GPUAdapter(["timestamp-query"]);
  assert.deepEqual(plain.requestDevice(undefined).requiredFeatures, []);
  assert.deepEqual(record.offered, []);
  assert.deepEqual({ ...requestWantedFeatures({}) }, { offered: null, requested: null });
});

test("an adapter without subgroups is refused with a reason; one with them is not", () => {
  assert.equal(missingFeatures({ features: new Set(["subgroups"]) }), null);
  assert.match(missingFeatures({ features: new Set() }), /lacks the "subgroups" feature/);
});
