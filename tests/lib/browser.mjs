// Launches Debian's Chromium headless through playwright-core (never a downloaded browser).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DIST = join(ROOT, "dist");
export const ARTIFACTS = join(ROOT, "tests", "artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

const BASE_FLAGS = [
  "--no-sandbox",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Chromium with (webgpu: true) or without the WebGPU adapter (SwiftShader). */
export async function launch({ webgpu = true } = {}) {
  const args = [...BASE_FLAGS, webgpu ? "--enable-unsafe-webgpu" : "--disable-webgpu"];
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args,
  });
}

/**
 * A new page that records console errors/warnings and uncaught exceptions in `page.problems`.
 */
export async function openPage(browser, url, { width = 900, height = 1100 } = {}) {
  const page = await browser.newPage({ viewport: { width, height } });
  page.problems = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") page.problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return page;
}

/** RGBA bytes of a canvas in the page, as a hex SHA-256 and a count of distinct pixels. */
/**
 * In the page: the RGBA pixels of the canvas `c` in the rectangle (x, y, w, h) (default: all),
 * read from a scratch copy meant for reading, so the page's own canvas is left alone.
 */
const READ_PIXELS = `(c, x = 0, y = 0, w = c.width, h = c.height) => {
  const scratch = document.createElement("canvas");
  scratch.width = c.width;
  scratch.height = c.height;
  const ctx = scratch.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(c, 0, 0);
  return ctx.getImageData(x, y, w, h).data;
}`;

/** The RGBA pixels of the canvas `selector` in the rectangle (x, y, w, h), as a plain array. */
export async function canvasPixels(page, selector, x, y, w, h) {
  return page.evaluate(
    ([sel, read, rect]) => [...(0, eval)(read)(document.querySelector(sel), ...rect)],
    [selector, READ_PIXELS, [x, y, w, h].filter((v) => v !== undefined)],
  );
}

export async function canvasDigest(page, selector) {
  return page.evaluate(
    async ([sel, read]) => {
      const c = document.querySelector(sel);
      const d = (0, eval)(read)(c);
      const hash = await crypto.subtle.digest("SHA-256", d);
      const seen = new Set();
      for (let i = 0; i < d.length; i += 4 * 7) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      return {
        hash: [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join(""),
        colors: seen.size,
        width: c.width,
        height: c.height,
      };
    },
    [selector, READ_PIXELS],
  );
}

/**
 * The distinct colours (sampled every fifth pixel) of the first view on show in the `i`-th
 * element matching `selector`: a drawn figure has many, a blank box one.
 */
export async function shownViewColours(page, selector, i) {
  return page.evaluate(
    ([sel, i]) => {
      const el = document.querySelectorAll(sel)[i];
      const c = [...el.querySelectorAll(".ip-view canvas")].find((c) => c.offsetParent !== null);
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let k = 0; k < d.length; k += 4 * 5) seen.add((d[k] << 16) | (d[k + 1] << 8) | d[k + 2]);
      return seen.size;
    },
    [selector, i],
  );
}

/** Waits for two animation frames (the widget redraws on the next frame after a change). */
export async function frames(page, n = 2) {
  for (let i = 0; i < n; i++) await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => ok())));
}

export async function screenshot(page, name, selector) {
  const target = selector ? page.locator(selector).first() : page;
  await target.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/**
 * Installs `window.engineWorker()` in `page`: a fresh engine worker (engine-worker.js) of the
 * page's build and a function call(engine, op, args) that posts one request in the worker's own
 * protocol and resolves with its answer { id, ok, result | error }, and ask(engine, op, args),
 * its result or a throw with the worker's error. For tests that speak to the worker directly,
 * below the page's API.
 */
export async function installWorkerClient(page) {
  await page.evaluate(() => {
    window.engineWorker = () => {
      const worker = new Worker("./engine-worker.js", { type: "module" });
      let next = 1;
      const call = (engine, op, args) =>
        new Promise((resolve) => {
          const id = next++;
          const on = (ev) => {
            if (ev.data.id !== id) return;
            worker.removeEventListener("message", on);
            resolve(ev.data);
          };
          worker.addEventListener("message", on);
          worker.postMessage({ id, engine, op, args });
        });
      // The answer's result, or a throw with the engine's words.
      const ask = async (engine, op, args) => {
        const a = await call(engine, op, args);
        if (!a.ok) throw new Error(`${op}: ${a.error}`);
        return a.result;
      };
      return { worker, call, ask };
    };
  });
}
