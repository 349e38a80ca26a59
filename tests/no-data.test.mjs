// The "no data" figure in the full app (CPU backend): the reader trains a transport drift by
// NETS in the page; the walkers at τ = 1 are drawn by their weights over the energy's density,
// the ESS and log Z curves of annealing alone and of the learned drift are drawn beside the
// exact log Z, the switch changes which walkers are drawn, a new ε or energy redraws, and a bad
// energy is refused with a message that keeps the figure as it was.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve } from "./lib/server.mjs";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DIST, ROOT, launch, openPage, canvasDigest, frames, screenshot } from "./lib/browser.mjs";

const APP = ".interplay-app";
const PANEL = `${APP} .ip-nodata-panel`;
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

test("the learned drift keeps the weights even where annealing alone collapses, drawn and said", async () => {
  const page = await openPage(browser, server.url("/app/index.html#views=nodata&backend=cpu"), { width: 1100, height: 900 });
  await page.evaluate(() => window.interplay.ready);
  await page.locator(PANEL).scrollIntoViewIfNeeded();
  const status = page.locator(`${PANEL} .ip-nodata-status`);
  assert.match(await status.textContent(), /Train the drift/);
  assert.deepEqual(await page.locator(`${PANEL} .ip-energy option`).allTextContents(), ["Gaussian mixture", "rings", "blurred checkerboard", "the widget's target"]);
  // Before any training the energy is drawn: four modes of the mixture, no walkers yet.
  await frames(page);
  const idle = await canvasDigest(page, `${PANEL} .ip-nodata-walkers`);
  assert.ok(idle.colors > 20, `the energy drawn: ${idle.colors} colours`);
  await screenshot(page, "no-data-idle", PANEL);

  // The button trains on until paused, drawing both arms after every chunk.
  const button = page.locator(`${PANEL} .ip-nodata-train`);
  await button.click();
  assert.equal(await button.getAttribute("aria-pressed"), "true");
  await page.waitForFunction(() => window.interplay.noDataState().steps > 0, null, { timeout: 120000 });
  await button.click();
  assert.equal(await button.getAttribute("aria-pressed"), "false");
  assert.match(await status.textContent(), /The drift after \d+ steps? \(CPU\)\. At τ = 1, b̂ = 0 \(annealing alone\): ESS [\d.]+, log Z -?[\d.]+ .*learned drift: ESS [\d.]+/);
  assert.match(await status.textContent(), /Exact log Z = -1\.838/);
  assert.match(await status.textContent(), /log Z -?[\d.]+ ± [\d.]+ \(error/);

  // Trained on: the learned drift keeps far more of the walkers than annealing alone, and
  // its weighted walkers are closer to the density.
  const s = await page.evaluate(() => window.interplay.trainNoData(30000));
  assert.ok(s.steps >= 200, `steps: ${s.steps}`);
  assert.ok(s.ess.learned > 0.3 && s.ess.learned > 5 * s.ess.alone, `ESS at τ = 1: learned ${s.ess.learned}, alone ${s.ess.alone}`);
  assert.ok(s.tv.learned < s.tv.alone, `TV: learned ${s.tv.learned}, alone ${s.tv.alone}`);
  assert.ok(Math.abs(s.logZ.learned - s.logZ.exact) < 0.3, `log Z ${s.logZ.learned} against ${s.logZ.exact}`);
  await frames(page);
  const withDrift = await canvasDigest(page, `${PANEL} .ip-nodata-walkers`);
  const curves = await canvasDigest(page, `${PANEL} .ip-nodata-curves`);
  assert.ok(withDrift.colors > 50 && curves.colors > 5, `drawn: ${withDrift.colors}, ${curves.colors} colours`);
  await screenshot(page, "no-data-learned", PANEL);

  // The film: at τ = 0 the walkers are the Gaussian's, all of one weight, over N(0, I); the
  // slider and Play move through τ, and Play ends at τ = 1 where the picture was.
  const start = await page.evaluate(() => window.interplay.showNoDataAt(0));
  assert.equal(start.tau, 0);
  await frames(page);
  const atZero = await canvasDigest(page, `${PANEL} .ip-nodata-walkers`);
  assert.notEqual(atZero.hash, withDrift.hash);
  await screenshot(page, "no-data-tau-0", PANEL);
  await page.locator(`${PANEL} .ip-nodata-tau`).fill("0.5");
  assert.equal((await page.evaluate(() => window.interplay.noDataState())).tau, 0.5);
  assert.equal(await page.locator(`${PANEL} .ip-nodata-tau-out`).textContent(), "0.50");
  await screenshot(page, "no-data-tau-half", PANEL);
  const err = await page.evaluate(() => { try { window.interplay.showNoDataAt(2); return ""; } catch (e) { return e.message; } });
  assert.match(err, /from 0 to 1/);
  await page.locator(`${PANEL} .ip-nodata-play`).click();
  assert.equal((await page.evaluate(() => window.interplay.noDataState())).playing, true);
  await page.waitForFunction(() => !window.interplay.noDataState().playing, null, { timeout: 20000 });
  assert.equal((await page.evaluate(() => window.interplay.noDataState())).tau, 1);
  await frames(page);
  assert.equal((await canvasDigest(page, `${PANEL} .ip-nodata-walkers`)).hash, withDrift.hash);

  // The switch shows annealing alone's walkers instead: the picture changes, nothing is lost.
  await page.locator(`${PANEL} .ip-nodata-drift`).uncheck();
  await frames(page);
  const alone = await canvasDigest(page, `${PANEL} .ip-nodata-walkers`);
  assert.notEqual(alone.hash, withDrift.hash);
  const off = await page.evaluate(() => window.interplay.noDataState());
  assert.equal(off.drift, false);
  // The walkers drawn are annealing alone's now: their ESS is the collapsed one.
  assert.deepEqual(off.shown, { drift: false, ess: s.ess.alone });
  assert.equal(s.shown.ess, s.ess.learned);
  await screenshot(page, "no-data-alone", PANEL);
  await page.locator(`${PANEL} .ip-nodata-drift`).check();

  // The transport saves as a checkpoint that `interplay sample-energy` reads natively, with the
  // ESS the page shows (other walkers: the CLI's seed stream is its own).
  assert.ok(await page.locator(`${PANEL} .ip-nodata-save`).isVisible());
  const bytes = await page.evaluate(async () => [...(await window.interplay.exportNoData())]);
  assert.equal(String.fromCharCode(...bytes.slice(0, 8)), "IPLYNETS");
  // The button saves the same bytes as a file.
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator(`${PANEL} .ip-nodata-save`).click()]);
  assert.equal(download.suggestedFilename(), "interplay-transport.ckpt");
  assert.equal(readFileSync(await download.path()).subarray(0, 8).toString("latin1"), "IPLYNETS");
  const exe = join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "debug", "interplay");
  if (existsSync(exe)) {
    const dir = mkdtempSync(join(tmpdir(), "interplay-nets-"));
    writeFileSync(join(dir, "t.ckpt"), Buffer.from(bytes));
    const out = execFileSync(exe, ["sample-energy", "--model", join(dir, "t.ckpt"), "--n", "2000", "--out", join(dir, "w.csv")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const ess = Number(/^ess ([\d.]+)/m.exec(out)?.[1]);
    assert.ok(ess > 0.3, `the CLI's walkers with the page's transport: ${out}`);
    rmSync(dir, { recursive: true, force: true });
  }

  // A bad energy is refused with the names it accepts; the figure and its run are kept.
  for (const [bad, says] of [["volcano", /energy.*volcano.*gmm, rings, checkerboard, target/], [3, /energy must be a name, got 3/]]) {
    const err = await page.evaluate((e) => {
      try {
        window.interplay.setParams({ energy: e });
        return "";
      } catch (x) {
        return String(x.message || x);
      }
    }, bad);
    assert.match(err, says);
  }
  const kept = await page.evaluate(() => window.interplay.noDataState());
  assert.equal(kept.energy, "gmm");
  assert.equal(kept.steps, s.steps);

  // A new ε redraws both arms at that noise without retraining.
  await page.evaluate(() => window.interplay.setParams({ walkerEps: 2 }));
  const e2 = await page.evaluate(() => window.interplay.redrawNoData());
  assert.equal(e2.eps, 2);
  assert.equal(e2.steps, s.steps);
  assert.ok(e2.ess.learned > e2.ess.alone, JSON.stringify(e2));
  assert.match(await page.evaluate(() => window.interplay.link()), /[#&]walkerEps=2(&|$)/);

  // A new energy starts a new run: the blurred checkerboard, annealing alone drawn at once.
  await page.locator(`${PANEL} .ip-energy`).selectOption("checkerboard");
  const board = await page.evaluate(() => window.interplay.redrawNoData());
  assert.equal(board.energy, "checkerboard");
  assert.equal(board.steps, 0);
  assert.ok(board.ess.alone > 0 && board.ess.learned === null, JSON.stringify(board));
  await frames(page);
  assert.notEqual((await canvasDigest(page, `${PANEL} .ip-nodata-walkers`)).hash, alone.hash);
  await screenshot(page, "no-data-checkerboard", PANEL);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("a drawing is an energy too, and a bad energy in a link is named while the figure draws", async () => {
  // The widget's own target as the energy: the example drawing's exact density.
  const page = await openPage(browser, server.url("/app/index.html#views=nodata,eulerian&backend=cpu&target=drawn&energy=target"), { width: 1100, height: 900 });
  await page.evaluate(() => window.interplay.ready);
  await frames(page);
  const idle = await canvasDigest(page, `${PANEL} .ip-nodata-walkers`);
  assert.ok(idle.colors > 20, `the drawing's energy drawn: ${idle.colors} colours`);
  const s = await page.evaluate(() => window.interplay.trainNoData(3000));
  assert.equal(s.energy, "target");
  assert.ok(s.steps > 0 && s.ess.learned > 0 && s.ess.alone > 0, JSON.stringify(s));
  assert.ok(Math.abs(s.logZ.exact + Math.log(2 * Math.PI)) < 1e-9, JSON.stringify(s.logZ));
  await screenshot(page, "no-data-drawing", PANEL);
  assert.deepEqual(page.problems, []);
  await page.close();

  const bad = await openPage(browser, server.url("/app/index.html#views=nodata&backend=cpu&energy=volcano"), { width: 1100, height: 900 });
  await bad.evaluate(() => window.interplay.ready);
  assert.match(await bad.locator(`${APP} .ip-message`).textContent(), /energy.*volcano/);
  assert.equal((await bad.evaluate(() => window.interplay.noDataState())).energy, "gmm");
  await frames(bad);
  assert.ok((await canvasDigest(bad, `${PANEL} .ip-nodata-walkers`)).colors > 20, "the default energy is drawn");
  await bad.close();
});
