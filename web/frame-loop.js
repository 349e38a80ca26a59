// One widget's requestAnimationFrame loop: the time animation (play, pause, the sweep that waits
// for the learned particles), the exact particles' budget per frame, the model views' polling,
// and the redraw of whatever is dirty. It sleeps off screen and in a hidden tab, and on screen
// it idles: a frame that had nothing to do asks for the next one only after IDLE_MS, unless a
// change wakes it first (setting a dirty flag does), so a still widget leaves the cores to
// training and a laptop's battery alone.
import { LEARNED_LAG } from "./model-views.js";
import { PAUSE_ICON, PLAY_ICON } from "./controls.js";
import { fmt, messageOf } from "./options.js";

/** Seconds for one sweep of t from 0 to 1 when playing. */
const SWEEP_SECONDS = 6;
/** Main-thread budget per frame for moving the exact particles. */
const FRAME_BUDGET_MS = 8;
/** How long an idle loop waits before its next look (ms): the most a change that wakes
 * nothing waits to be seen (a request's failure, a note's new state). */
const IDLE_MS = 100;
/** The views' dirty flags: setting one asks for a redraw in the next frame. */
const VIEWS = ["eulerian", "lagrangian", "schedule", "losses", "spacetime"];

/** The dirty flags (all set), as an object whose flags call `wake` when one is set. */
function wakingFlags(wake) {
  const flags = {};
  for (const view of VIEWS) {
    let dirty = true;
    Object.defineProperty(flags, view, {
      enumerable: true,
      get: () => dirty,
      set: (v) => {
        dirty = v;
        if (v) wake();
      },
    });
  }
  // Sealed: a misspelt flag throws instead of being a new one that nothing draws.
  return Object.seal(flags);
}

/** The frame loop of the widget `w`. */
export function frameLoop(w) {
  const reducedMotion = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : { matches: false };
  let frameId = 0;
  let idleTimer = 0; // the wait of an idle loop before its next frame
  let inFrame = false;
  let wokenInFrame = false;
  let lastFrame = 0;
  let playing = false;
  let stepAccumulator = 0;
  let lastEulerian = 0;
  let catchingUp = false;
  const drawnWaiters = [];

  /** The next time of the sweep, or null while it waits (for the learned particles, or the
   * next tenth under reduced motion). */
  function sweep(p, dt) {
    const dir = p.direction === "backward" ? -1 : 1;
    let dtT = (dir * dt) / SWEEP_SECONDS;
    if (reducedMotion.matches) {
      // Reduced motion: step in tenths, once a second, without trails.
      stepAccumulator += dt;
      dtT = 0;
      if (stepAccumulator >= 1) {
        stepAccumulator = 0;
        dtT = dir * 0.1;
      }
    }
    // The learned particles are the slower view: the sweep waits while they are behind, so
    // the heat map and the particles never show two different times.
    if (dtT === 0 || w.views.behind(p)) return null;
    const t = Math.min(1, Math.max(0, p.t + dtT));
    // Never more than LEARNED_LAG ahead of them, however long the frame was.
    const lt = w.views.shownTime(p);
    if (lt === null) return t;
    return dtT > 0 ? Math.min(t, Math.max(p.t, lt + LEARNED_LAG)) : Math.max(t, Math.min(p.t, lt - LEARNED_LAG));
  }

  /** Redraws what is dirty; returns whether anything was drawn. */
  function draw(p, now, caughtUp) {
    const { viewer, dirty } = w;
    let drew = false;
    try {
      // While playing, the heat map is redrawn at most every 30 ms (it costs several ms).
      if (dirty.eulerian && !w.drawing.active() && (!playing || now - lastEulerian >= 30)) {
        dirty.eulerian = false;
        drew = true;
        lastEulerian = now;
        const max = viewer.drawEulerian();
        w.$(".ip-legend-max").textContent = Number.isFinite(max) ? max.toPrecision(2) : "…";
        if (!Number.isFinite(max) && p.eulerian.startsWith("model")) {
          w.session.start().catch((e) => console.warn(`Interplay: the model view needs the engine: ${messageOf(e)}`));
        }
      }
      if (dirty.lagrangian) {
        dirty.lagrangian = false;
        drew = true;
        viewer.drawLagrangian((playing || !caughtUp) && !reducedMotion.matches);
      }
      if (dirty.schedule && w.$(".ip-schedule-plot").offsetParent !== null) {
        dirty.schedule = false;
        drew = true;
        viewer.drawSchedule();
      }
      if (dirty.spacetime && w.$(".ip-spacetime").offsetParent !== null) {
        dirty.spacetime = false;
        drew = true;
        viewer.drawSpacetime();
      }
      if (dirty.losses) {
        dirty.losses = false;
        drew = true;
        viewer.drawLosses();
      }
    } catch (e) {
      if (!w.recovering) w.say(`Drawing failed: ${messageOf(e)}`);
    }
    return drew;
  }

  function frame(now) {
    frameId = 0;
    if (w.destroyed || !w.viewer || !w.visible) return;
    inFrame = true;
    wokenInFrame = false;
    try {
      next(step(now));
    } finally {
      inFrame = false;
    }
  }

  /** Asks for the next frame: now, or after IDLE_MS when this one had nothing to do. */
  function next(idle) {
    if (idle && !wokenInFrame) {
      idleTimer = setTimeout(() => {
        idleTimer = 0;
        frameId = requestAnimationFrame(frame);
      }, IDLE_MS);
    } else {
      frameId = requestAnimationFrame(frame);
    }
  }

  /** One frame's work; returns whether it was idle (nothing moved, drawn or waited for). */
  function step(now) {
    const dt = Math.min(0.1, (now - (lastFrame || now)) / 1000);
    lastFrame = now;
    let p = w.params();
    if (playing && !document.hidden) {
      const t = sweep(p, dt);
      if (t !== null) {
        w.viewer.setTime(t);
        w.$(".ip-t").value = String(t);
        w.$(".ip-t-out").value = fmt(t);
        w.dirty.eulerian = w.dirty.lagrangian = w.dirty.schedule = w.dirty.spacetime = true;
        w.share.hashChanged();
        if (t === 1 || t === 0) pause();
        p = w.params();
      }
    }
    const caughtUp = w.viewer.tick(FRAME_BUDGET_MS);
    // While catching up the particles move (trails on); once there, one clean redraw.
    if (!caughtUp || catchingUp) w.dirty.lagrangian = true;
    catchingUp = !caughtUp;
    w.views.poll(p);
    w.views.showState(p);
    const drew = draw(p, now, caughtUp);
    w.share.writeHashSoon(now);
    if (drawnWaiters.length && caughtUp && !w.dirty.eulerian && !w.dirty.lagrangian && !w.views.pending(p)) {
      for (const ok of drawnWaiters.splice(0)) ok();
    }
    // A request to the engine in flight wakes the loop when it is answered (it sets a flag).
    return !playing && caughtUp && !catchingUp && !drew && !drawnWaiters.length && !w.drawing.active();
  }

  /** Starts the loop (again, after it slept), or ends its idle wait. */
  function wake() {
    if (inFrame) {
      wokenInFrame = true;
      return;
    }
    if (frameId || !w.viewer || w.destroyed) return;
    if (idleTimer) clearTimeout(idleTimer);
    else lastFrame = 0;
    idleTimer = 0;
    frameId = requestAnimationFrame(frame);
  }

  w.dirty = wakingFlags(wake);

  function play() {
    if (!w.viewer) return;
    const p = w.params();
    if (p.direction === "forward" && p.t >= 1) w.applyParams({ t: 0 });
    if (p.direction === "backward" && p.t <= 0) w.applyParams({ t: 1 });
    playing = true;
    lastFrame = 0;
    wake();
    w.$(".ip-play").innerHTML = PAUSE_ICON;
    w.$(".ip-play").setAttribute("aria-label", "Pause the time animation");
  }
  function pause() {
    // Only the time animation: training goes on until its own button stops it.
    playing = false;
    if (!w.viewer) return;
    w.$(".ip-play").innerHTML = PLAY_ICON;
    w.$(".ip-play").setAttribute("aria-label", "Play the time animation");
  }

  return {
    play,
    pause,
    playing: () => playing,
    wake,
    stop() {
      if (frameId) cancelAnimationFrame(frameId);
      clearTimeout(idleTimer);
      frameId = idleTimer = 0;
    },
    /** Whether the loop runs: drawing, or idle and looking every IDLE_MS (not asleep). */
    running: () => frameId !== 0 || idleTimer !== 0,
    /** Resolves after the next frame that leaves nothing to catch up (particles, model views). */
    whenDrawn: () =>
      new Promise((ok) => {
        drawnWaiters.push(ok);
        wake();
      }),
  };
}
