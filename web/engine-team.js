// Training on several cores. The engine's worker trains a run of the CPU backend on itself and
// on K − 1 helper workers (engine-helper.js) at once, data parallel: every member holds the same
// run; each step, each takes the gradients of its shard of the batch (`gradients`), this worker
// sums them in a fixed order and every member applies the same sum (`apply`), so the networks
// stay the same everywhere without being sent. A batch's rows do not depend on how many members
// draw them, so K members train the model one would (up to the order of the sums).
//
// The helpers run the same compiled module (handed to them, not fetched again) and need no
// shared memory, so a widget in any page trains on several cores. A helper that fails, or that
// does not answer, stops the run's training with a message; the step it was part of is never
// applied here, so the model on screen is always one that whole steps made. The run then trains
// on this worker alone until a new run forms a new team.

/** The most workers a run may ask for. */
export const MAX_WORKERS = 16;

/** A helper that has not answered in this long (ms), plus 20 of its usual steps, is given up. */
const PATIENCE_MS = 5000;
/** The most a helper may take to set up a run (ms). */
const SETUP_PATIENCE_MS = 30000;

/** One helper worker: `call(msg)` resolves with its answer or rejects with why it failed. */
function startHelper(module, index) {
  const worker = new Worker(new URL("./engine-helper.js", import.meta.url), { type: "module", name: `interplay-helper-${index + 1}` });
  // `busy`: how long the helper worked on its last shard's message (the step applied and the
  // shard), `drawBusy` on its last rows drawn ahead, `ms` its last shard alone.
  const h = { worker, pending: new Map(), next: 1, dead: null, busy: 0, drawBusy: 0, ms: 0 };
  const die = (why) => {
    if (h.dead) return;
    h.dead = new Error(why);
    for (const p of h.pending.values()) p.reject(h.dead);
    h.pending.clear();
    worker.terminate();
  };
  worker.onmessage = (ev) => {
    const { id, ok, result, error, ms, busy } = ev.data;
    const p = h.pending.get(id);
    if (!p) return;
    h.pending.delete(id);
    if (p.quiet) h.drawBusy = busy || 0;
    else [h.ms, h.busy] = [ms || 0, busy || 0];
    ok ? p.resolve(result) : p.reject(new Error(error));
  };
  worker.onerror = (ev) => {
    ev.preventDefault();
    die(`training helper ${index + 1} stopped (${ev.message || "it could not be loaded"})`);
  };
  h.die = die;
  // `quiet`: a request whose times say nothing of the helper's shards (rows drawn ahead).
  h.call = (msg, transfer = [], patienceMs = 0, quiet = false) => {
    if (h.dead) return Promise.reject(h.dead);
    const id = h.next++;
    return new Promise((resolve, reject) => {
      let timer = null;
      const done = (fn) => (v) => {
        clearTimeout(timer);
        fn(v);
      };
      h.pending.set(id, { resolve: done(resolve), reject: done(reject), quiet });
      if (patienceMs > 0) timer = setTimeout(() => die(`training helper ${index + 1} did not answer in ${Math.round(patienceMs / 1000)} s`), patienceMs);
      worker.postMessage({ ...msg, id }, transfer);
    });
  };
  h.ready = h.call({ module }, [], SETUP_PATIENCE_MS);
  return h;
}

const now = () => performance.now();

/**
 * How much longer (ms) the busiest helper worked on the last step than this worker did
 * (negative: that much less): `ownBusy` is this worker's time on its shard, its rows drawn
 * ahead, the sum and the step applied; a helper's is its shard's message (the step applied and
 * the shard) and its rows drawn ahead (`busy`, `drawBusy`, timed by the helper itself). Busy
 * times leave out every wait and message, so neither the time an answer takes to arrive nor
 * the time it waits to be read moves rows; where the two are equal, each is done with its work
 * just as the other's is ready for it.
 */
export function busyLag(ownBusy, helpers) {
  return Math.max(...helpers.map((h) => h.busy + h.drawBusy)) - ownBusy;
}

/**
 * This worker's next share of a batch of `n` rows on a team of `k` workers: `share` eased (by
 * half) towards the split that would have had the busiest helper and this worker work equally
 * long, from this step's times (`ownMs` for this worker's `ownRows`, `helperMs` for a helper's
 * `helperRows`, each the shard and its rows drawn ahead) and `lag` (busyLag's). Kept within
 * [0.25 / k, 2 / k]. Which worker takes which rows never changes the step.
 */
export function nextShare({ share, k, n, ownRows, ownMs, helperRows, helperMs, lag }) {
  const perRowHere = Math.max(ownMs, 0.1) / Math.max(1, ownRows);
  const perRowThere = Math.max(helperMs, 0.1) / Math.max(1, helperRows);
  const rows = lag / (perRowHere + perRowThere / (k - 1));
  return Math.min(2 / k, Math.max(0.25 / k, share + (0.5 * rows) / n));
}

export class Team {
  /** `module`: the engine's compiled WebAssembly.Module, which every helper instantiates. */
  constructor(module) {
    this.module = module;
    this.helpers = [];
    this.members = new Map(); // engine key → { k: workers that train its run (2 or more), batch, share }
    this.wanted = new Map(); // engine key → workers asked for
    this.broken = null; // why the helpers were given up, if they were
    this.stepMs = 0; // a recent step's time, for the patience given to helpers
    // Where a team's steps spend their time here (ms): this worker's own shard, drawing its
    // rows of the next batch, waiting for the helpers' shards, summing, and applying the step.
    this.time = { steps: 0, own: 0, drawing: 0, waiting: 0, summing: 0, applying: 0, helpers: 0 };
  }

  /** How many workers the engine `key` asks for (1 trains here alone). */
  want(key, workers) {
    this.wanted.set(key, Math.max(1, Math.min(MAX_WORKERS, Math.floor(workers) || 1)));
  }

  /** How many workers train the run of `key` now. */
  size(key) {
    return this.members.get(key)?.k || 1;
  }

  /** Why the run of `key` trains on fewer workers than it asked for, if it does. */
  why(key) {
    return (this.wanted.get(key) || 1) > this.size(key) ? this.broken : null;
  }

  /**
   * The run of `key` changed (`requests`: what set it up here, a configure or a load;
   * `teamable`: whether it is a run of fields on the CPU backend; `batch`: its rows per step):
   * the helpers set up the same run, or the run trains here alone. Never throws: without helpers
   * the run still trains.
   */
  async form(key, requests, teamable, batch) {
    this.members.delete(key);
    const k = teamable && !this.broken ? Math.min(this.wanted.get(key) || 1, batch || 1) : 1;
    if (k < 2) return 1;
    try {
      while (this.helpers.length < k - 1) this.helpers.push(startHelper(this.module, this.helpers.length));
      const mine = this.helpers.slice(0, k - 1);
      await Promise.all(mine.map((h) => h.ready));
      await Promise.all(mine.map((h) => h.call({ key, requests: [{ op: "create" }, ...requests] }, [], SETUP_PATIENCE_MS)));
      // This worker's share of each batch starts even and follows the measured speeds.
      this.members.set(key, { k, batch, share: 1 / k });
    } catch (e) {
      this.giveUp(e);
    }
    return this.size(key);
  }

  /** Every run trains here alone from now on, and says why. */
  giveUp(e) {
    this.broken = String(e && e.message ? e.message : e);
    this.members.clear();
    for (const h of this.helpers) h.die("the team was given up");
    this.helpers = [];
  }

  drop(key) {
    this.members.delete(key);
    this.wanted.delete(key);
    for (const h of this.helpers) h.call({ key, requests: [{ op: "drop" }] }).catch(() => {});
  }

  /**
   * Trains the run of `key` on its team: `steps` steps, or as many as fit in `ms`. `engine` is
   * this worker's engine. Resolves to a report like `train`'s; a helper's failure rejects
   * (after giving the team up) with no step half applied.
   */
  async train(key, engine, { steps = Infinity, ms = Infinity }) {
    if (steps !== Infinity && !(Number.isInteger(steps) && steps >= 1)) throw new Error(`bad engine request 'train': steps must be a whole number from 1, not ${steps}`);
    const member = this.members.get(key);
    const k = member.k;
    const helpers = this.helpers.slice(0, k - 1);
    // The rows of each worker: this one's share first, the rest split evenly among the helpers.
    // Which worker takes which rows does not change the step (the rows are the batch's own), so
    // the split follows the speeds measured, and no worker waits long for another.
    const n = member.batch;
    let cut = [];
    const split = () => {
      const a = Math.min(n - (k - 1), Math.max(1, Math.round(member.share * n)));
      cut = [0, a, ...helpers.map((_, i) => a + Math.round(((n - a) * (i + 1)) / (k - 1)))];
    };
    const shard = (i) => ({ op: "gradients", args: { from: cut[i + 1], to: cut[i + 2] } });
    // Rows of a coming batch, drawn while a worker would otherwise wait for the exchange (a
    // batch does not depend on the steps before it): this worker draws its next rows before it
    // reads the helpers' gradients, a helper right after sending its own. A split that moved
    // since uses the rows drawn where they overlap.
    const ahead = (step, from, to) => ({ op: "draw", args: { step, from, to } });
    split();
    const t0 = now();
    let done = 0;
    let report = null;
    let applied = 0; // this worker's last step applied in this call (ms), a helper's is in its busy time
    try {
      let pending = helpers.map((h, i) => h.call({ key, requests: [shard(i)] }, [], this.patience()));
      for (;;) {
        const s0 = now();
        const mine = await engine.handle({ op: "gradients", args: { from: 0, to: cut[1] } });
        const s1 = now();
        await engine.handle(ahead(mine.steps + 1, 0, cut[1]));
        const sd = now();
        const theirs = await Promise.all(pending);
        const s2 = now();
        const grads = mine.grads;
        const losses = Array.from(mine.losses);
        for (const t of theirs) {
          if (t.steps !== mine.steps || t.grads.length !== grads.length) {
            throw new Error(`a training helper is out of step (at step ${t.steps} with ${t.grads.length} gradients; here step ${mine.steps} with ${grads.length})`);
          }
          for (let j = 0; j < grads.length; j++) grads[j] += t.grads[j];
          t.losses.forEach((v, j) => (losses[j] += v));
        }
        done++;
        const s3 = now();
        // Balance: the split follows which worker had the more work this step.
        const own = Math.max(s1 - s0 + (sd - s1), 0.1);
        const helperMs = Math.max(...helpers.map((h) => h.ms + h.drawBusy));
        const lag = busyLag(own + (s3 - s2) + applied, helpers);
        member.share = nextShare({ share: member.share, k, n, ownRows: cut[1], ownMs: own, helperRows: cut[2] - cut[1], helperMs, lag });
        split();
        const elapsed = s3 - t0;
        const more = done < steps && elapsed + elapsed / done < ms;
        const apply = { op: "apply", args: { grads, losses } };
        pending = helpers.map((h, i) => h.call({ key, requests: more ? [apply, shard(i)] : [apply] }, [], this.patience()));
        if (more) helpers.forEach((h, i) => h.call({ key, requests: [ahead(mine.steps + 2, cut[i + 1], cut[i + 2])] }, [], 0, true).catch(() => {}));
        report = await engine.handle(apply);
        const s4 = now();
        applied = s4 - s3;
        this.stepMs = s4 - s0;
        const t = this.time;
        t.steps++;
        t.own += s1 - s0;
        t.drawing += sd - s1;
        t.waiting += s2 - sd;
        t.summing += s3 - s2;
        t.applying += s4 - s3;
        t.helpers += helperMs;
        if (!more) {
          await Promise.all(pending);
          break;
        }
      }
    } catch (e) {
      // The steps already applied stand (every member applied them); the one in flight never
      // happened here. The run trains on this worker alone from now on.
      this.giveUp(e);
      throw new Error(`${e && e.message ? e.message : e}; training stopped after ${done} steps on ${k} workers, and goes on one core when resumed`);
    }
    return { ...report, done, ms: now() - t0, workers: k };
  }

  patience() {
    return PATIENCE_MS + 20 * this.stepMs;
  }

  /** The helpers, the runs that train on a team (key → workers), why not, and each helper's wasm memory. */
  async stats() {
    // A helper busy with a long step answers late: its size is then unknown (null), not waited for.
    const late = () => new Promise((ok) => setTimeout(() => ok(null), 2000));
    const wasmBytes = await Promise.all(this.helpers.map((h) => Promise.race([h.call({ key: 0, requests: [{ op: "memory" }] }).catch(() => null), late()])));
    const teams = Object.fromEntries([...this.members].map(([key, m]) => [key, m.k]));
    const shares = Object.fromEntries([...this.members].map(([key, m]) => [key, m.share]));
    return { helpers: this.helpers.length, teams, shares, broken: this.broken, wasmBytes, time: { ...this.time } };
  }
}
