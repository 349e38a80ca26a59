// PNG exports of the views: at twice their size on screen (and at least twice their own pixels),
// the plane views framed with axes from −h to h as the CLI's figures are, the charts as drawn (they
// carry their own axes). A view that is not on show has nothing to export and says why, instead
// of handing over a blank image.

/** Views of the plane [−h, h]²: they get axes. */
const PLANE = new Set(["eulerian", "ode", "sde"]);
/** Views whose pixels are cells of a coarse grid (scaled smoothly, as on screen). */
const SMOOTH = new Set(["eulerian"]);
/** How much larger than on screen an export is. */
const SCALE = 2;

/** Why the view of `canvas` cannot be exported (null if it can): it is not on show. */
export function notShown(canvas, view, params) {
  if (canvas.offsetParent !== null && canvas.width > 0) return null;
  if (view === "sde" && !(params.eps > 0)) return "the SDE view shows only when ε > 0: raise ε, or export the ODE view";
  return `the ${view} view is not shown in this figure`;
}

/**
 * A new canvas with the view `view` drawn from `canvas` at SCALE× its size on screen, framed with
 * axes on [−half, half]² for the plane views.
 */
export function exportCanvas(canvas, view, half) {
  const shown = canvas.getBoundingClientRect();
  const w = SCALE * Math.max(canvas.width, Math.round(shown.width));
  const h = Math.round((w * canvas.height) / canvas.width);
  const out = document.createElement("canvas");
  const axes = PLANE.has(view);
  const font = Math.round(11 * SCALE);
  const m = axes ? { l: 4.5 * font, r: font, t: font, b: 3.5 * font } : { l: 0, r: 0, t: 0, b: 0 };
  out.width = Math.round(w + m.l + m.r);
  out.height = Math.round(h + m.t + m.b);
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.imageSmoothingEnabled = SMOOTH.has(view);
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(canvas, m.l, m.t, w, h);
  if (!axes) return out;
  ctx.strokeStyle = "#222222";
  ctx.fillStyle = "#222222";
  ctx.lineWidth = SCALE;
  ctx.strokeRect(m.l, m.t, w, h);
  ctx.font = `${font}px sans-serif`;
  const step = half > 4 ? 2 : 1;
  const first = Math.ceil(-half / step) * step;
  for (let v = first; v <= half + 1e-9; v += step) {
    const x = m.l + ((v + half) / (2 * half)) * w;
    const y = m.t + ((half - v) / (2 * half)) * h;
    ctx.beginPath();
    ctx.moveTo(x, m.t + h);
    ctx.lineTo(x, m.t + h + 0.5 * font);
    ctx.moveTo(m.l, y);
    ctx.lineTo(m.l - 0.5 * font, y);
    ctx.stroke();
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillText(String(v), x, m.t + h + 0.7 * font);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillText(String(v), m.l - 0.8 * font, y);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText("x₁", m.l + w / 2, out.height - 0.2 * font);
  ctx.save();
  ctx.translate(1.2 * font, m.t + h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText("x₂", 0, 0);
  ctx.restore();
  return out;
}
