// Learning b on the line: the space–time view's "Learn b" trains a small network (2 × 64, the
// line's target as the plane's x-axis) in the engine's worker and draws its flow lines, dashed,
// over the exact ones after every chunk, so a reader watches the learned flow converge onto the
// exact one. The run has its own engine (on the CPU backend, where a network this small trains
// fastest), apart from the widget's 2-D run; a change of schedule or target starts it afresh.
import { EngineClient } from "./engine-client.js";
import { fmt, messageOf, stepsText } from "./options.js";

/** Training time between two drawings of the learned lines (ms). */
const CHUNK_MS = 250;
/** Steps a press of the button trains at most: by then the lines no longer move visibly. */
export const LINE_MAX_STEPS = 4000;

const pct = (v) => `${fmt(100 * v, v < 0.1 ? 1 : 0)} %`;

/** The line-learning control of the widget `w`. */
export function lineLearning(w) {
  const button = w.$(".ip-line-learn");
  const status = w.$(".ip-line-status");
  let client = null;
  let starting = null;
  let run = null; // { key, lineKey, schedule, generation }
  let learning = false;
  let loop = null; // the promise of the running loop
  let last = null; // the last report

  function engine() {
    if (starting) return starting;
    const c = new EngineClient();
    client = c;
    starting = c.call("create", { backend: "cpu" }).then(
      () => c,
      (e) => {
        starting = null;
        client = null;
        c.terminate();
        throw e;
      },
    );
    return starting;
  }

  /** A run for the current schedule and target (a fresh network when they changed). */
  async function ensureRun(c) {
    const config = w.viewer.lineRunConfig();
    const key = JSON.stringify(config);
    if (run && run.key === key) return run;
    const r = await c.call("configure", { config });
    run = { key, lineKey: w.viewer.lineKey(), schedule: config.schedule, generation: r.generation };
    w.viewer.clearLineModel();
    w.dirty.spacetime = true;
    last = null;
    return run;
  }

  function show(r) {
    const errs = r.errorTimes.map((t, i) => `${pct(r.bError[i])} at t = ${t}`).join(", ");
    const rate = r.ms > 0 ? `${fmt((1000 * r.done) / r.ms, 0)} steps/s · ` : "";
    w.sayLocal(status, `Dashed pink: the learned flow lines after ${stepsText(r.steps)} (${rate}CPU). Error of the learned b against the exact one: ${errs}.`);
  }

  /** One chunk: train about `ms`, then draw the learned lines. Resolves to the report. */
  async function chunk(ms) {
    const c = await engine();
    const mine = await ensureRun(c);
    const t = await c.call("trainFor", { ms });
    const f = await c.call("lineFlow", { schedule: mine.schedule });
    // Settings changed meanwhile: these lines belong to a run that is gone.
    if (run !== mine || f.generation !== mine.generation) return null;
    w.viewer.setLineModel(mine.lineKey, f.times, f.lines, f.count);
    w.dirty.spacetime = true;
    last = { steps: t.steps, done: t.done, ms: t.ms, bError: f.bError, errorTimes: f.errorTimes };
    show(last);
    return last;
  }

  function setButton() {
    button.textContent = learning ? "Pause learning" : last ? "Go on learning" : "Learn b";
    button.setAttribute("aria-pressed", String(learning));
  }

  function stop(note) {
    learning = false;
    setButton();
    if (note) w.sayLocal(status, `${status.textContent} ${note}`);
  }

  function start() {
    if (learning) return loop;
    learning = true;
    setButton();
    const until = (last?.steps ?? 0) + LINE_MAX_STEPS;
    if (!last) w.sayLocal(status, "Loading the training engine for the line…");
    loop = (async () => {
      try {
        while (learning && !w.destroyed) {
          if (document.hidden || !w.visible) return stop("Paused while out of sight.");
          const r = await chunk(CHUNK_MS);
          if (r && r.steps >= until) return stop("Press again to train on.");
        }
      } catch (e) {
        if (!w.destroyed) {
          w.sayLocal(status, `Learning b on the line stopped: ${messageOf(e)}`);
          stop();
        }
      }
    })();
    return loop;
  }

  w.listen(button, "click", () => {
    if (learning) stop();
    else start();
  });

  return {
    /**
     * Trains the line's network for about `ms` (API `learnLine`), drawing its lines; resolves
     * to { steps, ms, bError } (bError at t = 0.1, 0.3, 0.5, 0.7, 0.9).
     */
    async learn(ms = 2000) {
      if (!(Number.isFinite(ms) && ms >= 1 && ms <= 600000)) {
        throw new Error("learnLine(ms) needs a time in milliseconds from 1 to 600000");
      }
      if (learning) stop();
      await loop;
      const t0 = performance.now();
      let r = null;
      while (performance.now() - t0 < ms) {
        r = (await chunk(Math.min(CHUNK_MS, Math.max(1, ms - (performance.now() - t0))))) ?? r;
      }
      setButton();
      return r && { steps: r.steps, ms: performance.now() - t0, bError: r.bError };
    },
    /** Whether learning runs on. */
    learning: () => learning,
    terminate() {
      learning = false;
      if (client) client.terminate();
    },
  };
}
