// The flow-map figure in the full app (CPU backend): the reader trains X̂_{s,t} in the page, the
// map's particles are drawn with their jumps beside the exact ODE's, the (s, t) error triangle
// fills in row by row and falls as the map learns, the number of jumps switches among 1, 2, 4
// and 8, and any other is refused with a message that keeps the figure as it was.
import { readFileSync } from "node:fs";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve } from "./lib/server.mjs";
import { DIST, launch, openPage, canvasDigest, canvasPixels, frames, screenshot } from "./lib/browser.mjs";

const APP = ".interplay-app";
const PANEL = `${APP} .ip-fmap-panel`;
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

/** The mean error of the cells whose start is the grid's first time (s = 0). */
const firstRow = (e) => {
  const row = e.error.filter((_, i) => e.s[i] === e.times[0]);
  return row.reduce((a, b) => a + b, 0) / row.length;
};

/** How many of the triangle's 36 cells are coloured by the heat scale (not the grey of unsolved). */
async function colouredCells(page) {
  const [W, H, PAD, m] = [300, 300, 34, 8];
  const cw = (W - PAD - 8) / m;
  const ch = (H - PAD - 8) / m;
  const d = await canvasPixels(page, `${PANEL} .ip-fmap-errors`, 0, 0, W, H);
  let coloured = 0;
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j <= m; j++) {
      const x = Math.round(PAD + (i + 0.5) * cw);
      const y = Math.round(8 + (m - j + 0.5) * ch);
      const k = 4 * (y * W + x);
      // The heat scale is opaque; an unsolved cell is a translucent grey.
      if (d[k + 3] === 255) coloured++;
    }
  }
  return coloured;
}

test("the flow map trains in the page, jumps beside the exact ODE, and its error triangle fills in", async () => {
  const page = await openPage(browser, server.url("/app/index.html#views=flowmap&backend=cpu"), { width: 1100, height: 900 });
  await page.evaluate(() => window.interplay.ready);
  await page.locator(PANEL).scrollIntoViewIfNeeded();
  const status = page.locator(`${PANEL} .ip-fmap-status`);
  assert.match(await status.textContent(), /Train the map/);
  assert.ok(await page.locator(`${PANEL} .ip-fmap-save`).isHidden(), "nothing to save before a map");

  // The button trains on until paused, drawing after every chunk.
  await page.locator(`${PANEL} .ip-fmap-train`).click();
  assert.equal(await page.locator(`${PANEL} .ip-fmap-train`).getAttribute("aria-pressed"), "true");
  await page.waitForFunction(() => window.interplay.flowMapState().steps > 0, null, { timeout: 120000 });
  const early = page.evaluate(() => window.interplay.flowMapState());
  assert.ok((await early).cells >= 8 && (await early).cells < 36, JSON.stringify(await early));
  assert.match(await status.textContent(), /The map after \d+ steps? .*CPU.*: 1 jump put [\d.]+ % of the points in the target's support; the exact ODE [\d.]+ %/);
  assert.match(await status.textContent(), /solved for \d of 8 start times/);
  // The triangle fills in one row of start times per drawing.
  await page.waitForFunction(() => window.interplay.flowMapState().cells === 36, null, { timeout: 180000 });
  await page.locator(`${PANEL} .ip-fmap-train`).click();
  assert.equal(await page.locator(`${PANEL} .ip-fmap-train`).getAttribute("aria-pressed"), "false");
  await frames(page);
  assert.equal(await colouredCells(page), 36, "every cell of the triangle is coloured");

  // Training on: the map comes closer to the exact one, and more of its one-jump points land
  // in the squares; the exact ODE puts nearly all of them there.
  const before = await page.evaluate(() => window.interplay.trainFlowMap(400));
  const after = await page.evaluate(() => window.interplay.trainFlowMap(15000));
  assert.ok(after.steps > before.steps + 20, `${before.steps} → ${after.steps} steps`);
  assert.ok(firstRow(after.errors) < 0.9 * firstRow(before.errors), `E|X̂ − X| from s = 0: ${firstRow(before.errors)} → ${firstRow(after.errors)}`);
  assert.ok(after.inSquares[1] > 0.95, `exact ODE in the squares: ${after.inSquares[1]}`);
  assert.ok(after.inSquares[0] > before.inSquares[0], `one jump in the squares: ${before.inSquares[0]} → ${after.inSquares[0]}`);
  const learned = await canvasDigest(page, `${PANEL} .ip-fmap-learned`);
  const exact = await canvasDigest(page, `${PANEL} .ip-fmap-exact`);
  assert.ok(learned.colors > 100 && exact.colors > 100, `drawn: ${learned.colors}, ${exact.colors} colours`);
  await screenshot(page, "flow-map-one-jump", PANEL);

  // Four jumps: the picture changes, the exact side shows the same starts at four stops.
  const four = await page.evaluate(() => window.interplay.setFlowMapJumps(4));
  assert.equal(four.jumps.k, 4);
  assert.equal(four.jumps.times.length, 5);
  assert.equal(await page.locator(`${PANEL} .ip-fmap-k`).inputValue(), "4");
  assert.notEqual((await canvasDigest(page, `${PANEL} .ip-fmap-learned`)).hash, learned.hash);
  assert.match(await status.textContent(), /4 jumps put/);
  await screenshot(page, "flow-map-four-jumps", PANEL);
  // The menu offers 1, 2, 4 and 8; the API refuses anything else, says why and keeps 4.
  assert.deepEqual(await page.locator(`${PANEL} .ip-fmap-k option`).allTextContents(), ["1", "2", "4", "8"]);
  for (const bad of [3, 0, "two"]) {
    const err = await page.evaluate((k) => window.interplay.setFlowMapJumps(k).then(() => "", (e) => String(e.message || e)), bad);
    assert.match(err, /the flow map jumps 1, 2, 4 or 8 times/);
    assert.match(await status.textContent(), /1, 2, 4 or 8 times .* 4 kept/);
    assert.equal((await page.evaluate(() => window.interplay.flowMapState())).k, 4);
  }
  // K is a parameter: the link keeps it.
  assert.match(await page.evaluate(() => window.interplay.link()), /[#&]jumps=4(&|$)/);
  // The map saves as a flow-map checkpoint, which `interplay sample --model` reads.
  const head = await page.evaluate(async () => String.fromCharCode(...(await window.interplay.exportFlowMap()).slice(0, 8)));
  assert.equal(head, "IPLYFMAP");
  assert.ok(await page.locator(`${PANEL} .ip-fmap-save`).isVisible());
  // The button saves the map as a file.
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator(`${PANEL} .ip-fmap-save`).click()]);
  assert.equal(download.suggestedFilename(), "interplay-flow-map.ckpt");
  assert.equal(readFileSync(await download.path()).subarray(0, 8).toString("latin1"), "IPLYFMAP");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("a new target or seed starts a fresh map, said in the figure; the widget's pairing does not change it", async () => {
  // Minibatch OT pairs are the widget's training choice; the figure learns the ODE of
  // independent pairs, the one the exact map solves.
  const page = await openPage(browser, server.url("/app/index.html#views=flowmap&backend=cpu&coupling=ot"), { width: 1100, height: 900 });
  await page.evaluate(() => window.interplay.ready);
  // Train until the map has many more steps than one chunk can take (the first chunk also
  // loads the engine and solves the exact side, so its time says little).
  let r = await page.evaluate(() => window.interplay.trainFlowMap(1000));
  for (let i = 0; i < 30 && r.steps < 60; i++) r = await page.evaluate(() => window.interplay.trainFlowMap(1000));
  assert.ok(r.steps >= 60, `${r.steps} steps`);
  await page.evaluate(() => window.interplay.setParams({ target: "gmm" }));
  assert.match(await page.locator(`${PANEL} .ip-fmap-status`).textContent(), /The schedule, target or seed changed/);
  // One chunk of a fresh map: far fewer steps than the old map had.
  const fresh = await page.evaluate(() => window.interplay.trainFlowMap(1));
  assert.ok(fresh.steps < r.steps, `a fresh map: ${fresh.steps} steps after ${r.steps}`);
  assert.ok(fresh.inSquares[1] > 0.9, `the exact ODE lands on the mixture: ${fresh.inSquares[1]}`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("a link sets the jumps, and a bad one is named while the rest of the link applies", async () => {
  const page = await openPage(browser, server.url("/app/index.html#views=flowmap&backend=cpu&jumps=8&seed=3"), { width: 1100, height: 900 });
  await page.evaluate(() => window.interplay.ready);
  assert.equal((await page.evaluate(() => window.interplay.flowMapState())).k, 8);
  assert.equal(await page.locator(`${PANEL} .ip-fmap-k`).inputValue(), "8");
  const r = await page.evaluate(() => window.interplay.trainFlowMap(300));
  assert.equal(r.k, 8);
  await page.close();
  const bad = await openPage(browser, server.url("/app/index.html#views=flowmap&backend=cpu&jumps=3&seed=3"), { width: 1100, height: 900 });
  await bad.evaluate(() => window.interplay.ready);
  assert.match(await bad.locator(`${APP} .ip-message`).textContent(), /Some options were not applied: jumps = "?3"?: the flow map jumps 1, 2, 4 or 8 times/);
  const p = await bad.evaluate(() => window.interplay.getParams());
  assert.equal(p.jumps, 1);
  assert.equal(p.seed, 3, "the rest of the link applies");
  // The figure's starting points are drawn before any training: never a blank box.
  assert.ok((await canvasDigest(bad, `${PANEL} .ip-fmap-learned`)).colors > 50);
  await bad.close();
});
