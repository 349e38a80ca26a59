// Training that a figure runs in an engine of its own in the page's worker (the space–time
// view's Learn b, the flow-map figure): the engine started once, and a loop of chunks (train
// about `chunkMs`, then draw) behind one toggle button, which pauses out of sight and says why it
// stopped. The figure supplies what a chunk does and the words; this owns the loop.
import { EngineClient } from "./engine-client.js";
import { readBackendChoice } from "./engine-session.js";
import { messageOf } from "./options.js";

/** The backend: the widget's, else the one `auto` chose for the widget, else the CPU. */
function widgetBackend(w) {
  if (w.widget.backend !== "auto") return w.widget.backend;
  return w.api.backend ?? readBackendChoice()?.choice ?? "cpu";
}

/**
 * The training loop of a figure of the widget `w`.
 * - `backend()`: the backend its engine starts on (read when it starts; by default the widget's,
 *   else the one `auto` chose for the widget, else the CPU);
 * - `chunk(client, ms)`: trains about `ms` and draws; resolves to a report with `steps`, or null
 *   when the run was replaced meanwhile;
 * - `button`, `status`: the toggle and the figure's status line;
 * - `words`: `{ start, more, pause, loading, stopped }`: the button's labels before any report,
 *   after one and while training, the status while the engine loads, and the prefix of a failure;
 * - `chunkMs`: training per chunk; `maxSteps`: the steps one press trains at most (none: no limit).
 */
export function figureTraining(w, { backend = () => widgetBackend(w), chunk, button, status, words, chunkMs, maxSteps = Infinity }) {
  let client = null;
  let starting = null;
  let learning = false;
  let loop = null; // the promise of the running loop
  let last = null; // the last report

  /** The figure's engine, started once (a failed start is tried again next time). */
  function engine() {
    if (starting) return starting;
    const c = new EngineClient();
    client = c;
    starting = c.call("create", { backend: backend() }).then(
      (info) => {
        c.info = info;
        return c;
      },
      (e) => {
        starting = null;
        client = null;
        c.terminate();
        throw e;
      },
    );
    return starting;
  }

  async function step(ms) {
    const r = await chunk(await engine(), ms);
    if (r) last = r;
    return r;
  }

  function setButton() {
    button.textContent = learning ? words.pause : last ? words.more : words.start;
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
    const until = (last?.steps ?? 0) + maxSteps;
    if (!last) w.sayLocal(status, words.loading);
    loop = (async () => {
      try {
        while (learning && !w.destroyed) {
          if (document.hidden || !w.visible) return stop("Paused while out of sight.");
          const r = await step(chunkMs);
          if (r && r.steps >= until) return stop("Press again to train on.");
        }
      } catch (e) {
        if (!w.destroyed) {
          w.sayLocal(status, `${words.stopped}: ${messageOf(e)}`);
          stop();
        }
      }
    })();
    return loop;
  }

  w.listen(button, "click", () => (learning ? stop() : start()));

  return {
    engine,
    start,
    stop,
    /** Whether training runs on. */
    learning: () => learning,
    /** The last report (null before the first, and after `forget`). */
    last: () => last,
    /** A new run: the next report is its first. */
    forget() {
      last = null;
      setButton();
    },
    /**
     * Trains for about `ms` (the button's loop paused first), drawing after every chunk;
     * resolves to the last report and the time taken, `{ report, ms }`. `api` names the call in
     * the error for a bad `ms`.
     */
    async train(ms, api) {
      if (!(Number.isFinite(ms) && ms >= 1 && ms <= 600000)) {
        throw new Error(`${api}(ms) needs a time in milliseconds from 1 to 600000`);
      }
      if (learning) stop();
      await loop;
      const t0 = performance.now();
      let r = null;
      while (performance.now() - t0 < ms) {
        r = (await step(Math.min(chunkMs, Math.max(1, ms - (performance.now() - t0))))) ?? r;
      }
      setButton();
      return { report: r, ms: performance.now() - t0 };
    },
    /**
     * Saves the run of the figure's engine as checkpoint bytes, in a file named `file`; a
     * failure says that `what` could not be saved, in the figure's status line.
     */
    async saveCheckpoint(file, what) {
      try {
        const c = await engine();
        w.share.save(file, new Blob([await c.call("checkpoint")], { type: "application/octet-stream" }));
      } catch (e) {
        w.sayLocal(status, `${what} could not be saved: ${messageOf(e)}`);
      }
    },
    terminate() {
      learning = false;
      if (client) client.terminate();
    },
  };
}
