// The widget's DOM: one template, built inside the root element, and the two-way binding of
// controls to parameters. Every control is a native, labelled, keyboard-operable element.

/** A row: a label and a control, both filled in by `buildControls` from the viewer's list. */
const row = (cls, param) =>
  `<label class="ip-row"><span></span><select class="${cls}" data-param="${param}"></select></label>`;

/** A slider row (its range, label and help come from the viewer's list). */
const slider = (cls, param) => `<label class="ip-row"><span></span>
    <input class="${cls}" data-param="${param}" data-kind="number" type="range">
    <output class="${cls}-out"></output></label>`;

/** Play and pause icons (drawn, so they never depend on the fonts installed). */
export const PLAY_ICON = `<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M4 2.5v11l9-5.5z" fill="currentColor"/></svg>`;
export const PAUSE_ICON = `<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M3.5 2.5h3v11h-3zM9.5 2.5h3v11h-3z" fill="currentColor"/></svg>`;

export const TEMPLATE = `
<div class="ip-top">
  <button class="ip-play" type="button" aria-label="Play the time animation">${PLAY_ICON}</button>
  <label class="ip-row ip-time"><span></span>
    <input class="ip-t" data-param="t" data-kind="number" type="range">
    <output class="ip-t-out"></output></label>
</div>
<div class="ip-message" role="status" aria-live="polite" title="Click to dismiss"></div>
<div class="ip-views">
  <figure class="ip-panel ip-eulerian-panel">
    <div class="ip-view"><canvas class="ip-eulerian" role="img"
      aria-label="Eulerian view: heat map of the density rho(t, x) on [-5, 5] squared"></canvas>
      <p class="ip-view-state ip-eulerian-state" hidden></p></div>
    <figcaption><span class="ip-eulerian-caption">Eulerian view: density ρ(t, x)</span>
      <select class="ip-eulerian-source" data-param="eulerian"></select></figcaption>
    <div class="ip-legend"><span>0</span><div class="ip-legend-bar"></div><span class="ip-legend-max"></span></div>
    <div class="ip-draw" hidden>
      <span class="ip-draw-hint">Draw the target on the heat map with the mouse or a finger; each stroke adds to it.</span>
      <button class="ip-draw-clear" type="button">Clear drawing</button>
    </div>
  </figure>
  <figure class="ip-panel ip-ode-panel">
    <div class="ip-view ip-dark"><canvas class="ip-ode" role="img"
      aria-label="Lagrangian view: particles moving under the probability-flow ODE"></canvas>
      <p class="ip-view-state ip-ode-state" hidden></p></div>
    <figcaption class="ip-ode-caption">Lagrangian view: particles under the ODE</figcaption>
  </figure>
  <figure class="ip-panel ip-sde-panel">
    <div class="ip-view ip-dark"><canvas class="ip-sde" role="img"
      aria-label="Lagrangian view: particles moving under the SDE"></canvas>
      <p class="ip-view-state ip-sde-state" hidden></p></div>
    <figcaption class="ip-sde-caption">particles under the SDE</figcaption>
  </figure>
</div>
<p class="ip-flow-pick-row"><span class="ip-flow-pick" role="status" aria-live="polite">Click or tap the particles to see the conditional paths through a point.</span>
  <button class="ip-flow-pick-clear" type="button" hidden>Clear paths</button></p>
<figure class="ip-panel ip-spacetime-panel">
  <div class="ip-view ip-wide"><canvas class="ip-spacetime" role="img"
    aria-label="Space-time view: the density rho(t, x) of an interpolant on the line for t from 0 to 1, with the flow lines of the ODE"></canvas></div>
  <figcaption>Space–time view on the line: density ρ(t, x), t from 0 (left) to 1 (right), x from −5 to 5;
    <span class="ip-k-line">white: flow lines of the ODE</span><span class="ip-spacetime-sde"></span>; the vertical line is the current t.
    <select class="ip-line" data-param="line"></select>
    <button class="ip-line-learn" type="button" aria-pressed="false">Learn b</button>
    <span class="ip-line-status" role="status" aria-live="polite">Learn b trains a small network on the line and draws its flow lines over the exact ones.</span>
    <span class="ip-spacetime-pick" role="status" aria-live="polite">Click or tap a point of the figure to see the conditional paths through it.</span>
    <button class="ip-spacetime-clear" type="button" hidden>Clear paths</button></figcaption>
</figure>
<figure class="ip-panel ip-mix-panel">
  <div class="ip-mix-row">
    <canvas class="ip-mix-triangle" width="260" height="236" tabindex="0" role="application"
      aria-label="The triangle of weights (alpha0, alpha1, alpha2) of N(0, I), the target and the second target: drag the point, or use the arrow keys"></canvas>
    <div class="ip-view"><canvas class="ip-mix" role="img"
      aria-label="Density of the interpolant of three marginals at the chosen weights, on [-5, 5] squared"></canvas></div>
  </div>
  <figcaption>Three marginals: x(α) = α<sub>0</sub>x<sub>0</sub> + α<sub>1</sub>x<sub>1</sub> + α<sub>2</sub>x<sub>2</sub>,
    x<sub>0</sub> ~ N(0, I), x<sub>1</sub> the target, x<sub>2</sub> a second target, α on the triangle.
    The heat map is ρ(α, x) from direct samples. <span class="ip-mix-alpha"></span>
    Along a path α(s) the density is carried by b = Σ<sub>k</sub> α̇<sub>k</sub> g<sub>k</sub> with g<sub>k</sub>(α, x) = E[x<sub>k</sub> | x(α) = x].
    <label class="ip-row"><span></span><select class="ip-second" data-param="second"></select></label>
    <button class="ip-mix-mode" type="button" aria-pressed="false">Draw a path</button>
    <button class="ip-mix-play" type="button" hidden>Play the flow</button>
    <button class="ip-mix-clear" type="button" hidden>Clear path</button>
    <span class="ip-mix-status" role="status" aria-live="polite">Drag the point to see the density ρ(α) of x(α) at once.</span>
  </figcaption>
</figure>
<figure class="ip-panel ip-fmap-panel">
  <div class="ip-fmap-row">
    <div class="ip-view ip-dark"><canvas class="ip-fmap-learned" width="360" height="360" role="img"
      aria-label="The learned flow map: particles from N(0, I) after K jumps, each jump drawn as a segment"></canvas></div>
    <div class="ip-view ip-dark"><canvas class="ip-fmap-exact" width="360" height="360" role="img"
      aria-label="The exact ODE: the same starting points at the same times, in the same colours"></canvas></div>
    <canvas class="ip-fmap-errors" width="300" height="300" role="img"
      aria-label="The learned map's error against the exact map over the triangle of start times s and end times t"></canvas>
  </div>
  <figcaption>Flow map: a network X̂<sub>s,t</sub>(x) that jumps along the ODE from time s to any later t in one
    step, learned from b on the diagonal and from itself everywhere else. Left: its particles after K jumps, each
    jump a segment from x<sub>s</sub> to X̂<sub>s,t</sub>(x<sub>s</sub>); middle: the exact ODE from the same
    starts at the same times, in the same colours; right: E|X̂<sub>s,t</sub> − X<sub>s,t</sub>| over the (s, t)
    triangle (dark: small; yellow: 0.5 or more, a quarter of a square; grey: not yet solved).
    <span class="ip-fmap-controls">
      <button class="ip-fmap-train" type="button" aria-pressed="false">Train the map</button>
      ${row("ip-fmap-k", "jumps")}
      <button class="ip-fmap-save" type="button" hidden>Checkpoint</button>
    </span>
    <span class="ip-fmap-status" role="status" aria-live="polite">Train the map to see one jump carry the Gaussian onto the target.</span>
  </figcaption>
</figure>
<figure class="ip-panel ip-nodata-panel">
  <div class="ip-nodata-row">
    <div class="ip-view ip-dark"><canvas class="ip-nodata-walkers" width="360" height="360" role="img"
      aria-label="The energy's density as a heat map, with the walkers at the end of the annealing drawn by their weights"></canvas></div>
    <canvas class="ip-nodata-curves" width="380" height="320" role="img"
      aria-label="The effective sample size and the log Z estimate over the annealing time, for the learned drift and for no drift, beside the exact log Z"></canvas>
  </div>
  <figcaption>Sampling without data: the walkers know the density ρ only as an energy U = −log ρ, not its
    normalisation Z and not one sample of it. They start from N(0, I) and are annealed towards e<sup>−U</sup> by
    Langevin steps dX = (b̂ − ε∇U<sub>τ</sub>)dt + √(2ε)dW, each carrying a weight e<sup>A</sup> for the work done on it:
    their mean weight is an unbiased estimate of Z (its log, drawn here, is biased low where the weights are uneven),
    and their weighted averages estimate averages under ρ. Left: the annealed density e<sup>−U<sub>τ</sub></sup> and the
    walkers at τ, each dot's area its weight (play the annealing, or move τ). Right: the effective sample size and the log Z estimate over
    τ, <span class="ip-k-alone">b̂ = 0 (annealing alone)</span> and <span class="ip-k-learned">the drift b̂ learned by
    NETS</span>, with the exact log Z.
    <span class="ip-nodata-controls">
      <button class="ip-nodata-train" type="button" aria-pressed="false">Train the drift</button>
      <button class="ip-nodata-play" type="button" disabled>Play the annealing</button>
      <label class="ip-row"><span>τ</span><input class="ip-nodata-tau" type="range" disabled
        aria-label="annealing time tau of the walkers drawn"><output class="ip-nodata-tau-out">1.00</output></label>
      <label class="ip-row ip-check"><input class="ip-nodata-drift" type="checkbox" checked>
        <span>walkers moved by the learned drift (off: b̂ = 0)</span></label>
      ${row("ip-energy", "energy")}
      ${slider("ip-weps", "walkerEps")}
      <button class="ip-nodata-save" type="button" hidden>Checkpoint</button>
    </span>
    <span class="ip-nodata-status" role="status" aria-live="polite">Train the drift to see annealing alone lose its walkers and the learned transport keep them.</span>
  </figcaption>
</figure>
<div class="ip-panels">
  <fieldset class="ip-box ip-schedule-box"><legend>Schedule: x<sub>t</sub> = α(t)x<sub>0</sub> + β(t)x<sub>1</sub> + γ(t)z</legend>
    ${row("ip-path", "path")}
    ${row("ip-gamma", "gamma")}
    <p class="ip-path-note" hidden>One-sided paths have no latent noise: with γ &gt; 0 one-sided linear is the linear path itself. Choose the γ family “none (γ = 0)” to see the one-sided path.</p>
    ${slider("ip-alpha", "alphaExp")}
    ${slider("ip-beta", "betaExp")}
    ${slider("ip-gscale", "gammaScale")}
    ${slider("ip-eps", "eps")}
    ${row("ip-target", "target")}
    <div class="ip-schedule-msg" role="status" aria-live="polite"></div>
    <canvas class="ip-schedule-plot" role="img" aria-label="The schedule curves alpha, beta, gamma and sigma over t, with a marker at the current t"></canvas>
    <div class="ip-curve-legend" aria-hidden="true"><span class="ip-k-a">α(t)</span><span class="ip-k-b">β(t)</span><span class="ip-k-g">γ(t)</span><span class="ip-k-s">σ(t) = √(α² + γ²)</span></div>
  </fieldset>
  <fieldset class="ip-box ip-flow-box"><legend>Flow</legend>
    ${row("ip-source", "source")}
    ${row("ip-arrows", "arrows")}
    ${row("ip-direction", "direction")}
    ${row("ip-particles", "particles")}
    <label class="ip-row ip-check"><input class="ip-compare" data-param="compare" data-kind="bool" type="checkbox">
      <span></span></label>
  </fieldset>
  <fieldset class="ip-box ip-training-box"><legend>Training</legend>
    <div class="ip-buttons">
      <button class="ip-train" type="button" aria-pressed="false">Train</button>
      <button class="ip-step" type="button">Step</button>
      <button class="ip-reset" type="button">Reset</button>
    </div>
    <label class="ip-row"><span></span><input class="ip-lr" data-param="lr" data-kind="number" type="number"></label>
    ${row("ip-batch", "batch")}
    ${row("ip-coupling", "coupling")}
    <p class="ip-coupling-note" hidden>Minibatch OT pairs each batch's noise x<sub>0</sub> with its data x<sub>1</sub> by an exact assignment (blocks of 128) and trains b and s as a denoiser. The ends ρ<sub>0</sub> and ρ<sub>1</sub> stay the same; the densities in between, and so the learned b, are those of the coupled pairs (the interpolant samples show them). The exact fields, the exact density and the velocity error are those of independent pairs.</p>
    ${row("ip-width", "width")}
    <label class="ip-row"><span></span><input class="ip-seed" data-param="seed" data-kind="number" type="number"></label>
    <p class="ip-train-status" aria-live="polite">The engine loads when you train or pick a learned field.</p>
    <p class="ip-backend-note"></p>
    <p class="ip-workers-note"></p>
    <canvas class="ip-loss-plot" role="img" aria-label="Training loss curves"></canvas>
    <p class="ip-loss-note">Each loss is E[½|f̂|² − target·f̂], the squared error less a constant that does not depend on the network: it can be negative, and only its fall matters.</p>
  </fieldset>
  <fieldset class="ip-box ip-quality-box"><legend>Quality of the model</legend>
    <table class="ip-quality">
      <tr><th scope="row">samples in the support</th><td class="ip-q-in_support">–</td></tr>
      <tr><th scope="row">sliced Wasserstein-2</th><td class="ip-q-sliced_w2">–</td></tr>
      <tr><th scope="row">histogram TV</th><td class="ip-q-tv">–</td></tr>
      <tr><th scope="row" title="−E log p̂(x) over the model's own samples, by the ODE's change of variables: the entropy of the model. The checkerboard's is log 32 = 3.466; below that, the samples crowd into less area than the squares (or the ODE's few steps misjudge the divergence)">NLL of its own samples (nats; the board's entropy: 3.466)</th><td class="ip-q-nll">–</td></tr>
      <tr><th scope="row" title="‖b̂ − b*‖ / ‖b*‖ over ρ(t), at t = 0.1, 0.3, 0.5, 0.7, 0.9">velocity error ‖b̂ − b*‖/‖b*‖ at t = 0.1 … 0.9</th><td class="ip-q-b_error">–</td></tr>
      <tr><th scope="row" title="Histogram TV of the same base points after 1, 2, 4 and 8 equal Euler steps of the learned ODE">TV after 1 · 2 · 4 · 8 Euler steps</th><td class="ip-q-few_step_tv">–</td></tr>
      <tr><th scope="row" title="E∫|b̂|²dt − E|X₁ − X₀|² along the learned ODE's paths: zero when every path is a straight line run at constant speed; E|X₁ − X₀|² is the transport cost of the flow's map">path straightness gap (transport cost)</th><td class="ip-q-straightness">–</td></tr>
    </table>
    <div class="ip-buttons">
      <button class="ip-eps-explore" type="button">Find the best ε</button>
      <button class="ip-eps-use" type="button" hidden>Use ε</button>
      <button class="ip-eps-use-bound" type="button" hidden>Use ε</button>
    </div>
    <canvas class="ip-eps-plot" width="480" height="270" role="img" aria-label="Histogram TV of the model's samples and the KL bound of its SDE against the noise epsilon" hidden></canvas>
    <p class="ip-eps-note" role="status" aria-live="polite">Which noise ε samples this model best? The explorer samples it at ε from 0 to 5.</p>
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

/**
 * Fills in the controls of `root` from the viewer's list (`controls()` of the wasm module): each
 * control's label, help, range or menu. Rust owns every name, label and range; this only places
 * them. A control the list does not name, or an entry with no control, is a mistake said aloud.
 */
export function buildControls(root, list) {
  const seen = new Set();
  for (const c of list) {
    const el = root.querySelector(`[data-param="${c.key}"]`);
    if (!el) continue; // a parameter with no control in this template (set through the API)
    seen.add(c.key);
    const row = el.closest("label");
    const span = row?.querySelector(":scope > span");
    if (span) span.textContent = c.label;
    else el.setAttribute("aria-label", c.label);
    if (c.help && row) row.title = row.dataset.help = c.help;
    if (c.kind === "range" || c.kind === "number") {
      el.min = String(c.min);
      el.max = String(c.max);
      el.step = String(c.step);
      el.dataset.kind = "number";
    } else if (c.kind === "menu") {
      el.replaceChildren(...c.options.map(([value, label]) => new Option(label, value)));
      if (c.numeric) el.dataset.kind = "number";
    } else if (c.kind === "check") el.dataset.kind = "bool";
  }
  for (const el of root.querySelectorAll("[data-param]")) {
    if (!seen.has(el.dataset.param)) console.error(`Interplay: no control description for '${el.dataset.param}'`);
  }
}

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
