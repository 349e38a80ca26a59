// A reader's first visit, at the edges: the mirror path at t = 0, trig schedules with small
// exponents, a panic forced inside the viewer (the widget recovers by itself and says so), two
// widgets on a dark blog and on a light one (every text at 4.5:1 contrast or more), a bad link's
// message in view, and the full app's panels beside its views on a large screen.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { serve } from "./lib/server.mjs";
import { DIST, ROOT, launch, openPage, canvasDigest, screenshot } from "./lib/browser.mjs";

const APP = ".interplay-app";
let server;
let browser;

before(async () => {
  server = await serve({
    "/app/": DIST,
    "/dark/": join(ROOT, "tests", "fixtures", "dark"),
    "/dark/assets/interplay/": DIST,
    "/site/": join(ROOT, "tests", "fixtures", "embed"),
    "/site/assets/interplay/": DIST,
    ...(existsSync(join(ROOT, "site", "index.html")) ? { "/interplay/": join(ROOT, "site") } : {}),
  });
  browser = await launch({ webgpu: false });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openApp(hash = "", { width = 1100, height = 1300 } = {}) {
  const page = await openPage(browser, server.url(`/app/index.html${hash}`), { width, height });
  await page.evaluate(() => window.interplay.ready);
  await page.evaluate(() => window.interplay.whenDrawn());
  return page;
}

const message = (page, root = APP) => page.locator(`${root} .ip-message`).textContent();

/** Distinct colours of the canvas `sel` (a drawn view has many; a blank one, one). */
const colours = async (page, sel) => (await canvasDigest(page, sel)).colors;

/** Moves the range input `sel` to `value` as a drag would (an input event per value). */
async function drag(page, sel, value) {
  await page.locator(sel).evaluate((el, v) => {
    el.value = v;
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }, String(value));
}

test("the mirror path at t = 0 draws, from a link, the slider and playing backward", async () => {
  const page = await openApp("#path=mirror&t=0&particles=800");
  assert.equal(await message(page), "", "no message");
  assert.equal((await page.evaluate(() => window.interplay.getParams())).t, 0);
  // At t = 0 the mirror path's density is the board itself: flat squares, a few colours.
  assert.ok((await colours(page, `${APP} .ip-eulerian`)) >= 2, "the heat map is drawn");
  assert.ok((await colours(page, `${APP} .ip-ode`)) > 4, "the particles are drawn");
  // The slider away and back to 0, then the other controls still answer.
  await drag(page, `${APP} .ip-t`, 0.5);
  await drag(page, `${APP} .ip-t`, 0);
  await page.evaluate(() => window.interplay.whenDrawn());
  await page.evaluate(() => window.interplay.setParams({ gamma: "sin2" }));
  await page.evaluate(() => window.interplay.whenDrawn());
  // Played backward to the end.
  await page.evaluate(() => window.interplay.setParams({ direction: "backward", t: 0.03 }));
  await page.evaluate(() => window.interplay.play());
  await page.waitForFunction(() => window.interplay.getParams().t === 0, null, { timeout: 20000 });
  await page.evaluate(() => window.interplay.whenDrawn());
  assert.equal(await message(page), "");
  assert.ok((await colours(page, `${APP} .ip-eulerian`)) >= 2);
  await page.evaluate(() => window.interplay.setParams({ t: 0.4 }));
  await page.evaluate(() => window.interplay.whenDrawn());
  assert.ok((await colours(page, `${APP} .ip-eulerian`)) > 20, "a blurred board at t = 0.4");
  assert.equal((await page.evaluate(() => window.interplay.getParams())).t, 0.4, "still alive");
  await screenshot(page, "first-visit-mirror-t0");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("a trig path with the α exponent at 0.5 is a valid schedule, not refused for rounding", async () => {
  const page = await openApp("#particles=500");
  for (const path of ["trig", "one-sided-trig", "vp"]) {
    await page.evaluate((path) => window.interplay.setParams({ preset: path }), path);
    await drag(page, `${APP} .ip-alpha`, 0.5);
    const p = await page.evaluate(() => window.interplay.getParams());
    assert.equal(p.alphaExp, 0.5, `${path}: the slider stays at 0.5`);
    assert.equal(await page.locator(`${APP} .ip-schedule-msg`).textContent(), "", `${path}: no refusal`);
    assert.equal(await message(page), "");
  }
  // A real refusal names its number in three figures.
  const err = await page.evaluate(() => {
    try {
      window.interplay.setParams({ alphaExp: 7.123456 });
      return null;
    } catch (e) {
      return e.message;
    }
  });
  assert.match(err, /7\.12 is outside/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("a panic inside the viewer leaves a working widget that says what happened", async () => {
  const page = await openApp("#t=0.3&path=trig&particles=800");
  const before = await page.evaluate(() => window.interplay.getParams());
  await page.evaluate(() => window.interplay.panicForTest());
  const text = await message(page);
  assert.match(text, /went wrong inside the viewer/);
  assert.match(text, /forced by the widget's recovery test/, "the panic's own words");
  assert.match(text, /restarted with the last settings that worked/);
  assert.ok(await page.locator(`${APP} .ip-message`).isVisible(), "the message is on screen");
  // The fresh viewer has the last good parameters and draws them.
  const after = await page.evaluate(() => window.interplay.getParams());
  assert.equal(after.t, before.t);
  assert.equal(after.path, "trig");
  await page.evaluate(() => window.interplay.whenDrawn());
  assert.ok((await colours(page, `${APP} .ip-eulerian`)) > 20, "the heat map is drawn again");
  assert.ok((await colours(page, `${APP} .ip-ode`)) > 4, "the particles are drawn again");
  // Every control answers again (before, each said "recursive use of an object").
  await drag(page, `${APP} .ip-t`, 0.7);
  await page.evaluate(() => window.interplay.setParams({ target: "rings" }));
  const p = await page.evaluate(() => window.interplay.getParams());
  assert.equal(p.t, 0.7);
  assert.equal(p.target, "rings");
  await page.evaluate(() => window.interplay.whenDrawn());
  assert.ok((await colours(page, `${APP} .ip-eulerian`)) > 20);
  // A second forced panic recovers the same way.
  await page.evaluate(() => window.interplay.panicForTest());
  assert.equal((await page.evaluate(() => window.interplay.getParams())).target, "rings");
  await screenshot(page, "first-visit-recovered");
  const unexpected = page.problems.filter((m) => !/recovery test|panicked|RuntimeError: unreachable/.test(m));
  assert.deepEqual(unexpected, []);
  await page.close();
});

/**
 * In the page: every visible text of the widgets under `sel` with its contrast against what is
 * behind it (the first opaque background among its ancestors; the page's canvas, white, if none).
 */
function contrasts(sel) {
  const parse = (css) => {
    const m = String(css).match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const lum = ({ r, g, b }) => {
    const lin = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  });
  const behind = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 0.999) break;
      }
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg;
  };
  const out = [];
  for (const root of document.querySelectorAll(sel)) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || seen.has(el) || el.closest("option, script, style")) continue;
      seen.add(el);
      const rect = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      if (rect.width === 0 || rect.height === 0 || cs.visibility === "hidden" || el.closest("[hidden]")) continue;
      const fg = parse(cs.color);
      const bg = behind(el);
      const f = over(fg, bg);
      const [hi, lo] = [lum(f), lum(bg)].sort((a, b) => b - a);
      out.push({ text: n.textContent.trim().slice(0, 40), ratio: (hi + 0.05) / (lo + 0.05), cls: el.className });
    }
  }
  return out;
}

for (const [name, url, theme] of [
  ["a dark blog", "/dark/index.html", "dark"],
  ["a light host page", "/site/index.html", "light"],
]) {
  test(`every text of two widgets on ${name} has at least 4.5:1 contrast`, async () => {
    const page = await openPage(browser, server.url(url), { width: 1280, height: 800 });
    const ids = await page.evaluate(() => [...document.querySelectorAll(".interplay-widget")].slice(0, 2).map((e) => e.id));
    for (const id of ids) {
      await page.locator(`#${id}`).scrollIntoViewIfNeeded();
      await page.waitForFunction((id) => document.getElementById(id).interplay, id, { timeout: 30000 });
      await page.evaluate((id) => document.getElementById(id).interplay.ready, id);
    }
    // Something to read in the message line too: a refused setting.
    await page.evaluate((id) => {
      try {
        document.getElementById(id).interplay.setParams({ alphaExp: 99 });
      } catch (_) {
        /* shown in the widget */
      }
    }, ids[0]);
    for (const id of ids) {
      assert.equal(await page.locator(`#${id}`).evaluate((el) => el.classList.contains("ip-theme-dark")), theme === "dark", `${id}: ${theme} colours`);
    }
    const texts = await page.evaluate(contrasts, ids.map((id) => `#${id}`).join(", "));
    assert.ok(texts.length >= 30, `texts found: ${texts.length}`);
    const poor = texts.filter((t) => t.ratio < 4.5);
    assert.deepEqual(poor, [], `texts under 4.5:1 on ${name}`);
    await page.locator(`#${ids[0]}`).scrollIntoViewIfNeeded();
    await screenshot(page, `first-visit-${theme}-host`);
    // The host switches its theme: the widgets follow.
    if (theme === "dark") {
      await page.evaluate(() => document.documentElement.setAttribute("data-theme", "light"));
      await page.waitForFunction(() => !document.querySelector(".interplay.ip-theme-dark"));
      const light = await page.evaluate(contrasts, ids.map((id) => `#${id}`).join(", "));
      assert.deepEqual(light.filter((t) => t.ratio < 4.5), [], "after the host switched to light");
    }
    assert.deepEqual(page.problems, []);
    await page.close();
  });
}

test("a bad link's message is on screen, and the full app's panels sit beside its views", async () => {
  const page = await openApp("#alphaExp=banana&t=0.4", { width: 1600, height: 1000 });
  const msg = page.locator(`${APP} .ip-message`);
  assert.match(await msg.textContent(), /alphaExp/);
  const box = await msg.boundingBox();
  assert.ok(box && box.y >= 0 && box.y + box.height <= 1000, `the message is in view: ${JSON.stringify(box)}`);
  // Panels beside the views: the schedule box starts level with the views, to their right.
  const views = await page.locator(`${APP} .ip-views`).boundingBox();
  const panels = await page.locator(`${APP} .ip-panels`).boundingBox();
  assert.ok(panels.x >= views.x + views.width, `panels right of the views: ${JSON.stringify({ views, panels })}`);
  assert.ok(panels.y < 1000 * 0.5, "the panels start in the first half of the screen");
  const sched = await page.locator(`${APP} .ip-schedule-box`).boundingBox();
  assert.ok(sched.y + 40 < 1000, "the schedule controls are on screen with the picture");
  await screenshot(page, "first-visit-app-wide");
  // Scrolled down, a new message still shows in view (it sticks to the top of the widget).
  await page.evaluate(() => window.scrollTo(0, 600));
  await page.evaluate(() => {
    try {
      window.interplay.setParams({ betaExp: 99 });
    } catch (_) {
      /* shown */
    }
  });
  const box2 = await msg.boundingBox();
  assert.ok(box2 && box2.y >= 0 && box2.y + box2.height <= 1000, `in view after scrolling: ${JSON.stringify(box2)}`);
  assert.deepEqual(page.problems.filter((m) => !/alphaExp/.test(m)), []);
  await page.close();
});

test("the learned views say what they show: loading, the model at step N, untrained after Reset", async () => {
  const page = await openPage(browser, server.url("/app/index.html#source=schedule-free&particles=800&t=0.6&backend=cpu"), { width: 1280, height: 800 });
  await page.evaluate(() => window.interplay.ready);
  const state = page.locator(`${APP} .ip-ode-state`);
  // From the first frame the panel says something (never a silent black square).
  await page.waitForFunction((app) => document.querySelector(`${app} .ip-ode-state`).textContent.length > 0, APP);
  assert.match(await state.textContent(), /Loading|Setting up|step|atching up|oving/);
  // The shipped model arrives: the panel names its step.
  await page.waitForFunction((app) => /learned model at step \d+/.test(document.querySelector(`${app} .ip-ode-state`).textContent), APP, { timeout: 90000 });
  assert.ok(await state.isVisible());
  await screenshot(page, "first-visit-learned-state", `${APP} .ip-ode-panel`);
  // The engine moves at most 2000 learned particles on the CPU backend, and the panel says so.
  await page.evaluate(() => window.interplay.setParams({ particles: 5000 }));
  await page.waitForFunction((app) => /2000 of 5000 particles \(CPU\)/.test(document.querySelector(`${app} .ip-ode-state`).textContent), APP, { timeout: 60000 });
  // Reset: a fresh, untrained network, and the panel says so.
  await page.locator(`${APP} .ip-reset`).click();
  await page.waitForFunction((app) => /Untrained/.test(document.querySelector(`${app} .ip-ode-state`).textContent), APP, { timeout: 60000 });
  // Back to the exact flow: no note.
  await page.evaluate(() => window.interplay.setParams({ source: "exact" }));
  await page.evaluate(() => window.interplay.whenDrawn());
  assert.ok(await state.isHidden());
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("PNG exports are twice the size on screen with axes; a view not on show is refused, not blank", async () => {
  const page = await openApp("#t=0.5&particles=500");
  const r = await page.evaluate(async () => {
    const api = window.interplay;
    const look = async (v) => {
      const bm = await createImageBitmap(await api.exportPng(v));
      const c = new OffscreenCanvas(bm.width, bm.height);
      const ctx = c.getContext("2d");
      ctx.drawImage(bm, 0, 0);
      const d = ctx.getImageData(0, 0, bm.width, bm.height).data;
      const seen = new Set();
      for (let k = 0; k < d.length; k += 4 * 3) seen.add((d[k] << 16) | (d[k + 1] << 8) | d[k + 2]);
      // The left margin holds the axis labels: some dark pixels there.
      let dark = 0;
      for (let y = 0; y < bm.height; y++) for (let x = 0; x < 40; x++) if (d[4 * (y * bm.width + x)] < 100) dark++;
      return { w: bm.width, h: bm.height, colours: seen.size, dark };
    };
    const shown = document.querySelector(".interplay-app .ip-eulerian").getBoundingClientRect().width;
    let sde = null;
    try {
      await api.exportPng("sde");
    } catch (e) {
      sde = e.message;
    }
    return { eulerian: await look("eulerian"), ode: await look("ode"), schedule: await look("schedule"), shown, sde };
  });
  assert.ok(r.eulerian.w >= 2 * r.shown && r.eulerian.w >= 256, JSON.stringify(r));
  assert.ok(r.eulerian.colours > 50 && r.eulerian.dark > 20, `heat map with axes: ${JSON.stringify(r.eulerian)}`);
  assert.ok(r.ode.w >= 2 * r.shown && r.ode.dark > 20, JSON.stringify(r.ode));
  assert.ok(r.schedule.colours > 4, "the schedule chart");
  assert.match(r.sde, /ε > 0/, "the hidden SDE view is refused with the reason");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("at 1280×800 the post's schedule figure shows its heat map and its sliders at once", { skip: !existsSync(join(ROOT, "site", "post", "from-a-gaussian-to-a-checkerboard", "index.html")) && "site/ is not built" }, async () => {
  const page = await openPage(browser, server.url("/interplay/post/from-a-gaussian-to-a-checkerboard/"), { width: 1280, height: 800 });
  const fig = page.locator('.interplay-widget[data-views="eulerian,schedule"]');
  await fig.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelector('.interplay-widget[data-views="eulerian,schedule"]').interplay);
  await page.evaluate(() => document.querySelector('.interplay-widget[data-views="eulerian,schedule"]').interplay.ready);
  await fig.evaluate((el) => el.scrollIntoView({ block: "start" }));
  const heat = await fig.locator(".ip-eulerian").boundingBox();
  const alpha = await fig.locator(".ip-alpha").boundingBox();
  const plot = await fig.locator(".ip-schedule-plot").boundingBox();
  for (const [name, b] of [["heat map", heat], ["α slider", alpha], ["schedule curves", plot]]) {
    assert.ok(b.y >= 0 && b.y + b.height <= 800, `${name} on screen: ${JSON.stringify(b)}`);
  }
  await page.screenshot({ path: join(ROOT, "tests", "artifacts", "first-visit-post-schedule.png") });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("on a screen of pixel ratio 2 the canvases are drawn at twice their size, and still draw", async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  page.problems = [];
  page.on("console", (m) => (m.type() === "error" || m.type() === "warning") && page.problems.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
  await page.goto(server.url("/app/index.html#t=0.5&particles=800&eps=0.5&compare=true"));
  await page.evaluate(() => window.interplay.ready);
  await page.evaluate(() => window.interplay.whenDrawn());
  const sizes = await page.evaluate(() =>
    Object.fromEntries(
      ["ip-eulerian", "ip-ode", "ip-sde", "ip-spacetime", "ip-schedule-plot", "ip-loss-plot"].map((c) => {
        const el = document.querySelector(`.interplay-app .${c}`);
        return [c, [el.width, el.height]];
      }),
    ),
  );
  assert.deepEqual(sizes["ip-ode"], [800, 800], JSON.stringify(sizes));
  assert.deepEqual(sizes["ip-schedule-plot"], [960, 540]);
  assert.deepEqual(sizes["ip-spacetime"], [960, 480]);
  assert.deepEqual(sizes["ip-eulerian"], [256, 256]);
  for (const c of ["ip-eulerian", "ip-ode", "ip-sde", "ip-spacetime", "ip-schedule-plot"]) {
    assert.ok((await colours(page, `${APP} .${c}`)) > 4, `${c} draws`);
  }
  await page.locator(`${APP} .ip-spacetime`).scrollIntoViewIfNeeded();
  await screenshot(page, "first-visit-phone-dpr2-spacetime", `${APP} .ip-spacetime-panel`);
  await page.locator(`${APP} .ip-schedule-box`).scrollIntoViewIfNeeded();
  await screenshot(page, "first-visit-phone-dpr2-schedule", `${APP} .ip-schedule-box`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("one-sided linear with latent noise says why it looks like linear", async () => {
  const page = await openApp("#particles=500");
  const note = page.locator(`${APP} .ip-path-note`);
  assert.ok(await note.isHidden());
  await page.locator(`${APP} .ip-path`).selectOption("one-sided-linear");
  assert.ok(await note.isVisible(), "γ is still √(t(1−t)): the note says so");
  assert.match(await note.textContent(), /linear path itself/);
  await page.locator(`${APP} .ip-gamma`).selectOption("zero");
  assert.ok(await note.isHidden());
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("a panic in the triangle's view, which leaves the viewer borrowed, leaves a working widget", async () => {
  const page = await openApp("#views=triangle,eulerian,schedule&particles=500");
  await page.evaluate(() => window.interplay.panicForTest("triangle"));
  assert.match(await message(page), /inside the triangle \(.*forced in the triangle/);
  // Every control answers (before, each said "recursive use of an object").
  await page.evaluate(() => window.interplay.setParams({ t: 0.3, mix: "0.2,0.5,0.3" }));
  await page.evaluate(() => window.interplay.whenDrawn());
  const p = await page.evaluate(() => window.interplay.getParams());
  assert.equal(p.t, 0.3);
  assert.ok((await colours(page, `${APP} .ip-mix`)) > 20, "the triangle's heat map is drawn again");
  assert.ok((await colours(page, `${APP} .ip-eulerian`)) > 20);
  const unexpected = page.problems.filter((m) => !/recovery test|panicked|RuntimeError|recursive use/.test(m));
  assert.deepEqual(unexpected, []);
  await page.close();
});
