// Keeps a widget alive when the Rust viewer panics. A panic aborts the call that ran into it
// (`WebAssembly.RuntimeError: unreachable`) and leaves that viewer object unusable: every later
// call would fail with "recursive use of an object". The guard stands in for the viewer: it
// passes every call through, and on a panic it frees the dead viewer, builds a fresh one on the
// same canvases with the last parameters that drew without trouble (or the defaults, if those
// fail again), and reports what happened. Nothing else in the widget holds the viewer itself.

/** Calls after which the parameters on screen count as good (they drew without a panic). */
const DRAWS = new Set(["drawEulerian", "drawLagrangian"]);

/**
 * Whether `e` is a panic (a trap of the WebAssembly instance), or the sign of an earlier one: an
 * object that a panicking call had borrowed refuses every later call ("recursive use of an
 * object"), e.g. the viewer after a panic inside a function that was handed it.
 */
export const isPanic = (e) =>
  (typeof WebAssembly !== "undefined" && e instanceof WebAssembly.RuntimeError) ||
  /recursive use of an object detected/.test(String(e && e.message ? e.message : e));

/** What a panic says, on one line: the message the panic hook kept (`lastPanic()`), else the error's. */
export const panicMessage = (e, lastPanic) =>
  (lastPanic() || String(e && e.message ? e.message : e)).replace(/\s+/g, " ");

/**
 * Frees a WebAssembly object that a panic left behind. The dead instance may refuse even this; that
 * is expected after a panic and costs only the object's memory, so it is noted in the console.
 */
export function freeDead(obj, what) {
  try {
    obj.free();
  } catch (e) {
    console.info(`Interplay: the stopped ${what} could not be freed (${String(e && e.message ? e.message : e)}).`);
  }
}

/**
 * A viewer made by `make()` behind a guard. `lastPanic()` returns (and clears) the message of the
 * last panic; `recovered({ why, restored })` runs after a fresh viewer took over (`restored`: the
 * parameters it was given, null for the defaults). Calls that panicked throw an Error that says
 * the viewer was restarted.
 */
export function guardViewer(make, { lastPanic, recovered }) {
  let inner = make();
  let good = inner.getParams(); // the parameters of the last draw that went through
  // Changed since then: `params` after setParams (read again at the next draw), `t` after
  // setTime (every frame while playing: the time alone is kept, no parameters are read).
  let unconfirmed = { params: false, t: null };
  let failedAgain = false; // the last recovery has not drawn yet

  function recover(e, call) {
    const why = panicMessage(e, lastPanic);
    freeDead(inner, "viewer");
    // A second panic before anything drew: the restored parameters are not safe either.
    const restored = failedAgain ? null : good;
    inner = make();
    if (restored) {
      try {
        inner.setParams(restored);
      } catch (e) {
        // The last good settings are refused by the fresh viewer: it starts from the defaults.
        console.info(`Interplay: the restarted viewer took the defaults (${panicMessage(e, lastPanic)}).`);
        freeDead(inner, "viewer");
        inner = make();
      }
    }
    failedAgain = true;
    unconfirmed = { params: false, t: null };
    good = inner.getParams();
    recovered({ why, call, restored: restored ? good : null });
    return new Error(`the viewer stopped (${why}) and was restarted with the last settings that worked`);
  }

  /** After a call that went through: what it changed, or that what is on screen drew. */
  function confirm(key, args) {
    if (key === "setParams") unconfirmed.params = true;
    else if (key === "setTime") unconfirmed.t = args[0];
    else if (DRAWS.has(key)) {
      failedAgain = false;
      if (unconfirmed.params) good = inner.getParams();
      else if (unconfirmed.t !== null) good = { ...good, t: unconfirmed.t };
      unconfirmed = { params: false, t: null };
    }
  }

  // One wrapper per method, made on first use (the frame loop calls a few of them every frame);
  // each calls the method of whichever viewer is current.
  const wrappers = new Map();
  // The stand-in has the viewer's prototype, so wasm-bindgen accepts it where a function takes
  // the viewer as an argument (`instanceof Viewer`, then its pointer, read through `get`).
  return new Proxy(Object.create(Object.getPrototypeOf(inner)), {
    get(_, key) {
      if (key === "free") return () => inner.free();
      const value = inner[key];
      if (typeof value !== "function") return value;
      let wrapper = wrappers.get(key);
      if (!wrapper) {
        wrapper = (...args) => {
          let out;
          try {
            out = inner[key](...args);
          } catch (e) {
            if (isPanic(e)) throw recover(e, key);
            throw e;
          }
          confirm(key, args);
          return out;
        };
        wrappers.set(key, wrapper);
      }
      return wrapper;
    },
  });
}
