// The space–time view's pointer: a click (or a tap) at (t, x) shows the conditional paths of
// random triples whose x_t falls near x, the flow line through the point, and the velocity b
// there as the mean of their conditional velocities. The viewer computes and draws; this maps
// the pointer to (t, x) and says what the figure shows.
import { viewHalf } from "./interplay-web.js";
import { fmt, messageOf } from "./options.js";

/** The pick of the widget `w`. */
export function spacetimePick(w) {
  const canvas = w.$(".ip-spacetime");
  const note = w.$(".ip-spacetime-pick");
  const clear = w.$(".ip-spacetime-clear");

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
    if (!r) w.sayLocal(note, "Click a point of the figure to see the conditional paths through it.");
    else if (r.n === 0) w.sayLocal(note, `Almost no mass is near x = ${fmt(r.x, 2)} at t = ${fmt(r.t, 2)}: no path passes there.`);
    else
      w.sayLocal(
        note,
        `Blue: ${Math.min(r.n, 40)} conditional paths α(t)x0 + β(t)x1 + γ(t)z of triples with x_t within ±${r.halfWidth} of x = ${fmt(r.x, 2)} at t = ${fmt(r.t, 2)}. ` +
          `Their mean velocity (blue tangent, ${r.n} triples) is ${fmt(r.mean, 2)}; the marginal velocity b there (the slope of the white flow line) is ${fmt(r.b, 2)}.`,
      );
    return r;
  }

  w.listen(canvas, "click", (ev) => {
    const rect = canvas.getBoundingClientRect();
    const h = viewHalf();
    const t = (ev.clientX - rect.left) / rect.width;
    const x = h - (2 * h * (ev.clientY - rect.top)) / rect.height;
    pick(t, x);
  });
  w.listen(clear, "click", () => pick(null, null));
  return { pick };
}
