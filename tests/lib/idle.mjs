// What a page costs the machine besides training: its main thread's busy time and the frames it
// asks for (Chrome DevTools Protocol metrics and a count of requestAnimationFrame calls), idle
// and while its workers train; and, on Linux, how the cores divide between the engine's workers
// and the browser's other threads (each thread's CPU time in /proc).
import { readFileSync, readdirSync } from "node:fs";

/**
 * CPU seconds so far of every Chromium process's threads on the machine (from /proc), in two
 * sums: `workers` (the Web Workers' threads: the engine's worker and its helpers) and `browser`
 * (every other thread: the page's main thread, the compositor, the GPU process, …). Empty where
 * there is no /proc.
 */
export function chromiumThreads() {
  const out = {};
  let pids = [];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return out; // not Linux: no split by thread
  }
  for (const pid of pids) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("chromium")) continue;
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const kind = name.startsWith("DedicatedWorker") ? "workers" : "browser";
        out[kind] = (out[kind] ?? 0) + (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in ticks of 10 ms
      }
    } catch {
      // the process or thread ended meanwhile
    }
  }
  return out;
}

/**
 * In the page: from now on, `window.framesAsked` counts the frames the page asks for (its
 * requestAnimationFrame calls; the widget's loop looks the function up on every call).
 */
export function countFramesAsked() {
  const raf = window.requestAnimationFrame.bind(window);
  window.framesAsked = 0;
  window.requestAnimationFrame = (cb) => {
    window.framesAsked++;
    return raf(cb);
  };
}

/**
 * Opens `url` in a new context whose pages count their requestAnimationFrame calls, waits until
 * it is drawn, runs `work(page)` (the page's own script; it resolves to anything, e.g. steps) for
 * `seconds` from the page's side, and returns per second: the frames asked for, the main
 * thread's busy time (s/s) and, on Linux, the cores used by the workers and by the rest of
 * Chromium.
 */
export async function pageCost(browser, url, { seconds = 10, before = async () => {}, work = null } = {}) {
  const context = await browser.newContext({ viewport: { width: 900, height: 1100 } });
  await context.addInitScript(countFramesAsked);
  const page = await context.newPage();
  await page.goto(url);
  await page.evaluate(async () => {
    await window.interplay.ready;
    await window.interplay.whenDrawn();
  });
  await before(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  const metrics = async () => Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  const [m0, f0, c0] = [await metrics(), await page.evaluate(() => window.framesAsked), chromiumThreads()];
  const t0 = performance.now();
  const result = await page.evaluate(work ?? ((s) => new Promise((ok) => setTimeout(() => ok(null), s * 1000))), seconds);
  const secs = (performance.now() - t0) / 1000;
  const [m1, f1, c1] = [await metrics(), await page.evaluate(() => window.framesAsked), chromiumThreads()];
  await context.close();
  const cores = (k) => (k in c1 ? (c1[k] - (c0[k] ?? 0)) / secs : null);
  return {
    result,
    framesPerSecond: (f1 - f0) / secs,
    mainBusy: (m1.TaskDuration - m0.TaskDuration) / secs,
    workerCores: cores("workers"),
    browserCores: cores("browser"),
  };
}
