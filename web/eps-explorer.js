// The ε explorer of the quality panel: for the current learned b and s, samples at ε on a grid
// from 0 to 5 scored against the exact target (histogram TV), and the KL bound of the SDE at
// every ε from the learned fields' errors, each with the ε where it is lowest; "Use ε" moves
// the slider there. The engine samples and scores; the viewer draws the chart.
import { drawEpsChart } from "./interplay-web.js";
import { fmt, messageOf } from "./options.js";

/** The noise levels sampled (the slider's range). */
export const EPS_GRID = [0, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 4, 5];

/** The ε explorer of the widget `w`, using its engine session. */
export function epsExplorer(w, session) {
  const button = w.$(".ip-eps-explore");
  const use = w.$(".ip-eps-use");
  const useBound = w.$(".ip-eps-use-bound");
  const canvas = w.$(".ip-eps-plot");
  const note = w.$(".ip-eps-note");
  let best = null;
  let bestBound = null;
  let running = null;

  async function explore() {
    if (running) return running;
    if (w.params().source === "exact") {
      const text = "The ε explorer compares a learned b and s with the exact ones: choose a learned field source first.";
      w.sayLocal(note, text);
      throw new Error(text);
    }
    button.disabled = true;
    w.sayLocal(note, `Sampling the model at ${EPS_GRID.length} noise levels…`);
    running = (async () => {
      try {
        const client = await session.ensureRun();
        const p = w.params();
        // The engine sizes the sweep for its backend (fewer samples on the CPU).
        const r = await client.call("epsSweep", { grid: EPS_GRID, seed: p.seed, schedule: w.viewer.scheduleSpec() });
        canvas.hidden = false;
        drawEpsChart(canvas, JSON.stringify(r));
        best = r.bestTv;
        const at = r.eps.indexOf(r.bestTv);
        const boundText =
          r.bestBound === null
            ? "the learned score is exact, so the bound falls all the way to ε = 5"
            : r.bestBound > 5
              ? `the bound is still falling at ε = 5 (its minimum is at ε ≈ ${fmt(r.bestBound, 1)})`
              : `the bound is smallest at ε ≈ ${fmt(r.bestBound, 2)}`;
        w.sayLocal(
          note,
          `Blue: histogram TV of ${r.n} samples at each ε (${r.steps} steps; ε = 0 is the ODE), lowest at ε = ${fmt(r.bestTv, 2)} (TV ${fmt(r.tv[at], 3)}; grey: ${fmt(r.tvExact, 3)}, the TV of as many exact samples, the histogram's own noise). ` +
            `Orange: the KL bound (1/4ε)∫E|b̂ + εŝ − b − εs|² dt up to t = ${r.bound.t_end} with the exact fields; ${boundText}.`,
        );
        use.hidden = false;
        use.textContent = `Use ε = ${fmt(best, 2)} (lowest TV)`;
        bestBound = r.bestBound !== null && r.bestBound <= 5 ? r.bestBound : null;
        useBound.hidden = bestBound === null;
        if (bestBound !== null) useBound.textContent = `Use ε = ${fmt(bestBound, 2)} (lowest bound)`;
        return r;
      } catch (e) {
        w.sayLocal(note, `The ε explorer stopped: ${messageOf(e)}`);
        throw e;
      } finally {
        button.disabled = false;
        running = null;
      }
    })();
    return running;
  }

  w.listen(button, "click", () => explore().catch(() => {}));
  w.listen(use, "click", () => {
    if (best !== null) w.applyParams({ eps: best });
  });
  w.listen(useBound, "click", () => {
    // The slider's step is 0.05.
    if (bestBound !== null) w.applyParams({ eps: Math.round(bestBound * 20) / 20 });
  });
  return { explore };
}
