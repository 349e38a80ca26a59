// Two builds of the page, one training speed: `a` (dist/) and `b` (another built dist, e.g. a
// different Cargo profile) train the same network in one browser session, timed in turns
// (a, b, b, a, …) so that the machine's noise falls on both alike. Reports the median steps/s
// of each, their ratio b / a, and the range of the per-round ratios (how far noise reaches).
import { openPage } from "./browser.mjs";

const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * `urls`: { a, b } page URLs (index.html of each build); `backend`; `cases`: [[width, batch,
 * steps per timing]]; `rounds`: timings of each build per case.
 */
export async function abTraining(browser, urls, { backend, cases, rounds }) {
  const rows = [];
  for (const [width, batch, steps] of cases) {
    const hash = `#backend=${backend}&source=schedule-free&checkpoint=none&width=${width}&depth=3&batch=${batch}&views=training&workers=1`;
    const pages = {};
    for (const k of ["a", "b"]) {
      pages[k] = await openPage(browser, `${urls[k]}${hash}`);
      await pages[k].evaluate(async () => {
        await window.interplay.ready;
        await window.interplay.train(3);
      });
    }
    const rates = { a: [], b: [] };
    const ratios = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? ["b", "a"] : ["a", "b"];
      const got = {};
      for (const k of order) {
        got[k] = await pages[k].evaluate(async (n) => {
          const t0 = performance.now();
          await window.interplay.train(n);
          return (1000 * n) / (performance.now() - t0);
        }, steps);
        rates[k].push(got[k]);
      }
      ratios.push(got.b / got.a);
    }
    const backendOf = await pages.a.evaluate(() => window.interplay.backend);
    for (const k of ["a", "b"]) await pages[k].close();
    const [a, b] = [median(rates.a), median(rates.b)];
    rows.push({ width, batch, steps, rounds, backend: backendOf, a, b, ratio: b / a, low: Math.min(...ratios), high: Math.max(...ratios), rates });
  }
  return rows;
}
