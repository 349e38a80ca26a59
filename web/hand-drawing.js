// A target drawn by hand on the Eulerian view: strokes with the mouse, a pen or a finger, added
// to the drawing's code (which the viewer owns) when each stroke ends.
import { drawingCode, viewHalf } from "./interplay-web.js";
import { messageOf } from "./options.js";

/** The hand drawing of the widget `w`. */
export function handDrawing(w) {
  let stroke = null; // the view points of the stroke being drawn
  const canvas = w.$(".ip-eulerian");
  /** The window [−h, h]² of the views (asked when a stroke starts: the module is loaded then). */
  let h = NaN;
  function viewPoint(ev) {
    const r = canvas.getBoundingClientRect();
    return [-h + (2 * h * (ev.clientX - r.left)) / r.width, h - (2 * h * (ev.clientY - r.top)) / r.height];
  }
  /** The stroke so far, over the heat map (redrawn in full when the stroke ends). */
  function drawStroke() {
    const ctx = canvas.getContext("2d");
    const px = ([x, y]) => [((x + h) / (2 * h)) * canvas.width, ((h - y) / (2 * h)) * canvas.height];
    ctx.save();
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 2;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    stroke.forEach((q, i) => (i ? ctx.lineTo(...px(q)) : ctx.moveTo(...px(q))));
    if (stroke.length === 1) ctx.lineTo(...px(stroke[0]));
    ctx.stroke();
    ctx.restore();
  }
  w.listen(canvas, "pointerdown", (ev) => {
    if (!w.viewer || w.params().target !== "drawn" || ev.button > 0) return;
    ev.preventDefault();
    canvas.setPointerCapture?.(ev.pointerId);
    h = viewHalf();
    stroke = [viewPoint(ev)];
    drawStroke();
  });
  w.listen(canvas, "pointermove", (ev) => {
    if (!stroke) return;
    stroke.push(viewPoint(ev));
    drawStroke();
  });
  const endStroke = () => {
    if (!stroke) return;
    const points = stroke;
    stroke = null;
    w.dirty.eulerian = true;
    let r;
    try {
      // The default drawing (no code yet) is a placeholder: the first stroke replaces it.
      r = drawingCode(w.params().drawn, Float64Array.from(points.flat()), Uint32Array.of(points.length));
    } catch (e) {
      w.say(`Not drawn: ${messageOf(e)}.`);
      return;
    }
    if (w.applyParams({ target: "drawn", drawn: r.code }).refused !== undefined) return;
    if (r.cut) w.say("The drawing is full: clear it to draw another.", "notice");
  };
  w.listen(canvas, "pointerup", endStroke);
  w.listen(canvas, "pointercancel", endStroke);
  w.listen(w.$(".ip-draw-clear"), "click", () => {
    w.applyParams({ drawn: "" });
  });
  return {
    /** Whether a stroke is being drawn (the heat map waits for it). */
    active: () => stroke !== null,
  };
}
