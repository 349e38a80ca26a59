// The triangle of three marginals: x(α) = α0·x0 + α1·x1 + α2·x2 with x0 ~ N(0, I), x1 the target
// and x2 a second target, α on the triangle. Dragging the point shows ρ(α, ·) at once (a heat map
// of direct samples, drawn by the viewer's MixView); in path mode a drag draws a path, and the
// particles the exact flow b = Σ α̇_k g_k carries along it play from its start to its end. The
// point and the path are parameters (`mix`, `mixPath`), so links restore them.
import { MixView, takeLastPanic } from "./interplay-web.js";
import { freeDead, isPanic, panicMessage } from "./viewer-guard.js";
import { fmt, messageOf } from "./options.js";

/** Seconds the flow takes to play along a whole path. */
const PLAY_SECONDS = 4;
/** Pixels between two knots recorded while a path is drawn. */
const KNOT_PX = 14;
/** The most knots of a path (the parameters' limit). */
const MAX_KNOTS = 12;
/** Milliseconds of carrying per animation frame. */
const CARRY_MS = 40;
/** A drawn path's ends snap to a vertex this close (pixels). */
const SNAP_PX = 14;

/** What the triangle control is, for a screen reader (its current α is added). */
const LABEL =
  "The triangle of weights (alpha0, alpha1, alpha2) of N(0, I), the target and the second target: drag the point, or use the arrow keys.";
const round3 = (x) => Math.round(x * 1000) / 1000;
const code = (a) => a.map(round3).join(",");
const parse = (s) => s.split(",").map(Number);

/** The triangle of the widget `w`. */
export function mixTriangle(w) {
  const tri = w.$(".ip-mix-triangle");
  const mode = w.$(".ip-mix-mode");
  const play = w.$(".ip-mix-play");
  const clear = w.$(".ip-mix-clear");
  const status = w.$(".ip-mix-status");
  const ctx = tri.getContext("2d");
  const W = tri.width;
  const H = tri.height;
  const PAD = 26;
  /** The vertices: N(0, I) at the top, the target bottom left, the second target bottom right. */
  const V = [
    [W / 2, PAD],
    [PAD, H - PAD],
    [W - PAD, H - PAD],
  ];
  let view = null;
  let s = NaN; // where along the path the picture is (NaN: at the point `mix`)
  let raf = 0;
  let drawing = null; // the knots of a path being drawn
  let pathMode = false;
  let run = 0; // the latest flow asked for (an older one stops)
  let carrying = false;
  let endPlay = null; // resolves the playing flow's promise when it is stopped

  const toXY = (a) => [0, 1].map((d) => a[0] * V[0][d] + a[1] * V[1][d] + a[2] * V[2][d]);
  /** The barycentric coordinates of a pixel, clamped onto the triangle. */
  function toAlpha(x, y) {
    const [[x0, y0], [x1, y1], [x2, y2]] = V;
    const det = (y1 - y2) * (x0 - x2) + (x2 - x1) * (y0 - y2);
    let a0 = ((y1 - y2) * (x - x2) + (x2 - x1) * (y - y2)) / det;
    let a1 = ((y2 - y0) * (x - x2) + (x0 - x2) * (y - y2)) / det;
    let a2 = 1 - a0 - a1;
    [a0, a1, a2] = [a0, a1, a2].map((v) => Math.max(0, v));
    const sum = a0 + a1 + a2;
    return [a0 / sum, a1 / sum, a2 / sum];
  }
  function snap(a) {
    const [x, y] = toXY(a);
    const k = V.findIndex(([vx, vy]) => Math.hypot(vx - x, vy - y) < SNAP_PX);
    return k < 0 ? a : [0, 1, 2].map((i) => (i === k ? 1 : 0));
  }
  function pointer(e) {
    const r = tri.getBoundingClientRect();
    return toAlpha(((e.clientX - r.left) * W) / r.width, ((e.clientY - r.top) * H) / r.height);
  }

  function label(text, x, y, align) {
    ctx.fillStyle = "#222";
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = align;
    ctx.fillText(text, x, y);
  }
  function drawTriangle(alpha) {
    const p = w.params();
    ctx.clearRect(0, 0, W, H);
    ctx.beginPath();
    V.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    ctx.fillStyle = "#f1f3f8";
    ctx.fill();
    ctx.strokeStyle = "#667";
    ctx.lineWidth = 1.5;
    ctx.stroke();
    label("N(0, I)", V[0][0], V[0][1] - 8, "center");
    label(p.target, V[1][0] - 4, V[1][1] + 18, "left");
    label(p.second, V[2][0] + 4, V[2][1] + 18, "right");
    const knots = drawing ?? (p.mixPath ? p.mixPath.split(";").map(parse) : []);
    if (knots.length > 1) {
      ctx.beginPath();
      knots.map(toXY).forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.strokeStyle = "#d9480f";
      ctx.lineWidth = 2.5;
      ctx.stroke();
    }
    const [x, y] = toXY(alpha);
    ctx.beginPath();
    ctx.arc(x, y, 6, 0, 2 * Math.PI);
    ctx.fillStyle = "#1c7ed6";
    ctx.fill();
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 2;
    ctx.stroke();
  }

  /**
   * Runs `fn` (a call into the triangle's view); on a panic, which leaves the view unusable and
   * may leave the viewer it was handed borrowed, drops the view (a fresh one is made next time),
   * lets the viewer's guard rebuild the viewer, says what happened and returns null.
   */
  function guarded(fn) {
    try {
      return fn();
    } catch (e) {
      if (!isPanic(e)) throw e;
      const why = panicMessage(e, takeLastPanic);
      freeDead(view, "triangle view");
      view = null;
      // A call that needs the viewer to itself: if the panic left it borrowed, its guard
      // rebuilds it now and answers with the restart, which is what this wants.
      try {
        w.viewer.tick(0);
      } catch (e) {
        if (!/was restarted/.test(messageOf(e))) throw e;
      }
      w.say(`Something went wrong inside the triangle (${why}); it was restarted.`);
      return null;
    }
  }

  /** Redraws the heat map (at the point, or at α(s) along the path) and the triangle. */
  function refresh() {
    if (!w.viewer || w.destroyed || w.$(".ip-mix-panel").hidden) return;
    if (!view) view = new MixView(w.$(".ip-mix"));
    const p = w.params();
    const onPath = Number.isFinite(s) && p.mixPath !== "";
    const alpha = guarded(() => view.draw(w.viewer, onPath ? s : NaN));
    if (!alpha) return;

    drawTriangle([...alpha]);
    const a = [...alpha].map((v) => fmt(v, 2));
    tri.setAttribute("aria-label", `${LABEL} Now α = (${a.join(", ")}).`);
    w.$(".ip-mix-alpha").textContent = `α = (${a.join(", ")})${onPath ? `, s = ${fmt(s, 2)} along the path` : ""}`;
    clear.hidden = p.mixPath === "";
    play.hidden = p.mixPath === "" || !view.hasFlow(w.viewer);
  }

  function stop() {
    if (raf) cancelAnimationFrame(raf);
    raf = 0;
    run += 1;
    carrying = false;
    if (endPlay) endPlay();
    endPlay = null;
  }
  /** Carries the particles along the path (a little per frame, so the page stays live) and
   * plays them; the promise resolves at the end of the path. */
  async function flow() {
    stop();
    const token = (run = run + 1);
    s = NaN;
    if (!view) refresh();
    if (!view) throw new Error("the triangle is not on screen");
    if (w.params().mixPath === "") throw new Error("draw a path on the triangle first");
    const nextFrame = () => new Promise((ok) => requestAnimationFrame(() => ok()));
    carrying = true;
    try {
      for (let done = 0; done < 1; ) {
        done = view.carry(w.viewer, CARRY_MS);
        w.sayLocal(status, `Carrying the particles along the path… ${Math.round(100 * done)} %`);
        if (done < 1) await nextFrame();
        if (w.destroyed || token !== run) return;
      }
    } catch (e) {
      carrying = false;
      s = NaN;
      refresh();
      w.sayLocal(status, `No flow: ${messageOf(e)}. The heat map still shows ρ(α) as you drag the point.`);
      throw new Error(messageOf(e));
    }
    carrying = false;
    w.sayLocal(status, "White dots: particles carried from the start of the path by b = Σ α̇ₖ gₖ (exact fields).");
    await new Promise((resolve) => {
      endPlay = resolve;
      const t0 = performance.now();
      const frame = (now) => {
        if (w.destroyed || token !== run) return resolve();
        s = Math.min(1, (now - t0) / (1000 * PLAY_SECONDS));
        refresh();
        if (s < 1) raf = requestAnimationFrame(frame);
        else {
          raf = 0;
          endPlay = null;
          resolve();
        }
      };
      raf = requestAnimationFrame(frame);
    });
  }

  function setMix(a) {
    stop();
    s = NaN;
    w.applyParams({ mix: code(a) });
  }

  w.listen(tri, "pointerdown", (e) => {
    if (!e.isPrimary || e.button !== 0) return;
    tri.setPointerCapture(e.pointerId);
    const a = pointer(e);
    if (pathMode) {
      stop();
      drawing = [snap(a)];
      refresh();
    } else setMix(a);
  });
  w.listen(tri, "pointermove", (e) => {
    if (!tri.hasPointerCapture(e.pointerId)) return;
    const a = pointer(e);
    if (!pathMode) return setMix(a);
    if (!drawing) return;
    const [x, y] = toXY(a);
    const [lx, ly] = toXY(drawing[drawing.length - 1]);
    if (Math.hypot(x - lx, y - ly) >= KNOT_PX) drawing.push(a);
    drawTriangle(a);
  });
  w.listen(tri, "pointerup", (e) => {
    if (!pathMode || !drawing) return;
    const knots = [...drawing, snap(pointer(e))];
    drawing = null;
    // Evenly spaced knots, the ends kept.
    const n = Math.min(MAX_KNOTS, knots.length);
    const kept = Array.from({ length: n }, (_, i) => knots[Math.round((i * (knots.length - 1)) / Math.max(1, n - 1))]);
    if (kept.length < 2 || code(kept[0]) === code(kept[kept.length - 1])) {
      refresh();
      return w.sayLocal(status, "A path needs two different points: drag from one point of the triangle to another.");
    }
    if (w.applyParams({ mixPath: kept.map(code).join(";") }).refused !== undefined) return;
    flow().catch(() => {});
  });
  // A drag the browser took over (a scroll, a lost capture) draws no path.
  const cancel = () => {
    if (!drawing) return;
    drawing = null;
    refresh();
  };
  w.listen(tri, "pointercancel", cancel);
  w.listen(tri, "lostpointercapture", () => setTimeout(cancel, 0));
  // Keys: ← → move weight between the two targets, ↑ ↓ towards or away from N(0, I).
  w.listen(tri, "keydown", (e) => {
    const d = 0.02;
    const a = parse(w.params().mix);
    const moves = {
      ArrowLeft: [0, d, -d],
      ArrowRight: [0, -d, d],
      ArrowUp: [d, -d / 2, -d / 2],
      ArrowDown: [-d, d / 2, d / 2],
    };
    const m = moves[e.key];
    if (!m) return;
    e.preventDefault();
    const b = a.map((v, i) => Math.max(0, v + m[i]));
    const sum = b[0] + b[1] + b[2];
    setMix(b.map((v) => v / sum));
  });
  w.listen(mode, "click", () => {
    pathMode = !pathMode;
    mode.setAttribute("aria-pressed", String(pathMode));
    w.sayLocal(
      status,
      pathMode
        ? "Drag on the triangle from one point to another (a vertex snaps) to draw a path."
        : "Drag the point to see the density ρ(α) of x(α) at once.",
    );
  });
  w.listen(play, "click", () => flow().catch(() => {}));
  w.listen(clear, "click", () => {
    stop();
    s = NaN;
    w.applyParams({ mixPath: "" });
  });

  return {
    refresh,
    /** Makes the triangle's view panic while it holds the viewer (the recovery test). */
    panicForTest() {
      if (!view) view = new MixView(w.$(".ip-mix"));
      guarded(() => view.panicForTest(w.viewer));
      refresh();
    },
    /** After the triangle's parameters changed: a flow in progress is for the old ones. */
    changed() {
      stop();
      s = NaN;
      refresh();
    },
    flow,
    /** The triangle's state: α shown, s along the path (null: at the point), playing. */
    state: () => ({ s: Number.isFinite(s) ? s : null, playing: raf !== 0, carrying, hasFlow: view && w.viewer ? view.hasFlow(w.viewer) : null }),
    free() {
      stop();
      if (view) view.free();
      view = null;
    },
  };
}
