// Training while the learned flow plays, against training alone, through the public API and the
// page's own buttons (shared by tests/bench.mjs --watching and a browser test on a tiny budget).
//
// Alone: `train(n)` (the engine trains and nothing else is asked of it). Watching: the Train
// button pressed and the time animation playing the learned flow (restarted at t = 1), so the
// engine's worker also moves the learned particles, and refreshes the quality panel and the model
// density where they are shown. Steps are read from the training panel (what a reader sees),
// the engine's own times from `engineStats()`, and the lag of the learned particles behind the
// slider's t from `learnedTime()`.
import { openPage } from "./browser.mjs";

export async function trainingWhileWatching(browser, url, { hash, aloneSteps = 100, warmSteps = 3, watchSeconds = 20 }) {
  const page = await openPage(browser, `${url}#${hash}`);
  const r = await page.evaluate(
    async ({ aloneSteps, warmSteps, watchSeconds }) => {
      const api = window.interplay;
      await api.ready;
      const $ = (sel) => document.querySelector(sel);
      const shownSteps = () => Number((/(\d+) steps/.exec($(".ip-train-status").textContent) || [])[1] || NaN);
      await api.train(warmSteps);
      const t0 = performance.now();
      const a = await api.train(aloneSteps);
      const alone = { steps: aloneSteps, ms: performance.now() - t0, engineMs: a.ms };
      api.setParams({ t: 0 });
      await api.whenDrawn();
      const before = api.engineStats ? await api.engineStats() : null;
      const steps0 = a.steps;
      const lags = [];
      let sweeps = 0;
      let tTravelled = 0;
      let lastT = 0;
      // The page's frames while watching: how many, and the longest gap between two.
      const frames = { n: 0, last: null, longest: 0, on: true };
      const tick = (now) => {
        if (frames.last !== null) frames.longest = Math.max(frames.longest, now - frames.last);
        frames.last = now;
        frames.n++;
        if (frames.on) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      $(".ip-train").click();
      api.play();
      const w0 = performance.now();
      while (performance.now() - w0 < watchSeconds * 1000) {
        await new Promise((ok) => setTimeout(ok, 200));
        const p = api.getParams();
        if (p.t >= lastT) tTravelled += p.t - lastT;
        lastT = p.t;
        const lt = api.learnedTime ? api.learnedTime() : null;
        // The learned particles stop at the schedule's end of time (just short of 1).
        if (lt !== null && p.t > 0 && p.t < 0.99) lags.push(Math.abs(lt - p.t));
        if (p.t >= 1) {
          sweeps++;
          lastT = 0;
          api.play(); // from t = 0 again
        }
        // Training may have been stopped by the end of a sweep (older pages did): go on.
        if ($(".ip-train").getAttribute("aria-pressed") !== "true") $(".ip-train").click();
      }
      const wallMs = performance.now() - w0;
      frames.on = false;
      $(".ip-train").click();
      api.pause();
      // The last chunk reports after the stop: wait for the panel to settle.
      await new Promise((ok) => setTimeout(ok, 1500));
      const after = api.engineStats ? await api.engineStats() : null;
      lags.sort((x, y) => x - y);
      return {
        backend: api.backend,
        adapter: api.adapter,
        alone,
        watching: {
          steps: shownSteps() - steps0,
          ms: wallMs,
          sweeps,
          tPerSecond: tTravelled / (wallMs / 1000),
          lagMedian: lags.length ? lags[lags.length >> 1] : null,
          lagMax: lags.length ? lags[lags.length - 1] : null,
          lagSamples: lags.length,
          framesPerSecond: frames.n / (wallMs / 1000),
          longestFrameMs: frames.longest,
        },
        before,
        after,
      };
    },
    { aloneSteps, warmSteps, watchSeconds },
  );
  const problems = page.problems;
  await page.close();
  const d = (k) => (r.after && r.before ? r.after[k] - r.before[k] : null);
  return {
    ...r,
    aloneRate: (1000 * r.alone.steps) / r.alone.ms,
    watchingRate: (1000 * r.watching.steps) / r.watching.ms,
    engine: r.after
      ? {
          trainMs: d("trainMs"),
          viewMs: d("viewMs"),
          views: d("views"),
          chunks: d("chunks"),
          shaderModules: d("shaderModules"),
          pipelines: d("pipelines"),
          submits: d("submits"),
          longestViewWhileTrainingMs: r.after.longestViewWhileTrainingMs,
        }
      : null,
    problems,
  };
}
