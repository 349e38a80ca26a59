// What a reader waits for when the learned views run on WebGPU: one checkpoint of the page's
// network, trained on the CPU, is loaded into a WebGPU page of each build, which then draws
// 2000 samples from the model (the ODE, 20 RK4 steps) and computes the quality panel's numbers
// (samples, the likelihood with the divergence, the velocity's error), first cold (kernels to
// compile, and to autotune where burn's products run) and then again warm. The CPU backend's
// times for the same calls are the reference.
import { openPage } from "./browser.mjs";

/** The calls timed, in the page (`api` is the page's `window.interplay`). */
async function timedViews() {
  const api = window.interplay;
  const round = async () => {
    const t0 = performance.now();
    await api.sample(2000, { source: "model", steps: 20, eps: 0 });
    const t1 = performance.now();
    await api.quality();
    return { sample: t1 - t0, quality: performance.now() - t1 };
  };
  const before = await api.engineStats();
  const cold = await round();
  const mid = await api.engineStats();
  const warm = await round();
  const after = await api.engineStats();
  const made = (a, b) => (a && b ? b.pipelines - a.pipelines : 0);
  const matmuls = (a, b) => (a && b ? Object.keys(b.kernels).filter((k) => k.startsWith("matmul") && b.kernels[k] > (a.kernels[k] || 0)).length : 0);
  return { backend: api.backend, cold, warm, pipelines: { cold: made(before, mid), warm: made(mid, after) }, matmulKernels: matmuls(before, after) };
}

/**
 * `urls`: { label: index.html of a build }; `source`: the objective (schedule-free or
 * learned); `steps`: CPU training steps of the checkpoint. Rows: the CPU reference (the first
 * build), then each build on WebGPU.
 */
export async function learnedViews(browser, urls, { source, steps }) {
  const labels = Object.keys(urls);
  const hash = `#source=${source}&checkpoint=none&views=training`;
  const cpu = await openPage(browser, `${urls[labels[0]]}${hash}&backend=cpu`);
  const bytes = await cpu.evaluate(async (steps) => {
    const api = window.interplay;
    await api.ready;
    await api.train(steps);
    return Array.from(await api.exportCheckpoint());
  }, steps);
  const rows = [{ build: labels[0], ...(await cpu.evaluate(timedViews)) }];
  await cpu.close();
  for (const build of labels) {
    const page = await openPage(browser, `${urls[build]}${hash}&backend=webgpu`);
    await page.evaluate(async (bytes) => {
      await window.interplay.ready;
      await window.interplay.loadCheckpoint(new Uint8Array(bytes));
    }, bytes);
    rows.push({ build, ...(await page.evaluate(timedViews)), problems: page.problems });
    await page.close();
  }
  return rows;
}
