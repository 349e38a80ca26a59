// The WebGPU device's optional features, asked for in the engine's worker.
//
// The engine's kernels (burn's, compiled by cubecl) choose their matrix-multiply tiling by
// autotune, and some of the candidates it races read the subgroup built-ins
// (`subgroup_size`, `subgroup_invocation_id`). In a browser a shader that reads them must start
// with `enable subgroups;`, and that is only valid on a device created with the `subgroups`
// feature. wgpu's browser backend (wgpu 30) has no entry for `subgroups` in its table of
// WebGPU feature names, so it never asks for it, whatever the adapter offers: the browser then
// refuses the candidate's shader module and the engine stops. Wrapping the adapter's
// `requestDevice` adds the feature wherever the adapter offers it (docs/webgpu-autotune.md).

/** Features the engine's device gets whenever its adapter offers them. */
export const WANTED_FEATURES = ["subgroups"];

/**
 * Wraps `GPUAdapter.prototype.requestDevice` in `scope` (a worker's `self`) so that every device
 * it creates also asks for the WANTED_FEATURES its adapter offers. Idempotent; does nothing
 * where the browser has no WebGPU. Returns a record of what the last device was given:
 * `{ offered: [...], requested: [...] }`, filled in when a device is created.
 */
export function requestWantedFeatures(scope) {
  const record = { offered: null, requested: null };
  const proto = scope.GPUAdapter && scope.GPUAdapter.prototype;
  const f = proto && proto.requestDevice;
  if (typeof f !== "function") return record;
  if (f.__interplayFeatures) return f.__interplayFeatures;
  const wrapped = function (descriptor) {
    const desc = descriptor ? { ...descriptor } : {};
    const required = new Set(desc.requiredFeatures ? [...desc.requiredFeatures] : []);
    const offered = WANTED_FEATURES.filter((name) => this.features && this.features.has(name));
    for (const name of offered) required.add(name);
    desc.requiredFeatures = [...required];
    record.offered = offered;
    record.requested = desc.requiredFeatures;
    return f.call(this, desc);
  };
  wrapped.__interplayFeatures = record;
  proto.requestDevice = wrapped;
  return record;
}

/**
 * What the engine needs to know of this browser's WebGPU adapter before it uses it, or null
 * where there is none (the engine itself then says so): `blocker`, why the engine's kernels
 * cannot run on it (a clause, or null), and `software`, whether it is a software renderer
 * (SwiftShader and the like), where the CPU backend trains faster. An adapter without
 * `subgroups` would make the browser refuse one of autotune's candidate kernels, and that
 * stops the engine, so such a browser trains on the CPU backend instead.
 */
export async function adapterFacts(scope) {
  const gpu = scope.navigator && scope.navigator.gpu;
  if (!gpu) return null;
  let adapter = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    console.info(`Interplay: no WebGPU adapter (${String(e && e.message ? e.message : e)}).`);
    return null;
  }
  if (!adapter) return null;
  const software = Boolean((adapter.info && adapter.info.isFallbackAdapter) || adapter.isFallbackAdapter);
  return { blocker: missingFeatures(adapter), software };
}

/** Why `adapter` (a GPUAdapter, or anything with a `features` set) cannot train here, or null. */
export function missingFeatures(adapter) {
  const missing = WANTED_FEATURES.filter((name) => !(adapter.features && adapter.features.has(name)));
  if (!missing.length) return null;
  return `the WebGPU adapter lacks the "${missing.join('", "')}" feature that the engine's autotuned kernels use`;
}
