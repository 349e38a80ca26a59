// The Lagrangian view's pointer: a click (or a tap) at x shows the conditional paths of random
// triples whose x_t falls near x at the current t, the exact flow line through x, and the
// velocity there as b (white arrow) and as the mean of the conditional velocities (blue arrow).
// The viewer computes and draws; this maps the pointer to x and says what the figure shows.
import { viewHalf } from "./interplay-web.js";
import { fmt, messageOf } from "./options.js";

const HINT = "Click or tap the particles to see the conditional paths through a point.";
const vec = (v) => (v && Number.isFinite(v[0]) ? `(${fmt(v[0], 2)}, ${fmt(v[1], 2)})` : "–");

/** The pick of the widget `w`. */
export function flowPick(w) {
  const note = w.$(".ip-flow-pick");
  const clear = w.$(".ip-flow-pick-clear");

  /** Shows the paths through (x, y) at the current t (null: none); returns what they say, or null. */
  function pick(x, y) {
    if (!w.viewer) throw new Error("Interplay is still loading: await interplay.ready first");
    let r = null;
    try {
      r = w.viewer.pickFlow(x ?? NaN, y ?? NaN);
    } catch (e) {
      w.sayLocal(note, `The paths could not be drawn: ${messageOf(e)}`);
      return null;
    }
    w.dirty.lagrangian = true;
    clear.hidden = !r;
    if (!r) w.sayLocal(note, HINT);
    else if (r.n === 0)
      w.sayLocal(note, `Almost no mass is near (${fmt(r.x, 2)}, ${fmt(r.y, 2)}) at t = ${fmt(r.t, 2)}: no conditional path passes there.`);
    else
      w.sayLocal(
        note,
        `Blue: ${Math.min(r.n, 30)} conditional paths α(t)x0 + β(t)x1 + γ(t)z of triples with x_t within ${r.radius} of ` +
          `(${fmt(r.x, 2)}, ${fmt(r.y, 2)}) at t = ${fmt(r.t, 2)} (dots: where they are at the current t); white: the flow line of the ODE through the point. ` +
          `Their mean velocity (blue arrow, ${r.n} triples) is ${vec(r.mean)}; the velocity b there (white arrow) is ${vec(r.b)}.`,
      );
    return r;
  }

  /** The point of the view under a pointer event on `canvas`. */
  function at(canvas, ev) {
    const rect = canvas.getBoundingClientRect();
    const h = viewHalf();
    return [-h + (2 * h * (ev.clientX - rect.left)) / rect.width, h - (2 * h * (ev.clientY - rect.top)) / rect.height];
  }
  for (const sel of [".ip-ode", ".ip-sde"]) {
    const canvas = w.$(sel);
    w.listen(canvas, "click", (ev) => pick(...at(canvas, ev)));
  }
  w.listen(clear, "click", () => pick(null, null));
  return { pick };
}
