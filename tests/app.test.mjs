// The interactive page (the full app of index.html): every slider changes the views it should,
// keyboard operation, screenshots of each view, bad input through the API and the URL, the
// backend choice, and the learned views from the shipped checkpoint.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { serve } from "./lib/server.mjs";
import { DIST, ROOT, launch, openPage, canvasDigest, canvasPixels, screenshot } from "./lib/browser.mjs";

const APP = ".interplay-app";
let server;
let browser;
let cpuBrowser;

before(async () => {
  server = await serve({ "/app/": DIST });
  browser = await launch({ webgpu: true });
  cpuBrowser = await launch({ webgpu: false });
});

after(async () => {
  await browser?.close();
  await cpuBrowser?.close();
  await server?.close();
});

/** Waits until the widget has nothing left to catch up, then digests the four canvases. */
async function views(page) {
  await page.evaluate(() => window.interplay.whenDrawn());
  const d = {};
  for (const [k, sel] of [["eulerian", "ip-eulerian"], ["ode", "ip-ode"], ["sde", "ip-sde"], ["schedule", "ip-schedule-plot"]]) {
    d[k] = await canvasDigest(page, `${APP} .${sel}`);
  }
  d.odeShown = await page.locator(`${APP} .ip-ode-panel`).isVisible();
  d.sdeShown = await page.locator(`${APP} .ip-sde-panel`).isVisible();
  return d;
}

async function open(hash = "", b = browser) {
  const page = await openPage(b, server.url(`/app/index.html${hash}`), { width: 1100, height: 1300 });
  await page.evaluate(() => window.interplay.ready);
  return page;
}

test("each slider changes the views it should; ε leaves the exact density alone", async () => {
  const page = await open("#particles=1000");
  const start = await views(page);
  assert.ok(start.eulerian.colors > 20 && start.ode.colors > 4 && start.schedule.colors > 4, JSON.stringify(start));
  assert.ok(start.odeShown && !start.sdeShown, "ε = 0: the ODE panel only");
  await screenshot(page, "app-default");

  // [slider, value, views that must change, views that must not]
  const moves = [
    [".ip-t", "0.8", ["eulerian", "ode", "schedule"], []],
    [".ip-alpha", "2", ["eulerian", "ode", "schedule"], []],
    [".ip-beta", "0.5", ["eulerian", "ode", "schedule"], []],
    [".ip-gscale", "0.3", ["eulerian", "ode", "schedule"], []],
    [".ip-eps", "0.8", ["sde"], ["eulerian", "schedule"]],
  ];
  let prev = start;
  for (const [sel, value, change, keep] of moves) {
    await page.locator(`${APP} ${sel}`).fill(value);
    const now = await views(page);
    for (const k of change) assert.notEqual(now[k].hash, prev[k].hash, `${sel} = ${value} must change the ${k} view`);
    for (const k of keep) assert.equal(now[k].hash, prev[k].hash, `${sel} = ${value} must leave the ${k} view alone`);
    prev = now;
  }
  // ε > 0: the SDE panel replaces the ODE panel, and its particles are drawn.
  assert.ok(prev.sdeShown && !prev.odeShown);
  assert.ok(prev.sde.colors > 4, `SDE particles drawn: ${prev.sde.colors} colours`);
  await screenshot(page, "app-sde", `${APP} .ip-views`);

  // Side by side: the ODE comes back next to the SDE, from the same starting points.
  await page.locator(`${APP} .ip-compare`).check();
  const both = await views(page);
  assert.ok(both.odeShown && both.sdeShown);
  assert.equal(both.sde.hash, prev.sde.hash, "the SDE panel is unchanged by showing the ODE beside it");
  await page.locator(`${APP} .ip-arrows`).selectOption("b");
  const arrows = await views(page);
  assert.notEqual(arrows.ode.hash, both.ode.hash, "arrows of b are drawn over the particles");
  await screenshot(page, "app-ode-vs-sde-arrows", `${APP} .ip-views`);
  await screenshot(page, "app-schedule", `${APP} .ip-schedule-box`);

  // The interpolant-samples heat map differs from the exact one but shows the same picture.
  await page.locator(`${APP} .ip-eulerian-source`).selectOption("samples");
  const samples = await views(page);
  assert.notEqual(samples.eulerian.hash, arrows.eulerian.hash);
  await screenshot(page, "app-eulerian-samples", `${APP} .ip-eulerian-panel`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("keyboard: every control is labelled and reachable, arrow keys move the sliders", async () => {
  const page = await open("#particles=1000");
  const unlabelled = await page.evaluate((app) => {
    const root = document.querySelector(app);
    return [...root.querySelectorAll("input, select, button, textarea")]
      .filter((el) => !([...(el.labels || [])].some((l) => l.textContent.trim()) || el.getAttribute("aria-label") || el.textContent.trim()))
      .map((el) => el.className);
  }, APP);
  assert.deepEqual(unlabelled, [], "every control has a label");
  // The menus, ranges and labels are the viewer's list (Rust's), placed by controls.js.
  const built = await page.evaluate((app) => {
    const root = document.querySelector(app);
    const el = (c) => root.querySelector(c);
    return {
      paths: [...el(".ip-path").options].map((o) => `${o.value}:${o.text}`),
      eps: [el(".ip-eps").min, el(".ip-eps").max, el(".ip-eps").step],
      epsLabel: el(".ip-eps").labels[0].querySelector("span").textContent,
      particles: [...el(".ip-particles").options].map((o) => o.value),
      eulerianName: el(".ip-eulerian-source").getAttribute("aria-label"),
    };
  }, APP);
  assert.deepEqual(built.paths.slice(0, 2), ["linear:linear", "trig:trigonometric"], JSON.stringify(built));
  assert.equal(built.paths.length, 7);
  assert.deepEqual(built.eps, ["0", "5", "0.05"]);
  assert.equal(built.epsLabel, "noise ε");
  assert.deepEqual(built.particles, ["1000", "5000", "20000"]);
  assert.equal(built.eulerianName, "What the Eulerian view shows");

  await page.locator(`${APP} .ip-play`).focus();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "ip-t", "Tab goes from play to the t slider");

  for (const [sel, key, param, expected] of [
    [".ip-t", "ArrowRight", "t", 0.501],
    [".ip-alpha", "ArrowRight", "alphaExp", 1.05],
    [".ip-beta", "ArrowLeft", "betaExp", 0.95],
    [".ip-gscale", "ArrowLeft", "gammaScale", 0.99],
    [".ip-eps", "ArrowRight", "eps", 0.05],
  ]) {
    const before = await views(page);
    await page.locator(`${APP} ${sel}`).focus();
    await page.keyboard.press(key);
    const p = await page.evaluate(() => window.interplay.getParams());
    assert.ok(Math.abs(p[param] - expected) < 1e-9, `${key} on ${sel}: ${param} = ${p[param]}, expected ${expected}`);
    const after = await views(page);
    const changed = ["eulerian", "ode", "sde", "schedule"].some((k) => after[k].hash !== before[k].hash);
    assert.ok(changed, `${key} on ${sel} redraws`);
    assert.match((await page.locator(`${APP} ${sel}`).getAttribute("aria-valuetext")) || "", new RegExp(param));
  }
  // Space on the focused play button plays; again pauses.
  await page.locator(`${APP} .ip-play`).focus();
  await page.keyboard.press("Space");
  await page.waitForTimeout(300);
  await page.keyboard.press("Space");
  const t = (await page.evaluate(() => window.interplay.getParams())).t;
  assert.ok(t > 0.501, `playing moved t forward (t = ${t})`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("bad values through the URL and the API show a message and keep the last good state", async () => {
  // The URL: good keys apply, bad ones are named, the page still draws.
  const page = await open("#t=NaN&alphaExp=9&preset=spline&path=trig&zoom=2");
  const p = await page.evaluate(() => window.interplay.getParams());
  assert.equal(p.path, "trig", "a good key of a partly bad link still applies");
  assert.equal(p.t, 0.5);
  assert.equal(p.alphaExp, 1);
  const msg = await page.locator(`${APP} .ip-message`).textContent();
  for (const needle of ["t = NaN", "alphaExp = 9", "preset 'spline' is unknown", "unknown parameter 'zoom'"]) {
    assert.ok(msg.includes(needle), `message names ${needle}: ${msg}`);
  }
  const good = await views(page);
  assert.ok(good.eulerian.colors > 20, "the page draws with the defaults");
  await screenshot(page, "app-bad-url");

  // The API: NaN, out of range, unknown preset, invalid schedule → refused, nothing changes.
  for (const bad of [{ t: NaN }, { eps: 6 }, { preset: "sigmoid-ish" }, { gammaScale: -1 }, { particles: 1e9 }, { path: "trig", gamma: "sin2", gammaScale: 1.5 }]) {
    const err = await page.evaluate((b) => {
      try {
        window.interplay.setParams(b);
        return null;
      } catch (e) {
        return e.message;
      }
    }, bad);
    assert.ok(err, `${JSON.stringify(bad)} must be refused`);
    assert.match(await page.locator(`${APP} .ip-message`).textContent(), /Not applied/);
    const now = await views(page);
    assert.equal(now.eulerian.hash, good.eulerian.hash);
    assert.deepEqual(await page.evaluate(() => window.interplay.getParams()), p);
  }
  // A slider moved to a setting that is not an interpolant is explained next to the schedule.
  // (The trig path uses √(1 − γ²), and γ = sin²(πt) reaches 1 at t = 1/2.)
  await page.locator(`${APP} .ip-gamma`).selectOption("sin2");
  const why = await page.locator(`${APP} .ip-schedule-msg`).textContent();
  assert.match(why, /not a valid interpolant/);
  assert.equal((await page.evaluate(() => window.interplay.getParams())).gamma, "brownian");
  assert.equal(await page.locator(`${APP} .ip-gamma`).inputValue(), "brownian", "the menu returns to the last good value");
  // Moving on clears the explanation.
  await page.locator(`${APP} .ip-gscale`).fill("0.5");
  assert.equal(await page.locator(`${APP} .ip-schedule-msg`).textContent(), "");
  await screenshot(page, "app-bad-slider", `${APP} .ip-schedule-box`);
  await page.close();
});

test("backend: auto says how it chose, on a software adapter and without WebGPU", async () => {
  const backendOf = async (b, hash) => {
    const page = await open(hash, b);
    const r = await page.evaluate(async () => {
      const api = window.interplay;
      await api.train(1);
      return { backend: api.backend, adapter: api.adapter };
    });
    r.notice = await page.locator(`${APP} .ip-backend-note`).textContent();
    r.message = await page.locator(`${APP} .ip-message`).textContent();
    r.status = await page.locator(`${APP} .ip-train-status`).textContent();
    r.problems = page.problems;
    await page.close();
    return r;
  };
  // (engine.test.mjs trains with backend=webgpu forced on the SwiftShader adapter.)
  const small = "width=8&depth=1&batch=16";
  // auto times the CPU backend and does not try the software adapter (engine.test.mjs checks
  // the choice and that nothing ran on the adapter).
  const auto = await backendOf(browser, `#${small}`);
  assert.match(auto.notice, /chosen by a short trial on this network: CPU [\d.]+ steps\/s, WebGPU not used \(its adapter is a software renderer/);
  const none = await backendOf(cpuBrowser, `#${small}`);
  assert.equal(none.backend, "cpu");
  assert.match(none.notice, /CPU backend.*WebGPU not available/);
  for (const r of [auto, none]) {
    assert.deepEqual(r.problems, []);
    assert.equal(r.message, "", "the backend is named once, beside Train");
  }
});

test("the shipped checkpoint gives the learned views; the sliders move the schedule-free flow", async () => {
  const page = await open("#source=schedule-free&particles=1000&t=0.6", cpuBrowser);
  await page.waitForFunction(
    (app) => Number.isFinite(parseFloat(document.querySelector(`${app} .ip-q-in_support`).textContent)),
    APP,
    { timeout: 60000 },
  );
  const inSupport = parseFloat(await page.locator(`${APP} .ip-q-in_support`).textContent());
  assert.ok(inSupport > 0.9, `the pretrained model puts ${inSupport} of its samples in the support`);
  const learned = await views(page);
  assert.ok(learned.ode.colors > 4, "learned particles drawn");
  await screenshot(page, "app-learned-schedule-free");
  // A new schedule moves the learned particles without retraining (no training steps taken).
  await page.evaluate(() => window.interplay.setParams({ path: "trig", alphaExp: 1.5 }));
  const moved = await views(page);
  assert.notEqual(moved.ode.hash, learned.ode.hash);
  assert.match(await page.locator(`${APP} .ip-train-status`).textContent(), /pretrained/);
  // The model's own density in the Eulerian view.
  await page.locator(`${APP} .ip-eulerian-source`).selectOption("model-density");
  const dens = await views(page);
  assert.notEqual(dens.eulerian.hash, moved.eulerian.hash);
  await screenshot(page, "app-model-density", `${APP} .ip-eulerian-panel`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("narrow screens and reduced motion", async () => {
  const page = await openPage(browser, server.url("/app/index.html#particles=1000&t=0"), { width: 360, height: 800 });
  await page.emulateMedia({ reducedMotion: "reduce" });
  await page.evaluate(() => window.interplay.ready);
  await page.evaluate(() => window.interplay.whenDrawn());
  const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at 360 px (overflow ${overflow} px)`);
  await screenshot(page, "app-360px", null);
  // Reduced motion: play steps t in tenths, once a second, instead of animating.
  await page.evaluate(() => window.interplay.play());
  await page.waitForTimeout(400);
  const early = (await page.evaluate(() => window.interplay.getParams())).t;
  await page.waitForTimeout(1300);
  const later = (await page.evaluate(() => window.interplay.getParams())).t;
  await page.evaluate(() => window.interplay.pause());
  assert.equal(early, 0, "no movement within the first second");
  assert.ok(Math.abs(later - 0.1) < 1e-9 || Math.abs(later - 0.2) < 1e-9, `a step of 0.1: t = ${later}`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("a target drawn by hand: strokes on the heat map become the target, links keep it, the engine trains on it", async () => {
  const page = await open("#target=drawn&t=1&particles=1000");
  const canvas = page.locator(`${APP} .ip-eulerian`);
  assert.ok(await page.locator(`${APP} .ip-draw`).isVisible(), "the drawing bar shows for a drawn target");
  assert.equal(await page.locator(`${APP} .ip-target`).inputValue(), "drawn");
  const heart = await views(page);
  assert.ok(heart.eulerian.colors > 20 && heart.ode.colors > 4, "the default drawing is drawn before any stroke");
  await screenshot(page, "app-drawn-default");

  /** Drags the mouse through view points (x, y in [−5, 5]). */
  async function stroke(points) {
    const box = await canvas.boundingBox();
    const at = ([x, y]) => [box.x + ((x + 5) / 10) * box.width, box.y + ((5 - y) / 10) * box.height];
    await page.mouse.move(...at(points[0]));
    await page.mouse.down();
    for (const q of points.slice(1)) await page.mouse.move(...at(q), { steps: 4 });
    await page.mouse.up();
  }
  // The first stroke replaces the default drawing; the next one adds to it.
  await stroke([[-3, -3], [0, 0], [3, 3]]);
  const one = await page.evaluate(() => window.interplay.getParams());
  assert.ok(one.drawn.length >= 4 * 25, `a diagonal of length 8.5 gives about 28 points: ${one.drawn.length / 4}`);
  const diagonal = await views(page);
  assert.notEqual(diagonal.eulerian.hash, heart.eulerian.hash, "the heat map shows the stroke");
  assert.notEqual(diagonal.ode.hash, heart.ode.hash, "the particles flow to the stroke");
  await stroke([[-3, 3], [3, 3]]);
  const two = await page.evaluate(() => window.interplay.getParams());
  assert.ok(two.drawn.startsWith(one.drawn) && two.drawn.length > one.drawn.length, "the second stroke adds to the first");
  const drawn = await views(page);
  assert.notEqual(drawn.eulerian.hash, diagonal.eulerian.hash);
  await screenshot(page, "app-drawn");

  // The link carries the drawing: the same target and picture in a fresh page.
  const link = await page.evaluate(() => window.interplay.link());
  const again = await open(link.slice(link.indexOf("#")));
  assert.equal((await again.evaluate(() => window.interplay.getParams())).drawn, two.drawn);
  assert.equal((await views(again)).eulerian.hash, drawn.eulerian.hash);

  // The engine trains on the drawing, and the exported run config replays natively.
  const config = JSON.parse(await page.evaluate(() => window.interplay.exportConfig()));
  assert.equal(config.target.name, "drawn");
  assert.equal(config.target.points.length, two.drawn.length / 4);
  const trained = await page.evaluate(() => window.interplay.train(2));
  assert.equal(trained.steps, 2);
  const exe = join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "debug", "interplay");
  if (existsSync(exe)) {
    const dir = mkdtempSync(join(tmpdir(), "interplay-drawn-"));
    writeFileSync(join(dir, "run.json"), JSON.stringify(config));
    execFileSync(exe, ["train", "--config", join(dir, "run.json"), "--out", join(dir, "run.ckpt")], { stdio: "pipe" });
    assert.ok(readFileSync(join(dir, "run.ckpt")).length > 1000, "the CLI trained on the drawing from the config");
    rmSync(dir, { recursive: true, force: true });
  }

  // Clear brings back the default drawing.
  await page.locator(`${APP} .ip-draw-clear`).click();
  assert.equal((await page.evaluate(() => window.interplay.getParams())).drawn, "");
  assert.equal((await views(page)).eulerian.hash, heart.eulerian.hash);

  // A damaged code in a link is refused with a message; the page draws the default drawing.
  const bad = await open(`#target=drawn&drawn=${two.drawn.slice(0, -1)}`);
  assert.match(await bad.locator(`${APP} .ip-message`).textContent(), /drawn: the drawing code has \d+ characters, not a multiple of 4/);
  assert.equal((await bad.evaluate(() => window.interplay.getParams())).drawn, "");
  assert.ok((await views(bad)).eulerian.colors > 20);
  assert.deepEqual([...page.problems, ...again.problems, ...bad.problems], []);
  await Promise.all([page.close(), again.close(), bad.close()]);
});

test("space-time view: ρ(t, x) on the line with flow lines, a cursor at t, its own target and SDE paths", async () => {
  const page = await open("#particles=1000&t=0.5");
  const sel = `${APP} .ip-spacetime`;
  await page.evaluate(() => window.interplay.whenDrawn());
  const start = await canvasDigest(page, sel);
  assert.ok(start.colors > 40 && start.width === 480 && start.height === 240, JSON.stringify(start));
  await screenshot(page, "app-spacetime", `${APP} .ip-spacetime-panel`);
  /** How many pixels of column `px` are (near) white: the cursor fills its column. */
  const whiteIn = async (px) => {
    const d = await canvasPixels(page, sel, px, 0, 1, 240);
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 235 && d[i + 1] > 235 && d[i + 2] > 235) n++;
    return n / 240;
  };
  assert.ok((await whiteIn(240)) > 0.9, "the cursor stands at t = 0.5");
  await page.evaluate(() => window.interplay.setParams({ t: 0.8 }));
  await page.evaluate(() => window.interplay.whenDrawn());
  assert.ok((await whiteIn(384)) > 0.9, "the cursor follows t to 0.8");
  assert.ok((await whiteIn(240)) < 0.5, "and leaves t = 0.5");
  // Its own target on the line, from its menu: the picture changes.
  await page.locator(`${APP} .ip-line`).selectOption("bars");
  await page.evaluate(() => window.interplay.whenDrawn());
  assert.equal((await page.evaluate(() => window.interplay.getParams())).line, "bars");
  const bars = await canvasDigest(page, sel);
  assert.notEqual(bars.hash, start.hash);
  // ε > 0 adds SDE paths (orange) and says so in the caption.
  await page.evaluate(() => window.interplay.setParams({ eps: 0.5 }));
  await page.evaluate(() => window.interplay.whenDrawn());
  const noisy = await canvasDigest(page, sel);
  assert.notEqual(noisy.hash, bars.hash);
  assert.match(await page.locator(`${APP} .ip-spacetime-panel figcaption`).textContent(), /orange: paths of the SDE \(ε = 0\.50\)/);
  await screenshot(page, "app-spacetime-sde", `${APP} .ip-spacetime-panel`);
  // A bad target on the line is refused with its name, and the picture stays.
  const err = await page.evaluate(() => {
    try {
      window.interplay.setParams({ line: "donut" });
      return "";
    } catch (e) {
      return String(e.message || e);
    }
  });
  assert.match(err, /line 'donut' is unknown; use one of checkerboard, gmm, bars/);
  assert.equal((await canvasDigest(page, sel)).hash, noisy.hash);
  // A click shows the conditional paths through the point; b is their mean velocity.
  await page.evaluate(() => window.interplay.setParams({ eps: 0 }));
  await page.evaluate(() => window.interplay.whenDrawn());
  const plain = await canvasDigest(page, sel);
  const box = await page.locator(sel).boundingBox();
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.4); // t = 0.5, x = 1
  await page.evaluate(() => window.interplay.whenDrawn());
  const picked = await canvasDigest(page, sel);
  assert.notEqual(picked.hash, plain.hash, "the paths are drawn");
  const note = await page.locator(`${APP} .ip-spacetime-pick`).textContent();
  assert.match(note, /conditional paths .* x = (0\.99|1\.00|1\.01) at t = 0\.50/, note); // a click lands within a pixel
  const r = await page.evaluate(() => window.interplay.pickSpacetime(0.5, 1));
  assert.ok(r.n >= 2000 && Math.abs(r.mean - r.b) < 0.2, JSON.stringify(r));
  await screenshot(page, "app-spacetime-pick", `${APP} .ip-spacetime-panel`);
  // Moving t moves the cursor only; clearing removes the paths.
  await page.locator(`${APP} .ip-spacetime-clear`).click();
  await page.evaluate(() => window.interplay.whenDrawn());
  assert.equal((await canvasDigest(page, sel)).hash, plain.hash, "cleared");
  assert.ok(await page.locator(`${APP} .ip-spacetime-clear`).isHidden());
  // A target drawn by hand: a stroke on the right of the figure adds mass at its heights.
  await page.locator(`${APP} .ip-line`).selectOption("drawn");
  await page.evaluate(() => window.interplay.whenDrawn());
  const before = await canvasDigest(page, sel);
  assert.match(await page.locator(`${APP} .ip-spacetime-pick`).textContent(), /Draw the target on the line/);
  const at = await page.locator(sel).boundingBox(); // choosing from the menu may scroll
  const yOf = (x) => at.y + ((5 - x) / 10) * at.height;
  await page.mouse.move(at.x + at.width * 0.995, yOf(-0.5));
  await page.mouse.down();
  await page.mouse.move(at.x + at.width * 0.995, yOf(0.5), { steps: 6 });
  await page.mouse.up();
  await page.evaluate(() => window.interplay.whenDrawn());
  const code = (await page.evaluate(() => window.interplay.getParams())).lineDrawn;
  assert.equal(code.slice(18, 22), "9999", code); // bins of 0.2 from −4: x from −0.5 to 0.5
  const after = await canvasDigest(page, sel);
  assert.notEqual(after.hash, before.hash, "the drawing changes the figure");
  await screenshot(page, "app-spacetime-drawn", `${APP} .ip-spacetime-panel`);
  const bad = await page.evaluate(() => {
    try {
      window.interplay.setParams({ lineDrawn: "12x" });
      return "";
    } catch (e) {
      return String(e.message || e);
    }
  });
  assert.match(bad, /lineDrawn: a drawn line has digits 0–9 only/);
  assert.equal((await page.evaluate(() => window.interplay.getParams())).lineDrawn, code, "the drawing is kept");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("space-time view: Learn b trains a network on the line and its flow lines converge onto the exact ones", async () => {
  const page = await open("#particles=1000&t=0.5&line=bars");
  const sel = `${APP} .ip-spacetime`;
  const button = page.locator(`${APP} .ip-line-learn`);
  const status = page.locator(`${APP} .ip-line-status`);
  /** Pixels of the learned lines' pink (the density's colours never have red high and green low). */
  const pink = async () => {
    await page.evaluate(() => window.interplay.whenDrawn());
    const d = await canvasPixels(page, sel, 0, 0, 480, 240);
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 200 && d[i + 1] < 130 && d[i + 2] > 100) n++;
    return n;
  };
  assert.equal(await pink(), 0, "no learned lines before learning");
  assert.match(await status.textContent(), /Learn b trains a small network on the line/);
  // The button trains on until paused; the status names the steps and the error of b.
  await button.click();
  assert.equal(await button.getAttribute("aria-pressed"), "true");
  await page.waitForFunction(() => /after (\d{3,}) steps/.test(document.querySelector(".interplay-app .ip-line-status").textContent), null, { timeout: 60000 });
  await button.click();
  await page.waitForFunction(() => document.querySelector(".interplay-app .ip-line-learn").textContent === "Go on learning");
  assert.equal(await button.getAttribute("aria-pressed"), "false");
  const early = await pink();
  assert.ok(early > 300, `the learned lines are drawn (${early} pink pixels)`);
  assert.match(await status.textContent(), /Dashed pink: the learned flow lines after \d+ steps .*Error of the learned b against the exact one: .* at t = 0\.5/);
  // More training: the learned b approaches the exact one (the engine's relative L2(ρ(t))
  // error; a fresh network's is above 0.2 at every time).
  const r1 = await page.evaluate(() => window.interplay.learnLine(1000));
  const r2 = await page.evaluate(() => window.interplay.learnLine(6000));
  assert.ok(r2.steps > r1.steps && r2.steps >= 300, JSON.stringify([r1, r2]));
  assert.ok(r2.bError[2] < 0.08 && r2.bError[3] < 0.1 && r2.bError[2] < r1.bError[2], JSON.stringify([r1, r2]));
  await screenshot(page, "app-spacetime-learned", `${APP} .ip-panel.ip-spacetime-panel`);
  // Another target on the line: the old lines are not drawn over the new figure, and learning
  // starts afresh for it.
  await page.locator(`${APP} .ip-line`).selectOption("gmm");
  assert.equal(await pink(), 0, "the learned lines of the bars are gone");
  const fresh = await page.evaluate(() => window.interplay.learnLine(500));
  assert.ok(fresh.steps < r2.steps, JSON.stringify(fresh));
  assert.ok((await pink()) > 300);
  const bad = await page.evaluate(() => window.interplay.learnLine(-1).then(() => "", (e) => String(e.message || e)));
  assert.match(bad, /learnLine\(ms\) needs a time in milliseconds/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("the ε explorer samples the model at ε from 0 to 5, draws TV and the KL bound, and moves the slider", async () => {
  const page = await open("#source=schedule-free&views=lagrangian,quality&backend=cpu");
  const note = page.locator(`${APP} .ip-eps-note`);
  const chart = `${APP} .ip-eps-plot`;
  assert.ok(await page.locator(chart).isHidden(), "no chart before a sweep");
  await page.locator(`${APP} .ip-eps-explore`).click();
  await page.waitForFunction(() => /^Blue: histogram TV/.test(document.querySelector(".interplay-app .ip-eps-note").textContent), null, { timeout: 180000 });
  const text = await note.textContent();
  assert.match(text, /Blue: histogram TV of 2000 samples at each ε .* lowest at ε = \d/);
  assert.match(text, /grey: 0\.\d+, the TV of as many exact samples/);
  // The shipped model's b and s are both good: the bound has its minimum inside the range.
  const m = text.match(/the bound is smallest at ε ≈ (\d+(?:\.\d+)?)/);
  assert.ok(m && Number(m[1]) > 0.1 && Number(m[1]) < 5, text);
  // The chart: blue TV markers and the orange bound.
  const d = await canvasPixels(page, chart, 0, 0, 480, 270);
  let blue = 0;
  let orange = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] < 40 && d[i + 1] > 90 && d[i + 1] < 130 && d[i + 2] > 150) blue++;
    if (d[i] > 190 && d[i + 1] > 70 && d[i + 1] < 110 && d[i + 2] < 40) orange++;
  }
  assert.ok(blue > 200 && orange > 200, `blue ${blue}, orange ${orange}`);
  await screenshot(page, "app-eps-explorer", `${APP} .ip-quality-box`);
  // The bound's ε moves the slider (to its step of 0.05) and the SDE panel appears.
  await page.locator(`${APP} .ip-eps-use-bound`).click();
  const eps = (await page.evaluate(() => window.interplay.getParams())).eps;
  assert.ok(Math.abs(eps - Math.round(Number(m[1]) * 20) / 20) < 1e-9, `${eps} against ${m[1]}`);
  assert.ok(await page.locator(`${APP} .ip-sde-panel`).isVisible());
  // The exact source has nothing to explore: said in place, and the API throws the same.
  await page.evaluate(() => window.interplay.setParams({ source: "exact" }));
  const err = await page.evaluate(() => window.interplay.exploreEps().then(() => "", (e) => String(e.message || e)));
  assert.match(err, /choose a learned field source first/);
  assert.match(await note.textContent(), /choose a learned field source first/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("Lagrangian view: a click shows the conditional paths through a point and b as their mean velocity", async () => {
  const page = await open("#particles=1000&t=0.5");
  const sel = `${APP} .ip-ode`;
  await page.evaluate(() => window.interplay.whenDrawn());
  const plain = await canvasDigest(page, sel);
  assert.match(await page.locator(`${APP} .ip-flow-pick`).textContent(), /Click or tap the particles/);
  // A click at (0.5, 0.5): the canvas spans [−5, 5]², y upwards.
  const box = await page.locator(sel).boundingBox();
  await page.mouse.click(box.x + box.width * 0.55, box.y + box.height * 0.45);
  await page.evaluate(() => window.interplay.whenDrawn());
  const picked = await canvasDigest(page, sel);
  assert.notEqual(picked.hash, plain.hash, "the paths are drawn");
  const note = await page.locator(`${APP} .ip-flow-pick`).textContent();
  // (A pixel of the view is 0.03 in the plane here: the panels sit beside the views at 1100 px.)
  assert.match(note, /conditional paths .* of \(0\.(4[6-9]|5[0-4]), 0\.(4[6-9]|5[0-4])\) at t = 0\.50/, note);
  // The API gives the numbers: b is the mean conditional velocity, up to the disc and the noise.
  const r = await page.evaluate(() => window.interplay.pickFlow(0.5, 0.5));
  const err = Math.hypot(r.mean[0] - r.b[0], r.mean[1] - r.b[1]);
  assert.ok(r.n === 3000 && err < 0.15 * (1 + Math.hypot(...r.b)), JSON.stringify(r));
  await screenshot(page, "app-flow-pick", `${APP} .ip-ode-panel`);
  // Moving t moves the dots along the conditional paths; the paths stay.
  await page.evaluate(() => window.interplay.setParams({ t: 0.8 }));
  await page.evaluate(() => window.interplay.whenDrawn());
  const later = await canvasDigest(page, sel);
  assert.notEqual(later.hash, picked.hash);
  await screenshot(page, "app-flow-pick-later", `${APP} .ip-ode-panel`);
  // A point outside the view is refused with a message; clearing removes the paths.
  const bad = await page.evaluate(() => {
    try {
      return window.interplay.pickFlow(9, 0);
    } catch (e) {
      return String(e.message || e);
    }
  });
  assert.equal(bad, null, "the API answers null and says why in the note");
  assert.match(await page.locator(`${APP} .ip-flow-pick`).textContent(), /outside the view/);
  await page.evaluate(() => window.interplay.setParams({ t: 0.5 }));
  // Clearing is the button's: a person presses it, and the paths go.
  await page.locator(`${APP} .ip-flow-pick-clear`).click();
  await page.evaluate(() => window.interplay.whenDrawn());
  assert.ok(await page.locator(`${APP} .ip-flow-pick-clear`).isHidden());
  assert.match(await page.locator(`${APP} .ip-flow-pick`).textContent(), /Click or tap the particles/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("minibatch OT: the pairs menu changes the interpolant samples, trains b and s as a denoiser, and links keep it", async () => {
  const hash = "#eulerian=samples&t=0.5&source=learned&width=32&depth=2&batch=256&backend=cpu";
  const page = await open(hash);
  const note = page.locator(`${APP} .ip-coupling-note`);
  assert.ok(await note.isHidden(), "no OT note for independent pairs");
  const independent = await views(page);
  await page.locator(`${APP} .ip-coupling`).selectOption("ot");
  const ot = await views(page);
  // Same ends, other densities in between: the samples' heat map at t = 0.5 changes.
  assert.notEqual(ot.eulerian.hash, independent.eulerian.hash, "the coupled samples differ at t = 0.5");
  assert.ok(ot.eulerian.colors > 20, JSON.stringify(ot.eulerian));
  assert.ok(await note.isVisible(), "the OT note says what changes");
  assert.match(await note.textContent(), /exact fields, the exact density and the velocity error are those of independent pairs/);
  // At t = 0 both show the same points (OT only reorders x0 against x1): the same picture.
  await page.evaluate(() => window.interplay.setParams({ t: 0 }));
  const atZero = await views(page);
  await page.evaluate(() => window.interplay.setParams({ coupling: "independent" }));
  assert.equal((await views(page)).eulerian.hash, atZero.eulerian.hash, "at t = 0 both couplings show ρ0");
  await page.evaluate(() => window.interplay.setParams({ coupling: "ot", t: 0.5 }));
  assert.equal((await views(page)).eulerian.hash, ot.eulerian.hash);
  await screenshot(page, "app-coupling-ot-samples", `${APP} .ip-eulerian-panel`);

  // Training: the denoiser's losses (b and η), and the quality panel's few-step and straightness rows.
  const r = await page.evaluate(() => window.interplay.train(20));
  assert.deepEqual(Object.keys(r.losses).sort(), ["b", "eta"], JSON.stringify(r));
  const q = await page.evaluate(() => window.interplay.quality());
  assert.equal(q.few_step_tv.length, 4, JSON.stringify(q));
  assert.ok(q.few_step_tv.every((v) => v > 0 && v <= 1) && q.straightness >= 0 && q.transport_cost > 0, JSON.stringify(q));
  await page.waitForFunction(() => / · .* · .* · /.test(document.querySelector(".interplay-app .ip-q-few_step_tv").textContent), null, { timeout: 120000 });
  assert.match(await page.locator(`${APP} .ip-q-straightness`).textContent(), /^\d+\.\d{3} \(\d+\.\d{2}\)$/);
  await screenshot(page, "app-coupling-ot-training", `${APP} .ip-panels`);

  // Without latent noise OT has no score to learn: refused in place, the pairs kept.
  const err = await page.evaluate(() => {
    try {
      window.interplay.setParams({ preset: "flow-matching" });
      return "";
    } catch (e) {
      return String(e.message || e);
    }
  });
  assert.match(err, /minibatch OT trains b with the score from E\[z \| x_t\], which needs latent noise/);
  assert.equal((await page.evaluate(() => window.interplay.getParams())).coupling, "ot");
  assert.match(await page.locator(`${APP} .ip-message`).textContent(), /Not applied: minibatch OT/);
  // The schedule-free D has no x0 to pair: the menu is off, with the reason.
  await page.evaluate(() => window.interplay.setParams({ source: "schedule-free" }));
  assert.ok(await page.locator(`${APP} .ip-coupling`).isDisabled());
  assert.ok(await note.isHidden());
  await page.evaluate(() => window.interplay.setParams({ source: "learned" }));

  // A link keeps the pairs: the reloaded page shows the same coupled samples.
  await page.waitForFunction(() => location.hash.includes("coupling=ot"));
  const link = await page.evaluate(() => location.hash);
  const again = await open(link);
  assert.equal(await again.locator(`${APP} .ip-coupling`).inputValue(), "ot");
  assert.equal((await views(again)).eulerian.hash, ot.eulerian.hash, "the link restores the coupled samples");
  assert.deepEqual(page.problems, []);
  assert.deepEqual(again.problems, []);
  await again.close();
  await page.close();
});
