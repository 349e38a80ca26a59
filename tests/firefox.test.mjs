// A second browser engine: Debian's Firefox ESR (no WebGPU on Linux) through geckodriver. A
// smoke test of the app and of the post as a Firefox reader meets them: the widget loads, picks
// the CPU backend, trains and samples; every figure of the post draws; no error anywhere.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serve } from "./lib/server.mjs";
import { ARTIFACTS, DIST, ROOT } from "./lib/browser.mjs";
import { firefox, haveFirefox } from "./lib/webdriver.mjs";

const SITE = join(ROOT, "site");
let server;
let ff;

before(async () => {
  assert.ok(haveFirefox(), "firefox-esr and geckodriver are missing: run bash scripts/setup.sh --browser");
  server = await serve({ "/app/": DIST, ...(existsSync(join(SITE, "index.html")) ? { "/interplay/": SITE } : {}) });
  ff = await firefox({ width: 1280, height: 900 });
});

after(async () => {
  await ff?.quit();
  await server?.close();
});

/** In the page: records errors from now on in window.__problems. */
const watchErrors = async () => {
  window.__problems = [];
  window.addEventListener("error", (e) => window.__problems.push(`error: ${e.message}`));
  window.addEventListener("unhandledrejection", (e) => window.__problems.push(`rejection: ${e.reason}`));
};

/** In the page: the distinct colours of a canvas (a drawn view has many; a blank one, one). */
const COLOURS = `(c) => {
  const s = document.createElement("canvas");
  s.width = c.width; s.height = c.height;
  const ctx = s.getContext("2d");
  ctx.drawImage(c, 0, 0);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  const seen = new Set();
  for (let k = 0; k < d.length; k += 4 * 5) seen.add((d[k] << 16) | (d[k + 1] << 8) | d[k + 2]);
  return seen.size;
}`;

test("Firefox: the app loads on the CPU backend, trains, samples and draws every view", async () => {
  await ff.goto(server.url("/app/index.html#particles=1000&width=16&depth=2&batch=128&t=0.6"));
  await ff.run(watchErrors);
  const r = await ff.run(async (COLOURS) => {
    const colours = (0, eval)(COLOURS);
    for (let i = 0; i < 600 && !window.interplay; i++) await new Promise((ok) => setTimeout(ok, 50));
    const api = window.interplay;
    await api.ready;
    await api.whenDrawn();
    const before = (await api.train(5)).loss_b;
    let after = before;
    for (let i = 0; i < 6; i++) after = (await api.train(20)).loss_b;
    const samples = await api.sample(200, { source: "model", steps: 20 });
    await api.whenDrawn();
    const $ = (s) => document.querySelector(`.interplay-app ${s}`);
    return {
      webgpu: "gpu" in navigator,
      backend: api.backend,
      before,
      after,
      samples: samples.length,
      finite: Array.from(samples).every(Number.isFinite),
      eulerian: colours($(".ip-eulerian")),
      ode: colours($(".ip-ode")),
      schedule: colours($(".ip-schedule-plot")),
      losses: colours($(".ip-loss-plot")),
      message: $(".ip-message").textContent,
      note: $(".ip-backend-note").textContent,
    };
  }, COLOURS);
  writeFileSync(join(ARTIFACTS, "firefox-app.png"), await ff.screenshot());
  assert.equal(r.backend, "cpu", JSON.stringify(r));
  assert.match(r.note, /CPU/);
  assert.ok(r.after < r.before, `the loss falls: ${r.before} → ${r.after}`);
  assert.equal(r.samples, 400);
  assert.ok(r.finite);
  assert.ok(r.eulerian > 20 && r.ode > 4 && r.schedule > 4 && r.losses > 4, JSON.stringify(r));
  assert.equal(r.message, "");
  assert.deepEqual(await ff.run(async () => window.__problems), []);
});

test("Firefox: every figure of the post draws, with no error", { skip: !existsSync(join(SITE, "post", "from-a-gaussian-to-a-checkerboard", "index.html")) && "site/ is not built" }, async () => {
  await ff.goto(server.url("/interplay/post/from-a-gaussian-to-a-checkerboard/"));
  await ff.run(watchErrors);
  const figures = await ff.run(async (COLOURS) => {
    const colours = (0, eval)(COLOURS);
    const out = [];
    const els = [...document.querySelectorAll(".interplay-widget")];
    for (const [i, el] of els.entries()) {
      el.scrollIntoView();
      for (let k = 0; k < 600 && !el.interplay; k++) await new Promise((ok) => setTimeout(ok, 50));
      await el.interplay.ready;
      await Promise.race([el.interplay.whenDrawn(), new Promise((ok) => setTimeout(ok, 10000))]);
      const c = [...el.querySelectorAll("canvas")].find((c) => c.offsetParent !== null && c.width > 0);
      out.push({ i, colours: c ? colours(c) : 0, message: el.querySelector(".ip-message").textContent });
    }
    return out;
  }, COLOURS);
  writeFileSync(join(ARTIFACTS, "firefox-post.png"), await ff.screenshot());
  assert.ok(figures.length >= 10, `figures: ${figures.length}`);
  for (const f of figures) {
    assert.ok(f.colours > 1, `figure ${f.i} draws: ${JSON.stringify(f)}`);
    assert.equal(f.message, "", `figure ${f.i} has no message`);
  }
  assert.deepEqual(await ff.run(async () => window.__problems), []);
});
