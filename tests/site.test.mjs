// The published site (site/, built by scripts/site.sh before these tests): served under a
// sub-path as a project page is, every page and every link walked in Chromium, with no broken
// link, no console error, every figure drawing, and the 404 page working at any depth.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { serve } from "./lib/server.mjs";
import { ROOT, launch, openPage, screenshot, shownViewColours } from "./lib/browser.mjs";
import { walk } from "../scripts/site.mjs";

const SITE = join(ROOT, "site");
/** The sub-path the site is served under; site.sh was run with SITE_BASE=/interplay/. */
const BASE = "/interplay/";
let server;
let browser;

before(async () => {
  assert.ok(existsSync(join(SITE, "index.html")), "site/ is missing: run SITE_BASE=/interplay/ bash scripts/site.sh");
  server = await serve({ [BASE]: SITE }, 0, { notFound: join(SITE, "404.html") });
  browser = await launch({ webgpu: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Waits for every figure of the page (widgets, or the app) and counts the colours of its first view on show. */
async function figureColours(page) {
  const n = await page.locator(".interplay-widget, .interplay-app").count();
  const colours = [];
  for (let i = 0; i < n; i++) {
    await page.locator(".interplay-widget, .interplay-app").nth(i).scrollIntoViewIfNeeded();
    const api = (i) => {
      const el = document.querySelectorAll(".interplay-widget, .interplay-app")[i];
      return el.classList.contains("interplay-app") ? window.interplay : el.interplay;
    };
    await page.waitForFunction(`(${api})(${i})`, null, { timeout: 60000 });
    await page.evaluate(`(${api})(${i}).ready`);
    await page.evaluate(`(${api})(${i}).whenDrawn()`);
    colours.push(await shownViewColours(page, ".interplay-widget, .interplay-app", i));
  }
  return colours;
}

/** Everything a page refers to: links, images, scripts, styles, the preview image. */
async function references(page) {
  return page.evaluate(() => {
    const out = [];
    for (const a of document.querySelectorAll("a[href]")) out.push(["a", a.href]);
    for (const el of document.querySelectorAll("img[src], script[src]")) out.push([el.tagName.toLowerCase(), el.src]);
    for (const l of document.querySelectorAll("link[href]")) if (!l.href.startsWith("data:")) out.push(["link", l.href]);
    for (const m of document.querySelectorAll('meta[property="og:image"]')) out.push(["og:image", new URL(m.content, document.baseURI).href]);
    return out;
  });
}

test("every page of the site under a sub-path loads, draws its figures and links only to what exists", async () => {
  const start = server.url(BASE);
  const queue = [start];
  const seen = new Set();
  const pages = [];
  while (queue.length) {
    const url = queue.shift();
    if (seen.has(url)) continue;
    seen.add(url);
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    page.problems = [];
    page.on("console", (m) => m.type() === "error" && page.problems.push(`console: ${m.text()}`));
    page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
    page.on("response", (r) => r.status() >= 400 && page.problems.push(`${r.status()} ${r.url()}`));
    const res = await page.goto(url);
    assert.equal(res.status(), 200, `${url} is served`);
    const colours = await figureColours(page);
    assert.ok(colours.every((c) => c > 3), `${url}: every figure draws (${colours})`);
    const images = await page.evaluate(() => [...document.images].map((i) => [i.src, i.complete && i.naturalWidth > 0]));
    for (const [src, ok] of images) assert.ok(ok, `${url}: image ${src} is shown`);
    for (const [kind, ref] of await references(page)) {
      const u = new URL(ref);
      assert.ok(u.origin === new URL(start).origin, `${url}: ${kind} ${ref} leaves the site`);
      assert.ok(u.pathname.startsWith(BASE), `${url}: ${kind} ${ref} escapes the sub-path ${BASE}`);
      if (kind === "a" && !/\.(svg|png|ckpt|csv)$/.test(u.pathname)) queue.push(ref);
      else {
        const r = await fetch(ref);
        assert.equal(r.status, 200, `${url}: ${kind} ${ref}`);
      }
    }
    assert.deepEqual(page.problems, [], url);
    pages.push([url, colours.length]);
    const name = new URL(url).pathname.slice(BASE.length).replace(/\/$/, "").replace(/\//g, "-") || "app";
    if (!url.includes("#")) await page.evaluate(() => window.scrollTo(0, 0)), await screenshot(page, `site-${name}`);
    await page.close();
  }
  const paths = pages.map(([u]) => new URL(u).pathname);
  for (const want of [BASE, `${BASE}post/from-a-gaussian-to-a-checkerboard/`, `${BASE}gallery/`]) {
    assert.ok(paths.includes(want), `${want} is reachable from the front page: ${paths}`);
  }
  // Every gallery card opens the app in its state (a link with a hash).
  assert.ok(pages.filter(([u]) => u.includes("#")).length >= 8, `gallery links: ${pages.map(([u]) => u)}`);
});

test("a gallery link opens the app in the card's state", async () => {
  const page = await openPage(browser, server.url(`${BASE}#preset=trig`), { width: 1000, height: 900 });
  await page.waitForFunction(() => window.interplay, null, { timeout: 60000 });
  await page.evaluate(() => window.interplay.ready);
  assert.equal((await page.evaluate(() => window.interplay.getParams())).path, "trig");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("a broken link anywhere under the site gets the 404 page, whose links work", async () => {
  for (const path of [`${BASE}nothing-here`, `${BASE}post/old/deep/link.html`]) {
    const page = await openPage(browser, server.url(path), { width: 800, height: 600 });
    const links = await page.evaluate(() => [...document.querySelectorAll("a[href]")].map((a) => a.href));
    assert.ok(links.length >= 3, `${path}: ${links}`);
    for (const l of links) {
      assert.ok(new URL(l).pathname.startsWith(BASE), `${path}: ${l}`);
      assert.equal((await fetch(l)).status, 200, `${path}: ${l}`);
    }
    assert.match(await page.title(), /Not found/);
    await screenshot(page, "site-404");
    await page.close();
  }
});

test("what gets published is a build, not trunk serve's live-reload page", () => {
  for (const f of walk(SITE).filter((f) => /\.(html|js)$/.test(f))) {
    const text = readFileSync(join(SITE, f), "utf8");
    assert.ok(!/__trunk_address__|__TRUNK_ADDRESS__|new WebSocket/.test(text), `${f} has a live-reload client`);
  }
  const app = readFileSync(join(SITE, "index.html"), "utf8");
  assert.match(app, /<meta property="og:image" content="figs\/social\.png">/);
  assert.ok(existsSync(join(SITE, "figs", "social.png")));
});

test("the engine a first visit downloads stays within 3 MB gzipped, and its compressed copies are of it", () => {
  // GitHub Pages serves gzip; hosts with brotli_static send the .br copy. The size follows from
  // the wasm-engine profile in Cargo.toml (BENCHMARKS.md, "What a first visit downloads").
  const wasm = readFileSync(join(SITE, "interplay-engine_bg.wasm"));
  const gz = readFileSync(join(SITE, "interplay-engine_bg.wasm.gz"));
  const br = readFileSync(join(SITE, "interplay-engine_bg.wasm.br"));
  assert.ok(gz.length <= 3e6, `the engine is ${(gz.length / 1e6).toFixed(2)} MB gzipped (goal ≤ 3 MB)`);
  assert.ok(br.length < gz.length, `Brotli ${br.length} B, gzip ${gz.length} B`);
  assert.ok(gunzipSync(gz).equals(wasm), "the .gz copy is the engine");
  assert.ok(brotliDecompressSync(br).equals(wasm), "the .br copy is the engine");
});

test("the Pages workflow tests, builds with site.sh under the repository's path and publishes site/", () => {
  const wf = readFileSync(join(ROOT, ".github", "workflows", "pages.yml"), "utf8");
  assert.match(wf, /run: bash scripts\/test\.sh/);
  assert.match(wf, /SITE_BASE="\$base"[^\n]*bash scripts\/site\.sh/);
  assert.match(wf, /base="\/\$repo\/"/);
  assert.match(wf, /upload-pages-artifact@v\d+\s+with:\s+path: site\b/);
  assert.match(wf, /deploy-pages@v\d+/);
  // The container is a bare Debian: only rustup, node and npm come before setup.sh.
  assert.match(wf, /container: debian:/);
});

test("axe-core finds no accessibility violation on the app, the post, the gallery and the 404 page", async () => {
  const axe = readFileSync(join(ROOT, "tests", "node_modules", "axe-core", "axe.min.js"), "utf8");
  for (const path of ["", "post/from-a-gaussian-to-a-checkerboard/", "gallery/", "404.html"]) {
    const page = await openPage(browser, server.url(`${BASE}${path}`), { width: 1000, height: 900 });
    await figureColours(page); // every figure built and drawn: its controls are in the page
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.addScriptTag({ content: axe });
    const found = await page.evaluate(async () =>
      (await window.axe.run(document, { resultTypes: ["violations"] })).violations.map(
        (v) => `${v.impact} ${v.id} (${v.nodes.length}): ${v.help}; e.g. ${v.nodes[0].html.slice(0, 120)}`,
      ),
    );
    // The bar is no serious or critical violation; today there are none of any kind.
    assert.deepEqual(found, [], `${path || "the app"}`);
    await page.close();
  }
});

test("after one visit the app, the post and the gallery work offline, from the service worker's cache", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const problems = [];
  const watch = (page) => {
    page.on("console", (m) => m.type() === "error" && problems.push(`${page.url()}: ${m.text()}`));
    page.on("pageerror", (e) => problems.push(`${page.url()}: ${e.message}`));
    return page;
  };
  const page = watch(await ctx.newPage());
  await page.goto(server.url(BASE));
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  assert.equal(scope, server.url(BASE), "the worker's scope is the site, not the host's root");
  await figureColours(page);
  // The cache is this build's: its name carries the version written into sw.js.
  const version = readFileSync(join(SITE, "sw.js"), "utf8").match(/const VERSION = "([0-9a-f]+)"/)[1];
  assert.deepEqual(await page.evaluate(() => caches.keys()), [`interplay-${version}`]);
  await ctx.setOffline(true);
  for (const path of ["", "post/from-a-gaussian-to-a-checkerboard/", "gallery/"]) {
    await page.goto(server.url(`${BASE}${path}`));
    const colours = await figureColours(page);
    assert.ok(colours.length > 0 && colours.every((c) => c > 3), `${path || "the app"} offline: ${colours}`);
  }
  await screenshot(page, "site-gallery-offline");
  assert.deepEqual(problems, []);
  await ctx.close();
});

test("the large files have precompressed copies that decode to the same bytes", async () => {
  const { brotliDecompressSync, gunzipSync } = await import("node:zlib");
  for (const f of ["interplay-engine_bg.wasm", "interplay-web_bg.wasm"]) {
    const raw = readFileSync(join(SITE, f));
    assert.ok(brotliDecompressSync(readFileSync(join(SITE, `${f}.br`))).equals(raw), `${f}.br`);
    assert.ok(gunzipSync(readFileSync(join(SITE, `${f}.gz`))).equals(raw), `${f}.gz`);
  }
});
