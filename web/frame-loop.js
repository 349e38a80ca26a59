// One widget's requestAnimationFrame loop: the time animation (play, pause, the sweep that waits
// for the learned particles), the exact particles' budget per frame, the model views' polling,
// and the redraw of whatever is dirty. It sleeps off screen and in a hidden tab.
import { LEARNED_LAG } from "./model-views.js";
import { PAUSE_ICON, PLAY_ICON } from "./controls.js";
import { fmt, messageOf } from "./options.js";

/** Seconds for one sweep of t from 0 to 1 when playing. */
const SWEEP_SECONDS = 6;
/** Main-thread budget per frame for moving the exact particles. */
const FRAME_BUDGET_MS = 8;

/** The frame loop of the widget `w`. */
export function frameLoop(w) {
  const reducedMotion = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : { matches: false };
  let frameId = 0;
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

  function draw(p, now, caughtUp) {
    const { viewer, dirty } = w;
    try {
      // While playing, the heat map is redrawn at most every 30 ms (it costs several ms).
      if (dirty.eulerian && !w.drawing.active() && (!playing || now - lastEulerian >= 30)) {
        dirty.eulerian = false;
        lastEulerian = now;
        const max = viewer.drawEulerian();
        w.$(".ip-legend-max").textContent = Number.isFinite(max) ? max.toPrecision(2) : "…";
        if (!Number.isFinite(max) && p.eulerian.startsWith("model")) {
          w.session.start().catch((e) => console.warn(`Interplay: the model view needs the engine: ${messageOf(e)}`));
        }
      }
      if (dirty.lagrangian) {
        dirty.lagrangian = false;
        viewer.drawLagrangian((playing || !caughtUp) && !reducedMotion.matches);
      }
      if (dirty.schedule && w.$(".ip-schedule-plot").offsetParent !== null) {
        dirty.schedule = false;
        viewer.drawSchedule();
      }
      if (dirty.spacetime && w.$(".ip-spacetime").offsetParent !== null) {
        dirty.spacetime = false;
        viewer.drawSpacetime();
      }
      if (dirty.losses) {
        dirty.losses = false;
        viewer.drawLosses();
      }
    } catch (e) {
      if (!w.recovering) w.say(`Drawing failed: ${messageOf(e)}`);
    }
  }

  function frame(now) {
    frameId = 0;
    if (w.destroyed || !w.viewer || !w.visible) return;
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
    draw(p, now, caughtUp);
    w.share.writeHashSoon(now);
    if (drawnWaiters.length && caughtUp && !w.dirty.eulerian && !w.dirty.lagrangian && !w.views.pending(p)) {
      for (const ok of drawnWaiters.splice(0)) ok();
    }
    frameId = requestAnimationFrame(frame);
  }

  function play() {
    if (!w.viewer) return;
    const p = w.params();
    if (p.direction === "forward" && p.t >= 1) w.applyParams({ t: 0 });
    if (p.direction === "backward" && p.t <= 0) w.applyParams({ t: 1 });
    playing = true;
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
    /** Starts the loop (again, after it slept). */
    wake() {
      if (frameId || !w.viewer || w.destroyed) return;
      lastFrame = 0;
      frameId = requestAnimationFrame(frame);
    },
    stop() {
      if (frameId) cancelAnimationFrame(frameId);
      frameId = 0;
    },
    running: () => frameId !== 0,
    /** Resolves after the next frame that leaves nothing to catch up (particles, model views). */
    whenDrawn: () => new Promise((ok) => drawnWaiters.push(ok)),
  };
}
