// The space–time view's pointer: a click (or a tap) at (t, x) shows the conditional paths of
// random triples whose x_t falls near x, the flow line through the point, and the velocity b
// there as the mean of their conditional velocities. With the target "drawn by hand", dragging
// draws the target's histogram instead. The viewer computes and draws; this maps the pointer to
// (t, x) and says what the figure shows.
import { setLineBin, viewHalf } from "./interplay-web.js";
import { fmt, messageOf } from "./options.js";

/** The pick of the widget `w`. */
export function spacetimePick(w) {
  const canvas = w.$(".ip-spacetime");
  const note = w.$(".ip-spacetime-pick");
  const clear = w.$(".ip-spacetime-clear");

  const hint = () =>
    w.viewer && w.params().line === "drawn"
      ? "Draw the target on the line: drag up and down over the figure; the further right, the more mass at that x (the left half erases)."
      : "Click or tap a point of the figure to see the conditional paths through it.";

  /** Shows the paths through (t, x) (null: none); returns what they say, or null. */
  function pick(t, x) {
    if (!w.viewer) throw new Error("Interplay is still loading: await interplay.ready first");
    let r = null;
    try {
      r = w.viewer.pickSpacetime(t ?? NaN, x ?? NaN);
    } catch (e) {
      w.sayLocal(note, `The paths could not be drawn: ${messageOf(e)}`);
      return null;
    }
    clear.hidden = !r;
    if (!r) w.sayLocal(note, hint());
    else if (r.n === 0) w.sayLocal(note, `Almost no mass is near x = ${fmt(r.x, 2)} at t = ${fmt(r.t, 2)}: no path passes there.`);
    else
      w.sayLocal(
        note,
        `Blue: ${Math.min(r.n, 40)} conditional paths α(t)x0 + β(t)x1 + γ(t)z of triples with x_t within ±${r.halfWidth} of x = ${fmt(r.x, 2)} at t = ${fmt(r.t, 2)}. ` +
          `Their mean velocity (blue tangent, ${r.n} triples) is ${fmt(r.mean, 2)}; the marginal velocity b there (the slope of the white flow line) is ${fmt(r.b, 2)}.`,
      );
    return r;
  }

  /** (t, x) of a pointer event. */
  function at(ev) {
    const rect = canvas.getBoundingClientRect();
    const h = viewHalf();
    return [(ev.clientX - rect.left) / rect.width, h - (2 * h * (ev.clientY - rect.top)) / rect.height];
  }
  const drawing = () => w.viewer && w.params().line === "drawn";
  // Drawing: the further right the pointer, the more mass at its x (the left half erases); the
  // bins between two pointer positions are filled too, so a quick stroke leaves no gaps.
  let last = null;
  function paint(ev) {
    const [t, x] = at(ev);
    const height = Math.max(0, Math.min(9, ((t - 0.5) / 0.5) * 9));
    let code = w.params().lineDrawn;
    const from = last ?? x;
    const n = Math.max(1, Math.ceil(Math.abs(x - from) / 0.05));
    for (let i = 0; i <= n; i++) code = setLineBin(code, from + ((x - from) * i) / n, height);
    last = x;
    w.applyParams({ lineDrawn: code });
  }
  w.listen(canvas, "pointerdown", (ev) => {
    if (!drawing() || ev.button > 0) return;
    ev.preventDefault();
    canvas.setPointerCapture?.(ev.pointerId);
    last = null;
    paint(ev);
  });
  w.listen(canvas, "pointermove", (ev) => {
    if (last !== null) paint(ev);
  });
  for (const type of ["pointerup", "pointercancel"]) w.listen(canvas, type, () => (last = null));
  w.listen(canvas, "click", (ev) => {
    if (drawing()) return;
    const [t, x] = at(ev);
    pick(t, x);
  });
  w.listen(clear, "click", () => pick(null, null));
  /** The hint again, after the target on the line changed. */
  function refresh() {
    if (clear.hidden) w.sayLocal(note, hint());
  }
  return { pick, refresh };
}
