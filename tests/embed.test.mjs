// Embedding and sharing: widgets on a host page under a sub-path, the example blog post, URL
// state round trips, and exports (checkpoint, samples, PNG, run config).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { serve } from "./lib/server.mjs";
import { renderSite } from "./lib/jekyll-lite.mjs";
import { DIST, ROOT, launch, openPage, canvasDigest, screenshot, shownViewColours } from "./lib/browser.mjs";

let server;
let browser;
let cpuBrowser;
const blogLite = mkdtempSync(join(tmpdir(), "interplay-blog-"));
const blogJekyll = mkdtempSync(join(tmpdir(), "interplay-jekyll-"));
const hasJekyll = spawnSync("jekyll", ["--version"]).status === 0;
/** The post as served: Jekyll's build when Jekyll is installed, else the plain rendering. */
let blog = blogLite;

before(async () => {
  renderSite(join(ROOT, "web", "jekyll"), blogLite, "/blog");
  if (hasJekyll) {
    execFileSync("jekyll", ["build", "--quiet", "--disable-disk-cache", "--source", join(ROOT, "web", "jekyll"), "--destination", blogJekyll, "--baseurl", "/blog"], { stdio: "pipe" });
    blog = blogJekyll;
  }
  server = await serve({
    "/site/": join(ROOT, "tests", "fixtures", "embed"),
    "/site/assets/interplay/": DIST,
    "/blog/": blog,
    "/blog/assets/interplay/": DIST,
    "/app/": DIST,
  });
  browser = await launch({ webgpu: true });
  cpuBrowser = await launch({ webgpu: false });
});

after(async () => {
  await browser?.close();
  await cpuBrowser?.close();
  await server?.close();
  rmSync(blogLite, { recursive: true, force: true });
  rmSync(blogJekyll, { recursive: true, force: true });
});

const widget = (id) => `#${id}`;
/** Waits until the widget in element #id exists and is ready. */
async function ready(page, id) {
  await page.waitForFunction((id) => document.getElementById(id).interplay, id, { timeout: 30000 });
  await page.evaluate((id) => document.getElementById(id).interplay.ready, id);
}

test("two widgets on a host page under a sub-path load, train and animate independently", async () => {
  // Tall enough for both widgets to be on screen (an off-screen widget pauses).
  const page = await openPage(browser, server.url("/site/"), { width: 900, height: 2600 });
  await ready(page, "a");
  await ready(page, "b");
  const [pa, pb] = await page.evaluate(() => ["a", "b"].map((id) => document.getElementById(id).interplay.getParams()));
  assert.equal(pa.path, "trig", "preset trig");
  assert.equal(pb.path, "linear");
  assert.ok(pb.compare && pb.eps === 0.5 && pb.seed === 3, "preset ode-vs-sde with seed 3");
  // The widgets build inside their elements: their own canvases, no ids, the host page untouched.
  assert.equal(await page.locator("#a canvas").count(), 14);
  assert.equal(await page.locator("#b canvas").count(), 14);
  assert.equal(await page.locator("[id^=ip-]").count(), await page.locator(".interplay [id^=ip-]").count());
  assert.equal(await page.locator(".host-text").evaluate((el) => getComputedStyle(el).fontFamily), "serif");
  // Options: views and hide.
  assert.equal(await page.locator("#a .ip-schedule-box").isVisible(), false, "views leaves out the schedule");
  assert.equal(await page.locator("#b .ip-lr").isVisible(), false, "hide removes the learning rate");
  assert.equal(await page.locator("#b .ip-sde-panel").isVisible(), true);
  assert.equal(await page.locator("#a").evaluate((el) => el.style.maxWidth), "700px", "size");
  // The far widget has not started: it is off screen.
  assert.equal(await page.evaluate(() => !!document.getElementById("far").interplay), false, "lazy start");

  // Both train on the CPU backend, in one shared worker, and their losses fall.
  const losses = await page.evaluate(async () => {
    const run = async (api) => {
      const first = (await api.train(3)).loss_b;
      for (let i = 0; i < 4; i++) await api.train(20);
      return { first, last: (await api.train(3)).loss_b, backend: api.backend };
    };
    const [a, b] = await Promise.all(["a", "b"].map((id) => run(document.getElementById(id).interplay)));
    return { a, b };
  });
  for (const k of ["a", "b"]) {
    assert.equal(losses[k].backend, "cpu");
    assert.ok(losses[k].last < losses[k].first, `${k}: loss ${losses[k].first} → ${losses[k].last}`);
  }
  const workers = await page.evaluate(() => performance.getEntriesByType("resource").filter((e) => e.name.endsWith("engine-worker.js")).length);
  assert.equal(workers, 1, "one engine worker serves both widgets");

  // Both animate; then destroying one leaves the other running.
  await page.evaluate(() => ["a", "b"].forEach((id) => document.getElementById(id).interplay.setParams({ t: 0 })));
  await page.evaluate(() => ["a", "b"].forEach((id) => document.getElementById(id).interplay.play()));
  await page.waitForTimeout(600);
  const moved = await page.evaluate(() => ["a", "b"].map((id) => document.getElementById(id).interplay.getParams().t));
  assert.ok(moved[0] > 0 && moved[1] > 0, `both play: ${moved}`);
  await screenshot(page, "embed-two-widgets");
  await page.evaluate(() => document.getElementById("a").interplay.destroy());
  assert.equal(await page.locator("#a").innerHTML(), "", "a destroyed widget leaves an empty element");
  // A second destroy() is harmless (it used to throw on the emptied element).
  assert.equal(await page.evaluate(() => document.getElementById("a").interplay.destroy()), undefined);
  const before = await page.evaluate(() => document.getElementById("b").interplay.getParams().t);
  const sdeBefore = await canvasDigest(page, "#b .ip-sde");
  await page.waitForTimeout(600);
  const afterT = await page.evaluate(() => document.getElementById("b").interplay.getParams().t);
  assert.ok(afterT > before, `b keeps playing after a is destroyed: ${before} → ${afterT}`);
  assert.notEqual((await canvasDigest(page, "#b .ip-sde")).hash, sdeBefore.hash, "b keeps drawing");
  const trained = await page.evaluate(async () => (await document.getElementById("b").interplay.train(2)).steps);
  assert.ok(trained > 80, "b's engine survives a's destruction");

  // Scrolling the far widget into view starts it; scrolling away pauses its loop.
  await page.locator("#far").scrollIntoViewIfNeeded();
  await ready(page, "far");
  await page.locator("#far").scrollIntoViewIfNeeded(); // now that it has its full height
  assert.equal((await page.evaluate(() => document.getElementById("far").interplay.getParams())).t, 0.25);
  await page.waitForFunction(() => document.getElementById("far").interplay.running());
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForFunction(() => !document.getElementById("far").interplay.running());
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("bad widget options show a message in the widget and the defaults", async () => {
  const page = await openPage(browser, server.url("/site/"), { width: 900, height: 1000 });
  await page.evaluate(() => {
    const el = document.createElement("div");
    el.className = "interplay-widget";
    el.id = "bad";
    Object.assign(el.dataset, { preset: "fancy", views: "eulerian,radar", size: "huge", eps: "NaN", target: "rings" });
    document.body.prepend(el);
  });
  await page.evaluate(() => import("./assets/interplay/embed.js").then((m) => m.mount()));
  await ready(page, "bad");
  const msg = await page.locator("#bad .ip-message").textContent();
  for (const needle of ["preset 'fancy'", "views: 'radar'", "size 'huge'", "eps"]) assert.ok(msg.includes(needle), `${needle} in: ${msg}`);
  const p = await page.evaluate(() => document.getElementById("bad").interplay.getParams());
  assert.equal(p.target, "rings", "the good options still apply");
  assert.equal(p.eps, 0);
  assert.ok((await canvasDigest(page, "#bad .ip-eulerian")).colors > 10, "never a blank box");
  await screenshot(page, "embed-bad-options", "#bad");
  await page.close();
});

test("Jekyll and the plain renderer turn the post's includes into the same widgets", { skip: !hasJekyll && "jekyll is not installed" }, () => {
  const post = "from-a-gaussian-to-a-checkerboard/index.html";
  const widgets = (dir) => {
    const html = readFileSync(join(dir, post), "utf8");
    return [...html.matchAll(/<div class="interplay-widget"([^>]*)><\/div>\s*<script type="module" src="([^"]+)">/g)].map((m) => [m[1].trim().split(/\s+/).sort().join(" "), m[2]]);
  };
  const jekyll = widgets(blogJekyll);
  assert.ok(jekyll.length >= 6, `${jekyll.length} widgets in Jekyll's page`);
  assert.deepEqual(widgets(blogLite), jekyll);
  assert.ok(jekyll.every(([, src]) => src === "/blog/assets/interplay/embed.js"), "relative_url honours the baseurl");
});

test("the example blog post renders every figure as a live widget", async () => {
  const page = await openPage(browser, server.url("/blog/from-a-gaussian-to-a-checkerboard/"), { width: 820, height: 1000 });
  const count = await page.locator(".interplay-widget").count();
  assert.ok(count >= 6, `${count} figures`);
  for (let i = 0; i < count; i++) {
    const el = page.locator(".interplay-widget").nth(i);
    await el.scrollIntoViewIfNeeded();
    await page.waitForFunction((i) => document.querySelectorAll(".interplay-widget")[i].interplay, i, { timeout: 30000 });
    await page.evaluate((i) => document.querySelectorAll(".interplay-widget")[i].interplay.ready, i);
    await page.evaluate((i) => document.querySelectorAll(".interplay-widget")[i].interplay.whenDrawn(), i);
    // The first view on show has a picture (many colours), never a blank box.
    const colours = await shownViewColours(page, ".interplay-widget", i);
    assert.ok(colours > 3, `figure ${i + 1} draws (${colours} colours)`);
  }
  const drawn = await page.evaluate(() =>
    [...document.querySelectorAll(".interplay-widget")].map((el) => el.querySelectorAll("canvas").length),
  );
  assert.ok(drawn.every((n) => n === 14), `every figure built its canvases: ${drawn}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, "blog-post");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("URL round trip: the hash restores the same parameters and the same picture", async () => {
  const settings = { seed: 7, t: 0.37, path: "trig", alphaExp: 1.5, gammaScale: 0.6, eps: 0.4, compare: true, arrows: "b", particles: 1000 };
  const page = await openPage(browser, server.url("/app/index.html"), { width: 1000, height: 1200 });
  await page.evaluate(() => window.interplay.ready);
  await page.evaluate((s) => window.interplay.setParams(s), settings);
  await page.evaluate(() => window.interplay.whenDrawn());
  await page.waitForFunction(() => location.hash.includes("seed=7"));
  const hash = await page.evaluate(() => location.hash);
  const link = await page.evaluate(() => window.interplay.link());
  assert.ok(link.endsWith(hash) && link.includes("/app/index.html#"), link);
  const digests = async (p) => {
    await p.evaluate(() => window.interplay.whenDrawn());
    const out = {};
    for (const c of ["ip-eulerian", "ip-ode", "ip-sde"]) out[c] = (await canvasDigest(p, `.interplay-app .${c}`)).hash;
    return out;
  };
  const first = await digests(page);
  const params = await page.evaluate(() => window.interplay.getParams());

  // The "copy link" control shows the same link (the clipboard may be unavailable headless).
  await page.locator(".interplay-app .ip-copy-link").click();
  assert.equal(await page.locator(".interplay-app .ip-share-text").inputValue(), link);
  await page.locator(".interplay-app .ip-embed").click();
  const snippet = await page.locator(".interplay-app .ip-share-text").inputValue();
  assert.match(snippet, /{% include interplay.html .*path="trig".*seed="7"/);
  assert.match(snippet, /<div class="interplay-widget"[^>]* data-alpha-exp="1.5"/);
  assert.match(snippet, /embed\.js"><\/script>/);

  const again = await openPage(browser, link, { width: 1000, height: 1200 });
  await again.evaluate(() => window.interplay.ready);
  assert.deepEqual(await again.evaluate(() => window.interplay.getParams()), params);
  assert.deepEqual(await digests(again), first, "same seed, same particles, same pictures");
  assert.deepEqual([...page.problems, ...again.problems], []);

  // An older or malformed hash loads with a message, keeping what it can.
  const old = await openPage(browser, server.url("/app/index.html#t=abc&path=trig&colour=blue&seed=-3"));
  await old.evaluate(() => window.interplay.ready);
  const msg = await old.locator(".interplay-app .ip-message").textContent();
  assert.match(msg, /t must be a number/);
  assert.match(msg, /unknown parameter 'colour'/);
  assert.match(msg, /seed = -3/);
  assert.equal((await old.evaluate(() => window.interplay.getParams())).path, "trig");
  await Promise.all([page.close(), again.close(), old.close()]);
});

test("exports: checkpoint reloads to the same samples; CSV, PNG and a run config the CLI replays", async () => {
  const page = await openPage(cpuBrowser, server.url("/app/index.html#width=16&depth=2&batch=64&lr=0.01&particles=1000"));
  await page.evaluate(() => window.interplay.ready);
  const before = await page.evaluate(async () => {
    const api = window.interplay;
    await api.train(15);
    const xy = await api.sample(300, { source: "model", steps: 20 });
    const bytes = await api.exportCheckpoint();
    return { xy: Array.from(xy), bytes: Array.from(bytes), config: await api.exportConfig() };
  });
  assert.equal(before.xy.length, 600);
  assert.ok(before.xy.every(Number.isFinite));
  const rc = JSON.parse(before.config);
  assert.equal(rc.steps, 15);
  assert.equal(rc.train.net.width, 16);
  assert.equal(rc.train.objective, "velocity-score");

  // Reload in a fresh page: same samples for the same seed.
  const fresh = await openPage(cpuBrowser, server.url("/app/index.html#particles=1000"));
  await fresh.evaluate(() => window.interplay.ready);
  const reloaded = await fresh.evaluate(async (bytes) => {
    const api = window.interplay;
    const cfg = await api.loadCheckpoint(new Uint8Array(bytes));
    const xy = await api.sample(300, { source: "model", steps: 20 });
    return { steps: cfg.steps, xy: Array.from(xy), params: api.getParams() };
  }, before.bytes);
  assert.equal(reloaded.steps, 15);
  assert.deepEqual(reloaded.xy, before.xy, "the reloaded checkpoint gives the same samples");
  assert.equal(reloaded.params.source, "learned");
  assert.equal(reloaded.params.width, 16);
  // A broken checkpoint is refused with the reason, and the loaded model is kept.
  const broken = await fresh.evaluate(async (bytes) => {
    const api = window.interplay;
    const out = [];
    for (const b of [bytes.slice(0, 100), [1, 2, 3]]) {
      try {
        await api.loadCheckpoint(new Uint8Array(b));
        out.push(null);
      } catch (e) {
        out.push(e.message);
      }
    }
    out.push(Array.from(await api.sample(300, { source: "model", steps: 20 })));
    return out;
  }, before.bytes);
  assert.match(broken[0], /truncated/i);
  assert.match(broken[1], /not an Interplay checkpoint|format|truncated/i);
  assert.deepEqual(broken[2], before.xy, "a refused file leaves the model alone");
  assert.match(await fresh.locator(".interplay-app .ip-message").textContent(), /could not be loaded/);

  // Samples as CSV (the particles on screen), PNG of a view, and the download control.
  const csv = await page.evaluate(() => window.interplay.exportCsv());
  const lines = csv.trim().split("\n");
  assert.equal(lines[0], "x,y");
  assert.equal(lines.length, 1001);
  assert.ok(lines.slice(1).every((l) => l.split(",").map(Number).every(Number.isFinite)));
  const png = await page.evaluate(async () => {
    const b = await window.interplay.exportPng("eulerian");
    return { type: b.type, size: b.size, head: Array.from(new Uint8Array(await b.slice(0, 4).arrayBuffer())) };
  });
  assert.equal(png.type, "image/png");
  assert.deepEqual(png.head, [0x89, 0x50, 0x4e, 0x47]);
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator(".interplay-app .ip-export-csv").click()]);
  assert.match(download.suggestedFilename(), /^interplay-samples-t0\.500\.csv$/);

  // The run config replays natively with `interplay train --config` when the CLI is built.
  const exe = join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "debug", "interplay");
  if (existsSync(exe)) {
    const dir = mkdtempSync(join(tmpdir(), "interplay-config-"));
    writeFileSync(join(dir, "run.json"), before.config);
    execFileSync(exe, ["train", "--config", join(dir, "run.json"), "--out", join(dir, "run.ckpt")], { stdio: "pipe" });
    assert.ok(readFileSync(join(dir, "run.ckpt")).length > 1000, "the CLI trained from the exported config");
    rmSync(dir, { recursive: true, force: true });
  } else {
    console.log(`# ${exe} is not built: the config replay was checked only as JSON`);
  }
  assert.deepEqual([...page.problems, ...fresh.problems], []);
  await Promise.all([page.close(), fresh.close()]);
});
