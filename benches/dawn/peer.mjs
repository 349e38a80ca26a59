// TensorFlow.js's WebGPU backend in Node, on Dawn (Chrome's WebGPU, npm `webgpu`): the browser
// peer's network, loss, batch and Adam (benches/tfjs/peer.js, loaded as it is) timed without a
// browser, so that a machine with a GPU and no browser can run the peer beside Interplay's native
// wgpu build on the same GPU (benches/native_gpu.sh).
//
//   cd benches/dawn && npm ci && node peer.mjs [--dawn vulkan|opengles] [--widths 128,256]
//       [--batch 1024] [--steps 10]
//
// `--dawn vulkan` (the default) finds a GPU through its Vulkan driver; `--dawn opengles` runs on
// OpenGL ES through EGL (Mesa's llvmpipe here: `EGL_PLATFORM=surfaceless`), where Dawn refuses
// Mesa 22's lavapipe. Prints one Markdown row per width: steps/s, dispatches and submits per step.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { runInThisContext } from "node:vm";

const require = createRequire(import.meta.url);
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const dawn = arg("--dawn", "vulkan");
const { create, globals } = require("webgpu");
Object.assign(globalThis, globals);
// Kept for the whole run: Dawn crashes if its instance is collected with work pending.
const gpu = create(dawn === "opengles" ? ["backend=opengles"] : ["backend=vulkan"]);
const compat = dawn === "opengles";
// OpenGL ES is a compatibility-level adapter, whose own limits the device must ask for.
const requestAdapter = gpu.requestAdapter.bind(gpu);
gpu.requestAdapter = async (options = {}) => {
  const adapter = await requestAdapter(compat ? { ...options, featureLevel: "compatibility" } : options);
  if (!adapter) throw new Error(`Dawn found no ${dawn} adapter (for Vulkan: a driver and libvulkan1)`);
  const requestDevice = adapter.requestDevice.bind(adapter);
  adapter.requestDevice = (desc = {}) => {
    const requiredLimits = {};
    for (const k in adapter.limits) requiredLimits[k] = adapter.limits[k];
    return requestDevice({ ...desc, requiredLimits: { ...requiredLimits, ...(desc.requiredLimits || {}) } });
  };
  return adapter;
};
if (!globalThis.navigator) globalThis.navigator = {};
Object.defineProperty(globalThis.navigator, "gpu", { value: gpu, configurable: true });

// The same counters as the browser bench, on Dawn's prototypes.
const counts = { dispatches: 0, submits: 0, shaderModules: 0 };
const wrap = (proto, name, field) => {
  const f = proto[name];
  proto[name] = function (...a) {
    counts[field]++;
    return f.apply(this, a);
  };
};
wrap(globalThis.GPUComputePassEncoder.prototype, "dispatchWorkgroups", "dispatches");
wrap(globalThis.GPUQueue.prototype, "submit", "submits");
wrap(globalThis.GPUDevice.prototype, "createShaderModule", "shaderModules");

globalThis.window = globalThis;
window.gpuCounts = counts;
globalThis.tf = require("@tensorflow/tfjs");
require("@tensorflow/tfjs-backend-webgpu");
runInThisContext(readFileSync(new URL("../tfjs/peer.js", import.meta.url), "utf8"));

const batch = Number(arg("--batch", "1024"));
const steps = Number(arg("--steps", "10"));
const adapter = await gpu.requestAdapter();
const info = adapter.info || {};
console.log(`TensorFlow.js ${tf.version.tfjs} WebGPU on Dawn (${dawn}): ${info.vendor || "?"} ${info.architecture || ""} ${info.device || ""} ${info.description || ""}`);
console.log("| network | TensorFlow.js WebGPU steps/s | dispatches, submits per step |\n|---|---|---|");
for (const width of arg("--widths", "128,256").split(",").map(Number)) {
  const r = await window.peer({ backend: "webgpu", width, depth: 3, batch, warm: 6, steps });
  const p = r.perStep;
  console.log(`| 3 × ${width}, batch ${batch} (schedule-free loss, Adam) | ${r.rate.toFixed(2)} | ${p.dispatches}, ${p.submits} |`);
}
process.exit(0);
