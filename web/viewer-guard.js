// Keeps a widget alive when the Rust viewer panics. A panic aborts the call that ran into it
// (`WebAssembly.RuntimeError: unreachable`) and leaves that viewer object unusable: every later
// call would fail with "recursive use of an object". The guard stands in for the viewer: it
// passes every call through, and on a panic it frees the dead viewer, builds a fresh one on the
// same canvases with the last parameters that drew without trouble (or the defaults, if those
// fail again), and reports what happened. Nothing else in the widget holds the viewer itself.

/** Calls after which the parameters on screen count as good (they drew without a panic). */
const DRAWS = new Set(["drawEulerian", "drawLagrangian"]);
/** Calls that change the parameters (the next draw confirms them). */
const CHANGES = new Set(["setParams", "setTime"]);

/**
 * Whether `e` is a panic (a trap of the WebAssembly instance), or the sign of an earlier one: an
 * object that a panicking call had borrowed refuses every later call ("recursive use of an
 * object"), e.g. the viewer after a panic inside a function that was handed it.
 */
export const isPanic = (e) =>
  (typeof WebAssembly !== "undefined" && e instanceof WebAssembly.RuntimeError) ||
  /recursive use of an object detected/.test(String(e && e.message ? e.message : e));

/**
 * A viewer made by `make()` behind a guard. `lastPanic()` returns (and clears) the message of the
 * last panic; `recovered({ why, restored })` runs after a fresh viewer took over (`restored`: the
 * parameters it was given, null for the defaults). Calls that panicked throw an Error that says
 * the viewer was restarted.
 */
export function guardViewer(make, { lastPanic, recovered }) {
  let inner = make();
  let good = inner.getParams(); // the parameters of the last draw that went through
  let unconfirmed = false; // parameters changed since then
  let failedAgain = false; // the last recovery has not drawn yet

  function recover(e, call) {
    const why = (lastPanic() || String(e && e.message ? e.message : e)).replace(/\s+/g, " ");
    try {
      inner.free();
    } catch (_) {
      /* the dead viewer may refuse even this */
    }
    // A second panic before anything drew: the restored parameters are not safe either.
    const restored = failedAgain ? null : good;
    inner = make();
    if (restored) {
      try {
        inner.setParams(restored);
      } catch (_) {
        inner.free();
        inner = make();
      }
    }
    failedAgain = true;
    unconfirmed = false;
    good = inner.getParams();
    recovered({ why, call, restored: restored ? good : null });
    return new Error(`the viewer stopped (${why}) and was restarted with the last settings that worked`);
  }

  // The stand-in has the viewer's prototype, so wasm-bindgen accepts it where a function takes
  // the viewer as an argument (`instanceof Viewer`, then its pointer, read through `get`).
  return new Proxy(
    Object.create(Object.getPrototypeOf(inner)),
    {
      get(_, key) {
        if (key === "free") return () => inner.free();
        const value = inner[key];
        if (typeof value !== "function") return value;
        return (...args) => {
          let out;
          try {
            out = value.apply(inner, args);
          } catch (e) {
            if (isPanic(e)) throw recover(e, key);
            throw e;
          }
          if (CHANGES.has(key)) unconfirmed = true;
          else if (DRAWS.has(key)) {
            failedAgain = false;
            if (unconfirmed) {
              unconfirmed = false;
              good = inner.getParams();
            }
          }
          return out;
        };
      },
    },
  );
}
