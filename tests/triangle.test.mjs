// The triangle of three marginals in the full app: dragging the point redraws ρ(α) at once,
// a drawn path plays the exact flow with particles, the second target and the path travel in
// links, a pair without exact fields says so and keeps the heat map, and bad input is refused
// with a reason.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve } from "./lib/server.mjs";
import { DIST, launch, openPage, canvasDigest, frames, screenshot } from "./lib/browser.mjs";

const APP = ".interplay-app";
const TRI = `${APP} .ip-mix-triangle`;
const PIC = `${APP} .ip-mix`;
let server;
let browser;

before(async () => {
  server = await serve({ "/app/": DIST });
  browser = await launch({ webgpu: false });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function open(hash = "") {
  const page = await openPage(browser, server.url(`/app/index.html${hash}`), { width: 1100, height: 1300 });
  await page.evaluate(() => window.interplay.ready);
  await page.locator(`${APP} .ip-mix-panel`).scrollIntoViewIfNeeded();
  await frames(page);
  return page;
}

/** The page pixel of barycentric α on the triangle canvas (its vertices as triangle.js puts them). */
async function pixelOf(page, a) {
  const box = await page.locator(TRI).boundingBox();
  const [W, H, PAD] = [260, 236, 26];
  const V = [[W / 2, PAD], [PAD, H - PAD], [W - PAD, H - PAD]];
  const x = a[0] * V[0][0] + a[1] * V[1][0] + a[2] * V[2][0];
  const y = a[0] * V[0][1] + a[1] * V[1][1] + a[2] * V[2][1];
  return [box.x + (x * box.width) / W, box.y + (y * box.height) / H];
}

test("dragging the point redraws ρ(α) at once, and the point travels in the link", async () => {
  const page = await open();
  const start = await canvasDigest(page, PIC);
  assert.ok(start.colors > 20, `the heat map is drawn: ${JSON.stringify(start)}`);
  assert.equal((await page.evaluate(() => window.interplay.getParams())).mix, "0.334,0.333,0.333");
  await screenshot(page, "triangle-default", `${APP} .ip-mix-panel`);

  // Drag to near the target's vertex: the picture becomes the checkerboard.
  await page.mouse.move(...(await pixelOf(page, [0.34, 0.33, 0.33])));
  await page.mouse.down();
  await page.mouse.move(...(await pixelOf(page, [0.05, 0.9, 0.05])), { steps: 5 });
  await page.mouse.up();
  await frames(page);
  const p = await page.evaluate(() => window.interplay.getParams());
  const a = p.mix.split(",").map(Number);
  assert.ok(a[1] > 0.8 && Math.abs(a[0] + a[1] + a[2] - 1) < 1e-9, `α followed the pointer: ${p.mix}`);
  const near = await canvasDigest(page, PIC);
  assert.notEqual(near.hash, start.hash, "the heat map changed with α");
  await screenshot(page, "triangle-near-checkerboard", `${APP} .ip-mix-panel`);
  await page.waitForFunction((mix) => new URLSearchParams(location.hash.slice(1)).get("mix") === mix, p.mix);

  // The keyboard moves it too.
  await page.locator(TRI).click({ position: { x: 130, y: 150 } });
  const before = (await page.evaluate(() => window.interplay.getParams())).mix;
  await page.keyboard.press("ArrowRight");
  await frames(page);
  const after = (await page.evaluate(() => window.interplay.getParams())).mix;
  assert.notEqual(after, before, "→ moves weight to the second target");
  assert.ok(Number(after.split(",")[2]) > Number(before.split(",")[2]), `${before} → ${after}`);

  // The link restores the point and the second target.
  const link = await page.evaluate(() => window.interplay.link());
  const again = await openPage(browser, link.replace(/second=[a-z]+/, "second=moons"), { width: 1100, height: 1300 });
  await again.evaluate(() => window.interplay.ready);
  const q = await again.evaluate(() => window.interplay.getParams());
  assert.equal(q.mix, after);
  assert.equal(q.second, "moons");
  assert.equal(await again.locator(`${APP} .ip-second`).inputValue(), "moons");
  await again.close();
  await page.close();
});

test("a drag in the triangle asks the training engine for nothing", async () => {
  // The learned flow on the main views: every change of their parameters asks the engine for
  // new particles and metrics. The triangle's point is not one of them.
  const page = await open("#source=schedule-free");
  const settled = () =>
    page.evaluate(async () => {
      const api = window.interplay;
      api.pause();
      let last = null;
      for (let i = 0; i < 60; i++) {
        await new Promise((ok) => setTimeout(ok, 500));
        const s = await api.engineStats();
        if (s && last && s.pendingViews === 0 && s.views === last.views) return s;
        last = s;
      }
      throw new Error(`the engine never settled: ${JSON.stringify(last)}`);
    });
  const before = await settled();
  await page.mouse.move(...(await pixelOf(page, [0.34, 0.33, 0.33])));
  await page.mouse.down();
  await page.mouse.move(...(await pixelOf(page, [0.1, 0.6, 0.3])), { steps: 8 });
  await page.mouse.up();
  await frames(page);
  const after = await settled();
  assert.ok(Number((await page.evaluate(() => window.interplay.getParams())).mix.split(",")[1]) > 0.5, "the point moved");
  assert.equal(after.views, before.views, `no model views for the triangle: ${JSON.stringify(after.viewsByOp)} after ${JSON.stringify(before.viewsByOp)}`);
  await page.close();
});

test("a drawn path plays the exact flow with particles along it", async () => {
  const page = await open("#second=rings");
  await page.locator(`${APP} .ip-mix-mode`).click();
  assert.equal(await page.locator(`${APP} .ip-mix-mode`).evaluate((b) => b.getAttribute("aria-pressed")), "true");
  const at0 = await canvasDigest(page, PIC);
  // From the Gaussian's vertex (snapped) through the middle to near the rings.
  await page.mouse.move(...(await pixelOf(page, [0.99, 0.005, 0.005])));
  await page.mouse.down();
  for (const a of [[0.7, 0.2, 0.1], [0.4, 0.3, 0.3], [0.15, 0.15, 0.7]]) await page.mouse.move(...(await pixelOf(page, a)), { steps: 4 });
  await page.mouse.up();
  const p = await page.evaluate(() => window.interplay.getParams());
  const knots = p.mixPath.split(";");
  assert.ok(knots.length >= 3 && knots[0] === "1,0,0", `the path starts at the snapped vertex: ${p.mixPath}`);
  // It plays on its own; wait for its end.
  await page.waitForFunction(() => window.interplay.triangleState().s === 1 && !window.interplay.triangleState().playing, undefined, { timeout: 30000 });
  const end = await canvasDigest(page, PIC);
  assert.notEqual(end.hash, at0.hash);
  const status = await page.locator(`${APP} .ip-mix-status`).evaluate((e) => e.textContent);
  assert.match(status, /particles carried/, status);
  await screenshot(page, "triangle-path-end", `${APP} .ip-mix-panel`);
  // Particles are white dots on the heat map: many pure-white pixels.
  const white = await page.evaluate((sel) => {
    const c = document.querySelector(sel);
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 240 && d[i + 1] > 240 && d[i + 2] > 240) n++;
    return n;
  }, PIC);
  assert.ok(white > 300, `the particles are drawn: ${white} white pixels`);

  // The path is in the link; opening it and playing it gives the same last frame.
  const link = await page.evaluate(() => window.interplay.link());
  const again = await openPage(browser, link, { width: 1100, height: 1300 });
  await again.evaluate(() => window.interplay.ready);
  await again.locator(`${APP} .ip-mix-panel`).scrollIntoViewIfNeeded();
  const ms = await again.evaluate(async () => {
    const t0 = performance.now();
    await window.interplay.flowTriangle();
    return performance.now() - t0;
  });
  console.log(`carrying and playing the flow took ${Math.round(ms)} ms (4000 of them playing)`);
  assert.equal((await canvasDigest(again, PIC)).hash, end.hash, "the link restores the path and its flow");
  await again.close();

  // Clearing the path goes back to the point.
  await page.locator(`${APP} .ip-mix-clear`).click();
  await frames(page);
  assert.equal((await page.evaluate(() => window.interplay.getParams())).mixPath, "");
  assert.ok(await page.locator(`${APP} .ip-mix-clear`).evaluate((b) => b.hidden));
  await page.close();
});

test("targets without exact fields keep the heat map and say why; bad input is refused", async () => {
  const page = await open("#second=gmm&mixPath=1,0,0;0,0.5,0.5");
  const before = await canvasDigest(page, PIC);
  const err = await page.evaluate(() => window.interplay.flowTriangle().then(() => null, (e) => e.message));
  assert.match(err, /checkerboard with gmm/, err);
  const status = await page.locator(`${APP} .ip-mix-status`).evaluate((e) => e.textContent);
  assert.match(status, /No flow/, status);
  assert.ok((await canvasDigest(page, PIC)).colors > 20, "the heat map stays");
  assert.ok(before.colors > 20);
  assert.ok(await page.locator(`${APP} .ip-mix-play`).evaluate((b) => b.hidden), "no Play without a flow");

  for (const [change, says] of [
    [{ mix: "0.5,0.6,0.1" }, /three weights/],
    [{ mixPath: "1,0,0" }, /2 to 12/],
    [{ second: "drawn" }, /first target only/],
  ]) {
    const keep = await page.evaluate(() => window.interplay.getParams());
    const e = await page.evaluate((c) => {
      try {
        window.interplay.setParams(c);
        return null;
      } catch (x) {
        return x.message;
      }
    }, change);
    assert.match(e ?? "", says, JSON.stringify(change));
    const now = await page.evaluate(() => window.interplay.getParams());
    assert.deepEqual(now, keep, "nothing is lost");
  }
  // A bad link names the key and draws the rest.
  const bad = await openPage(browser, server.url("/app/index.html#mix=2,0,0&second=moons"), { width: 1100, height: 1300 });
  await bad.evaluate(() => window.interplay.ready);
  const msg = await bad.locator(`${APP} .ip-message`).evaluate((e) => e.textContent);
  assert.match(msg, /mix must be three weights/, msg);
  assert.equal((await bad.evaluate(() => window.interplay.getParams())).second, "moons");
  await bad.close();
  await page.close();
});
