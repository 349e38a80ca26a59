// The widget's DOM: one template, built inside the root element, and the two-way binding of
// controls to parameters. Every control is a native, labelled, keyboard-operable element.

const PATHS = [
  ["linear", "linear"],
  ["trig", "trigonometric"],
  ["enc-dec", "encoding–decoding"],
  ["one-sided-linear", "one-sided linear"],
  ["one-sided-trig", "one-sided trig (VP)"],
  ["vp", "VP / score-based diffusion"],
  ["mirror", "mirror (data to data)"],
];
const GAMMAS = [
  ["brownian", "√(t(1−t))"],
  ["sin2", "sin²(πt)"],
  ["bsquared", "t(1−t)"],
  ["sigmoid", "sigmoid"],
  ["zero", "none (γ = 0)"],
];
const TARGETS = [
  ["checkerboard", "checkerboard"],
  ["gmm", "Gaussian mixture"],
  ["rings", "rings"],
  ["moons", "two moons"],
  ["spirals", "spirals"],
  ["drawn", "drawn by hand"],
];

const opts = (list) => list.map(([v, l]) => `<option value="${v}">${l}</option>`).join("");

function slider(cls, label, param, min, max, step, help) {
  return `<label class="ip-row" title="${help}"><span>${label}</span>
    <input class="${cls}" data-param="${param}" data-kind="number" type="range" min="${min}" max="${max}" step="${step}">
    <output class="${cls}-out"></output></label>`;
}

/** Play and pause icons (drawn, so they never depend on the fonts installed). */
export const PLAY_ICON = `<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M4 2.5v11l9-5.5z" fill="currentColor"/></svg>`;
export const PAUSE_ICON = `<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M3.5 2.5h3v11h-3zM9.5 2.5h3v11h-3z" fill="currentColor"/></svg>`;

export const TEMPLATE = `
<div class="ip-top">
  <button class="ip-play" type="button" aria-label="Play the time animation">${PLAY_ICON}</button>
  <label class="ip-row ip-time"><span>time t</span>
    <input class="ip-t" data-param="t" data-kind="number" type="range" min="0" max="1" step="0.001">
    <output class="ip-t-out"></output></label>
</div>
<div class="ip-views">
  <figure class="ip-panel ip-eulerian-panel">
    <div class="ip-view"><canvas class="ip-eulerian" role="img"
      aria-label="Eulerian view: heat map of the density rho(t, x) on [-5, 5] squared"></canvas></div>
    <figcaption>Eulerian view: density ρ(t, x)
      <select class="ip-eulerian-source" data-param="eulerian" aria-label="What the Eulerian view shows">
        <option value="exact">exact</option><option value="samples">interpolant samples</option>
        <option value="model">model particles</option><option value="model-density">model density</option>
      </select></figcaption>
    <div class="ip-legend"><span>0</span><div class="ip-legend-bar"></div><span class="ip-legend-max"></span></div>
    <div class="ip-draw" hidden>
      <span class="ip-draw-hint">Draw the target on the heat map with the mouse or a finger; each stroke adds to it.</span>
      <button class="ip-draw-clear" type="button">Clear drawing</button>
    </div>
  </figure>
  <figure class="ip-panel ip-ode-panel">
    <div class="ip-view ip-dark"><canvas class="ip-ode" role="img"
      aria-label="Lagrangian view: particles moving under the probability-flow ODE"></canvas></div>
    <figcaption class="ip-ode-caption">Lagrangian view: particles under the ODE</figcaption>
  </figure>
  <figure class="ip-panel ip-sde-panel">
    <div class="ip-view ip-dark"><canvas class="ip-sde" role="img"
      aria-label="Lagrangian view: particles moving under the SDE"></canvas></div>
    <figcaption class="ip-sde-caption">particles under the SDE</figcaption>
  </figure>
</div>
<div class="ip-message" role="status" aria-live="polite"></div>
<div class="ip-panels">
  <fieldset class="ip-box ip-schedule-box"><legend>Schedule: x<sub>t</sub> = α(t)x<sub>0</sub> + β(t)x<sub>1</sub> + γ(t)z</legend>
    <label class="ip-row"><span>preset path</span><select class="ip-path" data-param="path">${opts(PATHS)}</select></label>
    <label class="ip-row"><span>γ family</span><select class="ip-gamma" data-param="gamma">${opts(GAMMAS)}</select></label>
    ${slider("ip-alpha", "α exponent a", "alphaExp", 0.25, 4, 0.05, "α(t) = α_p(t)^a")}
    ${slider("ip-beta", "β exponent b", "betaExp", 0.25, 4, 0.05, "β(t) = β_p(t)^b")}
    ${slider("ip-gscale", "γ scale g", "gammaScale", 0, 2, 0.01, "γ(t) = g·γ_p(t)")}
    ${slider("ip-eps", "noise ε", "eps", 0, 5, 0.05, "SDE noise: dX = (b + εs)dt + √(2ε)dW; ε = 0 is the ODE")}
    <label class="ip-row"><span>target</span><select class="ip-target" data-param="target">${opts(TARGETS)}</select></label>
    <div class="ip-schedule-msg" role="status" aria-live="polite"></div>
    <canvas class="ip-schedule-plot" role="img" aria-label="The schedule curves alpha, beta, gamma and sigma over t, with a marker at the current t"></canvas>
    <div class="ip-curve-legend" aria-hidden="true"><span class="ip-k-a">α(t)</span><span class="ip-k-b">β(t)</span><span class="ip-k-g">γ(t)</span><span class="ip-k-s">σ(t) = √(α² + γ²)</span></div>
  </fieldset>
  <fieldset class="ip-box ip-flow-box"><legend>Flow</legend>
    <label class="ip-row"><span>field</span><select class="ip-source" data-param="source">
      <option value="exact">exact (closed form)</option><option value="learned">learned b and s</option>
      <option value="schedule-free">learned schedule-free D</option></select></label>
    <label class="ip-row"><span>arrows</span><select class="ip-arrows" data-param="arrows">
      <option value="none">none</option><option value="b">velocity b</option><option value="s">score s</option></select></label>
    <label class="ip-row"><span>direction</span><select class="ip-direction" data-param="direction">
      <option value="forward">forward ρ0 → ρ1</option><option value="backward">backward ρ1 → ρ0</option></select></label>
    <label class="ip-row"><span>particles</span><select class="ip-particles" data-param="particles" data-kind="number">
      <option value="1000">1 000</option><option value="5000">5 000</option><option value="20000">20 000</option></select></label>
    <label class="ip-row ip-check"><input class="ip-compare" data-param="compare" data-kind="bool" type="checkbox">
      <span>ODE and SDE side by side (same starting points; sets ε = 0.5 if ε is 0)</span></label>
  </fieldset>
  <fieldset class="ip-box ip-training-box"><legend>Training</legend>
    <div class="ip-buttons">
      <button class="ip-train" type="button" aria-pressed="false">Train</button>
      <button class="ip-step" type="button">Step</button>
      <button class="ip-reset" type="button">Reset</button>
    </div>
    <label class="ip-row"><span>learning rate</span><input class="ip-lr" data-param="lr" data-kind="number" type="number" min="0.00001" max="0.1" step="0.0005"></label>
    <label class="ip-row"><span>batch</span><select class="ip-batch" data-param="batch" data-kind="number">
      <option>64</option><option>256</option><option>512</option><option>1024</option><option>4096</option></select></label>
    <label class="ip-row"><span>width</span><select class="ip-width" data-param="width" data-kind="number">
      <option>16</option><option>32</option><option>64</option><option>128</option><option>256</option></select></label>
    <label class="ip-row"><span>seed</span><input class="ip-seed" data-param="seed" data-kind="number" type="number" min="0" step="1"></label>
    <p class="ip-train-status" aria-live="polite">The engine loads when you train or pick a learned field.</p>
    <p class="ip-backend-note"></p>
    <canvas class="ip-loss-plot" role="img" aria-label="Training loss curves"></canvas>
  </fieldset>
  <fieldset class="ip-box ip-quality-box"><legend>Quality of the model</legend>
    <table class="ip-quality">
      <tr><th scope="row">samples in the support</th><td class="ip-q-in_support">–</td></tr>
      <tr><th scope="row">sliced Wasserstein-2</th><td class="ip-q-sliced_w2">–</td></tr>
      <tr><th scope="row">histogram TV</th><td class="ip-q-tv">–</td></tr>
      <tr><th scope="row">NLL (nats; ideal 3.466)</th><td class="ip-q-nll">–</td></tr>
      <tr><th scope="row" title="‖b̂ − b*‖ / ‖b*‖ over ρ(t), at t = 0.1, 0.3, 0.5, 0.7, 0.9">velocity error ‖b̂ − b*‖/‖b*‖ at t = 0.1 … 0.9</th><td class="ip-q-b_error">–</td></tr>
    </table>
  </fieldset>
  <fieldset class="ip-box ip-share-box"><legend>Share and export</legend>
    <div class="ip-buttons">
      <button class="ip-copy-link" type="button">Copy link</button>
      <button class="ip-embed" type="button">Embed</button>
    </div>
    <textarea class="ip-share-text" readonly rows="3" aria-label="Link or embed snippet" hidden></textarea>
    <div class="ip-buttons">
      <label class="ip-export-row"><span>PNG of</span>
        <select class="ip-export-view" aria-label="Which view to export as PNG">
          <option value="eulerian">Eulerian view</option><option value="ode">ODE particles</option>
          <option value="sde">SDE particles</option><option value="schedule">schedule</option>
          <option value="losses">loss curves</option></select></label>
      <button class="ip-export-png" type="button">PNG</button>
    </div>
    <div class="ip-buttons">
      <button class="ip-export-csv" type="button">Samples (CSV)</button>
      <button class="ip-export-ckpt" type="button">Checkpoint</button>
      <button class="ip-export-config" type="button">Run config (JSON)</button>
      <label class="ip-load-ckpt"><span>Load checkpoint</span>
        <input class="ip-load-file" type="file" accept=".ckpt,application/octet-stream"></label>
    </div>
    <div class="ip-share-msg" role="status" aria-live="polite"></div>
  </fieldset>
</div>
`;

/** Reads a control's value as the parameter type it carries. */
export function readControl(el) {
  const kind = el.dataset.kind;
  if (kind === "bool") return el.checked;
  if (kind === "number") return Number(el.value);
  return el.value;
}

/** Sets every control of `root` from the parameters (without firing events). */
export function syncControls(root, params) {
  for (const el of root.querySelectorAll("[data-param]")) {
    const v = params[el.dataset.param];
    if (v === undefined) continue;
    if (el.dataset.kind === "bool") el.checked = !!v;
    else if (el.tagName === "SELECT" && ![...el.options].some((o) => o.value === String(v))) {
      el.append(new Option(String(v), String(v)));
      el.value = String(v);
    } else el.value = String(v);
    const out = root.querySelector(`.${el.classList[0]}-out`);
    if (out) out.value = Number(v).toFixed(el.step && Number(el.step) < 0.01 ? 3 : 2);
    if (el.type === "range") el.setAttribute("aria-valuetext", `${el.dataset.param} = ${v}`);
  }
}
