// A long session as a restless reader has it: training on, the time animation playing, and the
// field source and the target switched every few seconds. Samples the page's JS heap (after a
// garbage collection), the engine worker's wasm memory and its live WebGPU buffers
// (created − destroyed) as it goes (tests/bench.mjs --soak).
import { openPage } from "./browser.mjs";

const SOURCES = ["schedule-free", "learned", "exact"];
const TARGETS = ["checkerboard", "gmm", "rings", "moons", "spirals"];

export async function soak(browser, url, { hash, minutes = 10, switchSeconds = 4, sampleSeconds = 30 }) {
  const page = await openPage(browser, `${url}#${hash}`);
  const cdp = await page.context().newCDPSession(page);
  await page.evaluate(async () => {
    await window.interplay.ready;
    await window.interplay.train(1);
    document.querySelector(".ip-train").click();
    window.interplay.play();
  });
  const samples = [];
  const t0 = Date.now();
  let switches = 0;
  let lastSample = -Infinity;
  while (Date.now() - t0 < minutes * 60000) {
    await page.waitForTimeout(switchSeconds * 1000);
    switches++;
    const source = SOURCES[switches % SOURCES.length];
    const target = TARGETS[Math.floor(switches / SOURCES.length) % TARGETS.length];
    await page.evaluate(({ source, target }) => {
      const api = window.interplay;
      api.setParams({ source, target });
      if (api.getParams().t >= 1) api.play();
      // Training goes on across the switches (a switch gives a fresh run for the new settings).
      const train = document.querySelector(".ip-train");
      if (train.getAttribute("aria-pressed") !== "true") train.click();
      api.play();
    }, { source, target });
    if (Date.now() - lastSample >= sampleSeconds * 1000) {
      lastSample = Date.now();
      await cdp.send("HeapProfiler.collectGarbage");
      const { usedSize } = await cdp.send("Runtime.getHeapUsage");
      const s = await page.evaluate(() => window.interplay.engineStats());
      samples.push({
        minute: (Date.now() - t0) / 60000,
        jsHeapMB: usedSize / 1e6,
        wasmMB: s.wasmBytes / 1e6,
        helperMB: (s.team?.wasmBytes || []).map((b) => b / 1e6),
        gpuBuffers: s.buffersCreated - s.buffersDestroyed,
        shaderModules: s.shaderModules,
        steps: s.steps,
        views: s.views,
      });
      console.error(JSON.stringify(samples[samples.length - 1]));
    }
  }
  const problems = page.problems;
  const backend = await page.evaluate(() => window.interplay.backend);
  await page.close();
  return { samples, switches, backend, problems };
}
