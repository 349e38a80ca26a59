// Interplay's embed loader. A host page needs one element and one script:
//
//   <div class="interplay-widget" data-preset="trig" data-hide="lr,batch"></div>
//   <script type="module" src="/assets/interplay/embed.js"></script>
//
// Every `.interplay-widget` element becomes a widget when it first scrolls into view (data-*
// attributes are its options, the same names as in JavaScript: data-alpha-exp → alphaExp).
// The widget's API is `element.interplay` once created; the element also receives an
// `interplay:ready` event. The styles are added once, scoped to `.interplay`. Everything is
// loaded relative to this script, so the built files may live under any sub-path.
import { create } from "./interplay.js";

const STYLE_URL = new URL("./interplay.css", import.meta.url).href;

function addStyles() {
  if ([...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === STYLE_URL)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = STYLE_URL;
  document.head.append(link);
}

function start(el) {
  if (el.interplay || el.dataset.interplayState) return;
  el.dataset.interplayState = "started";
  const options = { ...el.dataset };
  delete options.interplayState;
  el.interplay = create(el, options);
  el.interplay.ready.then(
    () => el.dispatchEvent(new CustomEvent("interplay:ready", { detail: el.interplay })),
    () => {},
  );
}

/** Turns every `.interplay-widget` under `scope` into a widget, lazily. */
export function mount(scope = document) {
  addStyles();
  const els = [...scope.querySelectorAll(".interplay-widget")].filter((el) => !el.dataset.interplayState);
  if (typeof IntersectionObserver !== "function") {
    els.forEach(start);
    return;
  }
  const io = new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        if (e.isIntersecting) {
          io.unobserve(e.target);
          start(e.target);
        }
      }
    },
    { rootMargin: "200px 0px" },
  );
  for (const el of els) io.observe(el);
}

export { create };

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => mount(), { once: true });
else mount();
