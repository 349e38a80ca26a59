// The TensorFlow.js peer of Interplay's training step, for ratios measured in one browser
// session (tests/bench.mjs --peer): the same network (inputs x, u, 3 time Fourier pairs and
// `spatial` octaves of position features; `depth` hidden SiLU layers of `width`; 2 outputs),
// the same loss (½|F − target|², the schedule-free regression) on a fresh batch every step,
// uploaded from the host like Interplay's, and Adam. Initialisation: uniform ±1/√fan_in.
/* global tf */
window.peer = async function peer({ backend = "wasm", width = 256, depth = 3, spatial = 6, fourier = 3, batch = 1024, warm = 3, steps = 10, lr = 1e-3 }) {
  if (backend === "wasm") tf.wasm.setWasmPaths(new URL("node_modules/@tensorflow/tfjs-backend-wasm/dist/", location.href).href);
  await tf.setBackend(backend);
  await tf.ready();
  const inputs = 3 + 2 * fourier + 4 * spatial;
  const dims = [inputs, ...Array(depth).fill(width), 2];
  const params = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    const bound = 1 / Math.sqrt(dims[i]);
    params.push(tf.variable(tf.randomUniform([dims[i], dims[i + 1]], -bound, bound)));
    params.push(tf.variable(tf.randomUniform([dims[i + 1]], -bound, bound)));
  }
  const omegas = Array.from({ length: spatial }, (_, k) => (Math.PI * 2 ** k) / 4);
  function features(u, x) {
    const cols = [x, u];
    for (let k = 1; k <= fourier; k++) {
      const a = tf.mul(u, Math.PI * k);
      cols.push(tf.sin(a), tf.cos(a));
    }
    const [x0, x1] = tf.split(x, 2, 1);
    for (const w of omegas) {
      for (const xd of [x0, x1]) {
        const a = tf.mul(xd, w);
        cols.push(tf.sin(a), tf.cos(a));
      }
    }
    return tf.concat(cols, 1);
  }
  function forward(u, x) {
    let h = features(u, x);
    for (let i = 0; i < params.length; i += 2) {
      h = tf.add(tf.matMul(h, params[i]), params[i + 1]);
      if (i + 2 < params.length) h = tf.mul(h, tf.sigmoid(h));
    }
    return h;
  }
  const opt = tf.train.adam(lr);
  const rand = (n, s = 1) => Float32Array.from({ length: n }, () => s * (2 * Math.random() - 1));
  // One step; the loss is read (a sync with the device) only when asked, as Interplay's
  // train(k) reads only the last step's loss.
  async function step(read) {
    const u = tf.tensor2d(rand(batch).map((v) => 0.5 + 0.5 * v), [batch, 1]);
    const x = tf.tensor2d(rand(2 * batch, 2), [batch, 2]);
    const target = tf.tensor2d(rand(2 * batch), [batch, 2]);
    const loss = opt.minimize(() => tf.mul(tf.mean(tf.sum(tf.square(tf.sub(forward(u, x), target)), 1)), 0.5), true, params);
    const v = read ? (await loss.data())[0] : null;
    tf.dispose([u, x, target, loss]);
    return v;
  }
  const t0 = performance.now();
  for (let i = 0; i < warm; i++) await step(i + 1 === warm);
  const first = performance.now() - t0;
  const before = window.gpuCounts ? { ...window.gpuCounts } : null;
  const t1 = performance.now();
  let last = 0;
  for (let i = 0; i < steps; i++) last = await step(i + 1 === steps);
  const ms = performance.now() - t1;
  // WebGPU work per timed step (dispatches, submits, new shader modules), where counted.
  const perStep = before ? Object.fromEntries(Object.keys(before).map((k) => [k, (window.gpuCounts[k] - before[k]) / steps])) : null;
  return { backend: tf.getBackend(), rate: (1000 * steps) / ms, first, loss: last, params: params.reduce((a, p) => a + p.size, 0), perStep };
};
