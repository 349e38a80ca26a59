// The built page, served under a sub-path, in headless Chromium.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve } from "./lib/server.mjs";
import { DIST, launch, openPage, canvasDigest, frames, screenshot } from "./lib/browser.mjs";
import { countFramesAsked } from "./lib/idle.mjs";

let server;
let browser;

before(async () => {
  server = await serve({ "/assets/interplay/": DIST });
  browser = await launch({ webgpu: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test("the page draws the exact density and the t slider redraws it", async () => {
  const page = await openPage(browser, server.url("/assets/interplay/index.html"));
  await page.evaluate(() => window.interplay.ready);
  await frames(page);
  const before = await canvasDigest(page, ".interplay-app .ip-eulerian");
  assert.equal(before.width, 128);
  assert.ok(before.colors > 20, `a heat map has many colours, got ${before.colors}`);
  await screenshot(page, "page-t0.5");

  // Drag the slider as a person would: focus it and press keys, then set a far value.
  const slider = page.locator(".interplay-app .ip-t");
  await slider.fill("0.95");
  await frames(page);
  const after = await canvasDigest(page, ".interplay-app .ip-eulerian");
  assert.notEqual(after.hash, before.hash, "moving t must change the picture");
  assert.equal(await page.locator(".interplay-app .ip-t-out").textContent(), "0.950");
  // And it changes it to the right one: the picture of a page opened at t = 0.95.
  const direct = await openPage(browser, server.url("/assets/interplay/index.html#t=0.95"));
  await direct.evaluate(() => window.interplay.ready);
  await frames(direct);
  const expected = await canvasDigest(direct, ".interplay-app .ip-eulerian");
  await direct.close();
  assert.equal(after.hash, expected.hash, "the slider at 0.95 draws what a link to t = 0.95 draws");
  await screenshot(page, "page-t0.95");

  // Keyboard: arrow keys move the slider and redraw.
  await slider.focus();
  await page.keyboard.press("ArrowLeft");
  await frames(page);
  const params = await page.evaluate(() => window.interplay.getParams());
  assert.ok(Math.abs(params.t - 0.949) < 1e-9, `ArrowLeft moves t by one step, got ${params.t}`);
  assert.notEqual((await canvasDigest(page, ".interplay-app .ip-eulerian")).hash, after.hash);

  assert.deepEqual(page.problems, [], "no console errors or warnings");
  await page.close();
});

test("bad parameters show a message and keep the last good state", async () => {
  const page = await openPage(browser, server.url("/assets/interplay/"));
  await page.evaluate(() => window.interplay.ready);
  await page.evaluate(() => window.interplay.setParams({ t: 0.3 }));
  await frames(page);
  const good = await canvasDigest(page, ".interplay-app .ip-eulerian");
  for (const bad of [{ t: "NaN" }, { t: 7 }, { path: "spline" }, { gammaScale: 3 }]) {
    const err = await page.evaluate((b) => {
      try {
        window.interplay.setParams(b);
        return null;
      } catch (e) {
        return e.message;
      }
    }, bad);
    assert.ok(err, `${JSON.stringify(bad)} must be refused`);
    const shown = await page.locator(".interplay-app .ip-message").textContent();
    assert.match(shown, /Not applied/);
    await frames(page);
    assert.equal((await canvasDigest(page, ".interplay-app .ip-eulerian")).hash, good.hash);
    assert.equal((await page.evaluate(() => window.interplay.getParams())).t, 0.3);
  }
  await screenshot(page, "page-bad-input");
  await page.close();
});

test("a still widget idles (a few frames a second) and draws a change in the next frame", async () => {
  const page = await openPage(browser, server.url("/assets/interplay/index.html"));
  await page.evaluate(() => window.interplay.ready);
  await page.evaluate(() => window.interplay.whenDrawn());
  // Every frame the page asks for, counted from here on.
  await page.evaluate(countFramesAsked);
  await page.waitForTimeout(2000);
  const idle = await page.evaluate(() => window.framesAsked);
  // Drawing every frame would be ~120 in 2 s; idle, the loop looks every 100 ms.
  assert.ok(idle <= 40, `an idle widget asked for ${idle} frames in 2 s`);
  assert.ok(idle >= 5, `an idle widget still looks now and then (${idle} frames in 2 s)`);
  assert.equal(await page.evaluate(() => window.interplay.running()), true, "idle is not asleep");

  // A change wakes it: the next frame draws it (without the wake, the idle wait would pass first).
  for (const t of [0.8, 0.2, 0.6]) {
    const before = await canvasDigest(page, ".interplay-app .ip-eulerian");
    await page.evaluate((t) => window.interplay.setParams({ t }), t);
    await frames(page, 1);
    assert.notEqual((await canvasDigest(page, ".interplay-app .ip-eulerian")).hash, before.hash, `t = ${t} drawn in the next frame`);
  }
  // Playing draws every frame again.
  const played = await page.evaluate(async () => {
    window.interplay.play();
    const n0 = window.framesAsked;
    await new Promise((ok) => setTimeout(ok, 1000));
    window.interplay.pause();
    return window.framesAsked - n0;
  });
  assert.ok(played > 2 * (idle / 2), `playing asks for every frame (${played} in 1 s against ${idle / 2} idle)`);
  assert.deepEqual(page.problems, [], "no console errors or warnings");
  await page.close();
});
