// The "no data" figure's chart: the effective sample size (top) and the log Z estimate (bottom)
// over the annealing time τ, one curve per arm (annealing alone, the learned drift), the exact
// log Z at τ = 1 as a dashed line, and a vertical line at the τ the walkers are drawn at.
import { fmt } from "./options.js";

/**
 * Draws the chart on `canvas`: `arms` is a list of { r (a netsWalkers answer: tau, ess, logZ),
 * colour }; `exact` the exact log Z (null: none yet); `tau` the time marked (null or 1: none);
 * `ink` the text and frame colour.
 */
export function drawWeightCurves(canvas, arms, exact, tau, ink) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width;
  const H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  ctx.font = "11px system-ui, sans-serif";
  const L = 44;
  const R = W - 10;
  const half = (H - 30) / 2;
  const plots = [
    { key: "ess", y0: 8, lo: 0, hi: 1, label: "effective sample size / n", at: "bottom" },
    { key: "logZ", y0: 20 + half, label: "log Z estimate", at: "top" },
  ];
  const all = arms.flatMap((a) => a.r.logZ).concat(exact === null ? [-2, 0] : [exact, 0]);
  plots[1].lo = Math.min(...all) - 0.1;
  plots[1].hi = Math.max(...all) + 0.1;
  for (const pl of plots) {
    const y = (v) => pl.y0 + half - ((v - pl.lo) / (pl.hi - pl.lo)) * (half - 4);
    ctx.strokeStyle = ink;
    ctx.globalAlpha = 0.35;
    ctx.strokeRect(L, pl.y0, R - L, half);
    ctx.globalAlpha = 1;
    ctx.fillStyle = ink;
    ctx.textAlign = "right";
    ctx.fillText(fmt(pl.hi, pl.key === "ess" ? 0 : 1), L - 4, pl.y0 + 10);
    ctx.fillText(fmt(pl.lo, pl.key === "ess" ? 0 : 1), L - 4, pl.y0 + half);
    // Each label in its plot's empty corner: ESS starts at 1, log Z at 0.
    ctx.textAlign = pl.at === "top" ? "right" : "left";
    ctx.fillText(pl.label, pl.at === "top" ? R - 6 : L + 6, pl.at === "top" ? pl.y0 + 14 : pl.y0 + half - 8);
    if (pl.key === "logZ" && exact !== null) {
      // The exact log(Z₁/Z₀) at τ = 1.
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(L, y(exact));
      ctx.lineTo(R, y(exact));
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.textAlign = "right";
      ctx.fillText(`exact at τ = 1: ${fmt(exact, 3)}`, R - 4, y(exact) - 4);
    }
    for (const a of arms) {
      ctx.strokeStyle = a.colour;
      ctx.lineWidth = 2;
      ctx.beginPath();
      a.r.tau.forEach((t, i) => {
        const X = L + t * (R - L);
        const Y = y(a.r[pl.key][i]);
        if (i === 0) ctx.moveTo(X, Y);
        else ctx.lineTo(X, Y);
      });
      ctx.stroke();
      ctx.lineWidth = 1;
    }
  }
  if (tau !== null && tau < 1) {
    // Where the walkers drawn on the left are.
    ctx.strokeStyle = ink;
    ctx.globalAlpha = 0.6;
    ctx.beginPath();
    ctx.moveTo(L + tau * (R - L), plots[0].y0);
    ctx.lineTo(L + tau * (R - L), plots[1].y0 + half);
    ctx.stroke();
    ctx.globalAlpha = 1;
  }
  ctx.fillStyle = ink;
  ctx.textAlign = "center";
  ctx.fillText("annealing time τ: 0 (N(0, I)) → 1 (the energy)", (L + R) / 2, H - 4);
}
