// Learning b on the line: the space–time view's "Learn b" trains a small network (2 × 64, the
// line's target as the plane's x-axis) in the engine's worker and draws its flow lines, dashed,
// over the exact ones after every chunk, so a reader watches the learned flow converge onto the
// exact one. The run has its own engine (on the CPU backend, where a network this small trains
// fastest), apart from the widget's 2-D run; a change of schedule or target starts it afresh.
// The loop of chunks is figure-training.js's.
import { figureTraining } from "./figure-training.js";
import { fmt, stepsText } from "./options.js";

/** Training time between two drawings of the learned lines (ms). */
const CHUNK_MS = 250;
/** Steps a press of the button trains at most: by then the lines no longer move visibly. */
export const LINE_MAX_STEPS = 4000;

const pct = (v) => `${fmt(100 * v, v < 0.1 ? 1 : 0)} %`;

/** The line-learning control of the widget `w`. */
export function lineLearning(w) {
  const status = w.$(".ip-line-status");
  let run = null; // { key, lineKey, schedule, generation }

  /** A run for the current schedule and target (a fresh network when they changed). */
  async function ensureRun(c) {
    const config = w.viewer.lineRunConfig();
    const key = JSON.stringify(config);
    if (run && run.key === key) return run;
    const r = await c.call("configure", { config });
    run = { key, lineKey: w.viewer.lineKey(), schedule: config.schedule, generation: r.generation };
    w.viewer.clearLineModel();
    w.dirty.spacetime = true;
    training.forget();
    return run;
  }

  function show(r) {
    const errs = r.errorTimes.map((t, i) => `${pct(r.bError[i])} at t = ${t}`).join(", ");
    const rate = r.ms > 0 ? `${fmt((1000 * r.done) / r.ms, 0)} steps/s · ` : "";
    w.sayLocal(status, `Dashed pink: the learned flow lines after ${stepsText(r.steps)} (${rate}CPU). Error of the learned b against the exact one: ${errs}.`);
  }

  /** One chunk: train about `ms`, then draw the learned lines. Resolves to the report. */
  async function chunk(c, ms) {
    const mine = await ensureRun(c);
    const t = await c.call("trainFor", { ms });
    const f = await c.call("lineFlow", { schedule: mine.schedule });
    // Settings changed meanwhile: these lines belong to a run that is gone.
    if (run !== mine || f.generation !== mine.generation) return null;
    w.viewer.setLineModel(mine.lineKey, f.times, f.lines, f.count);
    w.dirty.spacetime = true;
    const r = { steps: t.steps, done: t.done, ms: t.ms, bError: f.bError, errorTimes: f.errorTimes };
    show(r);
    return r;
  }

  const training = figureTraining(w, {
    backend: () => "cpu",
    chunk,
    button: w.$(".ip-line-learn"),
    status,
    words: { start: "Learn b", more: "Go on learning", pause: "Pause learning", loading: "Loading the training engine for the line…", stopped: "Learning b on the line stopped" },
    chunkMs: CHUNK_MS,
    maxSteps: LINE_MAX_STEPS,
  });

  return {
    /**
     * Trains the line's network for about `ms` (API `learnLine`), drawing its lines; resolves
     * to { steps, ms, bError } (bError at t = 0.1, 0.3, 0.5, 0.7, 0.9).
     */
    async learn(ms = 2000) {
      const { report: r, ms: took } = await training.train(ms, "learnLine");
      return r && { steps: r.steps, ms: took, bError: r.bError };
    },
    /** Whether learning runs on. */
    learning: () => training.learning(),
    terminate: () => training.terminate(),
  };
}
