// One widget's session with the training engine: starting the worker (and how `auto` chose its
// backend), the training run it holds (set up once per setting, the shipped checkpoint where it
// fits), training, and checkpoints. The model the engine holds is named by the engine's own
// (generation, steps), which every training report and learned view carries: that pair is the
// one test of whether what is on screen is current.
import { EngineClient } from "./engine-client.js";
import { fmt, messageOf, stepsText, workersFor } from "./options.js";

/** Where `auto` remembers which backend its trial chose (per browser, per origin). */
const CHOICE_KEY = "interplay.backend-choice";

/** The choice an earlier trial of `auto` made in this browser, if any (and if readable). */
export function readBackendChoice() {
  try {
    const c = JSON.parse(localStorage.getItem(CHOICE_KEY) || "null");
    return c && (c.choice === "cpu" || c.choice === "webgpu") ? c : null;
  } catch (e) {
    console.warn(`Interplay: the remembered backend choice could not be read (${messageOf(e)}); timing both again.`);
    return null;
  }
}
function writeBackendChoice(c) {
  try {
    localStorage.setItem(CHOICE_KEY, JSON.stringify({ choice: c.choice, rates: c.rates, adapter: c.adapter, why: c.why, skipped: Boolean(c.skipped), at: new Date().toISOString() }));
  } catch (e) {
    console.warn(`Interplay: the backend choice could not be remembered (${messageOf(e)}); the trial runs again next time.`);
  }
}
/** The training panel's line on how `auto` chose. */
function choiceText(c) {
  const name = c.choice === "webgpu" ? `WebGPU (${c.adapter})` : "the CPU backend";
  const adapter = c.adapter ? ` (${c.adapter})` : "";
  let gpu;
  if (c.rates.webgpu === null || c.rates.webgpu === undefined) gpu = c.skipped ? `WebGPU not used (${c.why})` : `WebGPU not available${c.why ? ` (${c.why})` : ""}`;
  else if (!(c.rates.webgpu > 0)) gpu = `WebGPU${adapter} too slow to start${c.why ? ` (${c.why})` : ""}`;
  else gpu = `WebGPU${adapter} ${fmt(c.rates.webgpu, 1)} steps/s`;
  const how = c.remembered ? "chosen by an earlier trial in this browser" : "chosen by a short trial on this network";
  return `Training on ${name}, ${how}: CPU ${fmt(c.rates.cpu, 1)} steps/s, ${gpu}.`;
}

/** A model's name: the engine's generation and the steps trained in it. */
export const modelName = (generation, steps) => `${generation}:${steps}`;

/**
 * The engine session of the widget `w` (its context: root, viewer, widget options, messages,
 * dirty flags, the model views).
 */
export function engineSession(w) {
  const status = (text) => (w.$(".ip-train-status").textContent = text);
  let engine = null;
  let engineStarting = null;
  // The training run the engine holds or is setting up: { key, done } with `done` the promise
  // of that set-up. Every caller awaits the same promise, so nobody trains before it is there.
  let run = null;
  let training = false;
  let generation = -1; // the engine's generation of the run on screen
  let model = null; // modelName of the model the engine holds (null: being replaced)

  // How many workers train the run now (the CPU backend may train on several; engine-team.js).
  let workers = 1;
  const backendName = () => (engine.info.backend === "webgpu" ? `WebGPU (${engine.info.adapter})` : workers > 1 ? `CPU, ${workers} cores` : "CPU");
  /** The run now trains on `n` workers (`why`: why fewer than asked, if so): the panel says so. */
  let workersWhy = null;
  function trainsOn(n, why) {
    why = why ?? null;
    if (!Number.isInteger(n) || (n === workers && why === workersWhy && w.api.workers === n)) return;
    workers = n;
    workersWhy = why;
    w.api.workers = n;
    const note = w.$(".ip-workers-note");
    if (note) note.textContent = engine && engine.info.backend === "cpu" ? `Training on ${n === 1 ? "one core" : `${n} cores`} of this machine${why ? `: ${why}` : ""}.` : "";
  }

  function start() {
    if (engineStarting) return engineStarting;
    status("Loading the training engine…");
    const client = new EngineClient();
    const remembered = w.widget.backend === "auto" ? readBackendChoice() : null;
    const trial = w.widget.backend === "auto" && !remembered ? w.viewer.runConfig() : null;
    if (trial) status("Loading the training engine and timing the CPU and WebGPU on this network…");
    engineStarting = client.call("create", { backend: w.widget.backend, trial, remembered, workers: workersFor(w.widget) }).then(
      (info) => {
        engine = { client, info };
        w.api.backend = info.backend;
        w.api.adapter = info.adapter;
        w.api.backendChoice = info.choice;
        if (info.choice && !info.choice.remembered) writeBackendChoice(info.choice);
        status(`Engine ready: ${info.backend === "webgpu" ? `WebGPU (${info.adapter})` : "CPU backend"}.`);
        // Which backend trains, and why, is said once, beside the Train button (a figure
        // without one has nothing to say about it).
        const why = info.choice ? choiceText(info.choice) : `Backend: ${backendName()}, as asked.`;
        w.$(".ip-backend-note").textContent = info.notice && !why.includes(info.notice) ? `${why} ${info.notice}` : why;
        return engine;
      },
      (e) => {
        engineStarting = null;
        client.terminate();
        w.say(`The training engine could not start: ${messageOf(e)}. The exact views still work.`);
        status("The training engine is not available.");
        throw e;
      },
    );
    return engineStarting;
  }

  /** The model is about to be replaced: nothing learned on screen is current until it is. */
  function forgetModel() {
    w.viewer.clearLosses();
    w.viewer.clearModel();
    w.dirty.losses = true;
    model = null;
  }
  function holdModel(gen, steps) {
    generation = gen;
    model = modelName(gen, steps);
  }

  /** Starts a run for `cfg` (a fresh network); every caller waits for the one in flight. */
  function begin(key, done) {
    const mine = { key, done };
    run = mine;
    mine.done.catch((e) => {
      if (run === mine) run = null; // the next caller tries again
      w.say(`The training run could not be set up: ${messageOf(e)}.`);
    });
    return mine.done;
  }

  /**
   * Makes sure the engine holds a run for the current parameters (loading the shipped model
   * where it fits) and resolves once it does. Callers that arrive while a set-up for the same
   * parameters is in flight wait for that one instead of starting another.
   */
  async function ensureRun() {
    const { client } = await start();
    const cfg = w.viewer.runConfig();
    const key = w.viewer.runKey();
    if (!run || run.key !== key) begin(key, setUpRun(client, cfg));
    await run.done;
    return client;
  }

  /** Replaces the engine's run: the shipped checkpoint where it fits, else a fresh network. */
  async function setUpRun(client, cfg) {
    forgetModel();
    if (w.widget.checkpoint && w.viewer.shippedModelFits()) {
      try {
        const res = await fetch(new URL(w.widget.checkpoint, document.baseURI));
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const bytes = await res.arrayBuffer();
        const r = await client.call("load", { bytes }, [bytes]);
        holdModel(r.generation, r.steps);
        trainsOn(r.workers, r.workersNote);
        status("Loaded the pretrained schedule-free model; training continues from it.");
        w.views.refreshMetrics(true);
        return;
      } catch (e) {
        w.say(`The pretrained model could not be loaded (${messageOf(e)}); training starts from scratch.`, "notice");
      }
    }
    const r = await client.call("configure", { config: cfg });
    holdModel(r.generation, 0);
    trainsOn(r.workers, r.workersNote);
    status("A fresh network for these settings: press Train.");
  }

  /** Reset: a fresh network for the current settings. */
  async function reset() {
    stopTraining();
    try {
      const { client } = await start();
      forgetModel();
      const cfg = w.viewer.runConfig();
      await begin(
        w.viewer.runKey(),
        client.call("configure", { config: cfg }).then((r) => {
          holdModel(r.generation, 0);
          trainsOn(r.workers, r.workersNote);
        }),
      );
      status("A fresh network: press Train.");
    } catch (e) {
      w.say(`Reset failed: ${messageOf(e)}`);
    }
  }

  function recordTraining(r) {
    // A report from a run since replaced says nothing about the model on screen.
    if (r.generation !== generation) return;
    w.viewer.pushLosses(r.steps, r.losses);
    w.dirty.losses = true;
    model = modelName(r.generation, r.steps);
    trainsOn(r.workers, r.workersNote);
    const rate = r.ms > 0 ? (1000 * r.done) / r.ms : 0;
    const losses = r.losses.map(([n, v]) => `loss ${n} ${fmt(v, 4)}`).join(", ");
    status(`${stepsText(r.steps)} · ${fmt(rate, 1)} steps/s · ${backendName()} · ${losses}`);
    for (const [n, v] of r.losses) {
      if (!Number.isFinite(v)) {
        w.say(`Training diverged (loss ${n} is ${v}). Lower the learning rate and press Reset.`);
        stopTraining();
      }
    }
  }

  /**
   * Shows a run the engine now holds (a loaded checkpoint): the parameters follow its
   * settings, and the run is marked current so that it is not replaced.
   */
  function adoptRun(r) {
    let note = "";
    try {
      w.viewer.adoptRun(r.settings);
    } catch (e) {
      note = ` (some of its settings cannot be shown here: ${messageOf(e)})`;
    }
    // Mark before the change is announced, so that ensureRun keeps the loaded run.
    run = { key: w.viewer.runKey(), done: Promise.resolve() };
    forgetModel();
    holdModel(r.generation, r.steps);
    w.paramsChanged(null);
    return note;
  }

  async function loadCheckpoint(bytes) {
    await w.api.ready;
    const buffer = bytes instanceof ArrayBuffer ? bytes.slice(0) : new Uint8Array(bytes).slice().buffer;
    stopTraining();
    const { client } = await start();
    let r;
    try {
      r = await client.call("load", { bytes: buffer }, [buffer]);
    } catch (e) {
      const text = `This checkpoint could not be loaded: ${messageOf(e)}. The current model is kept.`;
      w.sayLocal(w.$(".ip-share-msg"), text);
      w.say(text);
      throw new Error(messageOf(e));
    }
    // A refused file's message does not outlive the good one that followed it.
    if (/could not be loaded/.test(w.$(".ip-message").textContent)) w.say("");
    const note = adoptRun(r);
    trainsOn(r.workers, r.workersNote);
    const text = `Loaded a ${r.config.train.objective} checkpoint (${stepsText(r.config.steps)})${note}.`;
    w.sayLocal(w.$(".ip-share-msg"), text);
    status(`${text} Training continues from it.`);
    return r.config;
  }

  function stopTraining() {
    const was = training;
    training = false;
    w.$(".ip-train").textContent = "Train";
    w.$(".ip-train").setAttribute("aria-pressed", "false");
    // The worker trains on its own until told to stop (a chunk in flight still reports).
    if (was && engine) {
      engine.client.call("trainStop").catch((e) => console.warn(`Interplay: stopping training: ${messageOf(e)}`));
    }
  }

  /** A chunk of the worker's training has been done: show it, and stop when out of sight. */
  function onTrained(r) {
    if (w.destroyed) return;
    recordTraining(r);
    if (training && (document.hidden || !w.visible)) stopTraining();
    else if (training) w.views.refreshMetrics();
  }

  function startTraining() {
    if (training) return;
    training = true;
    w.$(".ip-train").textContent = "Pause training";
    w.$(".ip-train").setAttribute("aria-pressed", "true");
    (async () => {
      try {
        const client = await ensureRun();
        if (!training || w.destroyed) return;
        client.on("trained", onTrained);
        client.on("trainError", (message) => {
          w.say(`Training stopped: ${message}`);
          stopTraining();
        });
        // Training runs in the engine's worker in chunks of about 150 ms, sharing the worker
        // with the model views by its scheduler, until stopTraining.
        await client.call("trainStart", { ms: 150 });
      } catch (e) {
        w.say(`Training stopped: ${messageOf(e)}`);
        stopTraining();
      }
    })();
  }

  async function train(steps = 1) {
    await w.api.ready;
    if (!Number.isInteger(steps) || steps < 1 || steps > 100000) {
      w.say(`train(${steps}): the number of steps must be a whole number from 1 to 100000.`);
      throw new Error("train(steps) needs a whole number of steps from 1 to 100000");
    }
    const client = await ensureRun();
    const r = await client.call("train", { steps });
    recordTraining(r);
    const losses = Object.fromEntries(r.losses);
    return {
      steps: r.steps,
      loss_b: r.loss_b ?? null,
      loss_s: r.loss_s ?? null,
      losses,
      ms: r.ms,
      backend: engine.info.backend,
      workers: r.workers ?? 1,
    };
  }

  /** After a change of parameters: a learned view needs a run for them. */
  function paramsChanged(p) {
    if (p.source !== "exact" || p.eulerian.startsWith("model")) {
      ensureRun()
        .then(() => {
          w.dirty.lagrangian = true;
          w.views.refreshMetrics(true);
        })
        .catch((e) => w.say(`The learned views have no model for these settings: ${messageOf(e)}.`));
    }
  }

  return {
    start,
    ensureRun,
    reset,
    train,
    startTraining,
    stopTraining,
    loadCheckpoint,
    paramsChanged,
    /** The engine ({ client, info }) once started, else null. */
    engine: () => engine,
    /** Whether the engine was asked to start. */
    started: () => engineStarting !== null,
    /** Whether training runs on. */
    training: () => training,
    /** The model the engine holds (modelName), or null while it is being replaced. */
    model: () => model,
    terminate() {
      stopTraining();
      if (engine) engine.client.terminate();
    },
  };
}
