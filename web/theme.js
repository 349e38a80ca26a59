// The widget's colour scheme. A widget lives on someone else's page, light or dark, so it paints
// an opaque surface of its own and chooses its light or dark colours to match the host: by the
// `theme` option (light, dark; auto by default), else by the colour of the page behind it (the
// first opaque background among its ancestors), else by the host's `color-scheme` or the
// reader's `prefers-color-scheme`. It follows the host when that switches (a theme toggle that
// changes a class or attribute on <html> or <body>, or the system's setting).

export const THEMES = ["auto", "light", "dark"];

/** Relative luminance (WCAG 2) of a CSS colour `rgb(a)` string; null if it is transparent. */
export function luminance(css) {
  const m = String(css).match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
  if (a < 0.5) return null;
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Whether the page behind `root` is dark. */
export function hostIsDark(root) {
  for (let el = root.parentElement; el; el = el.parentElement) {
    const l = luminance(getComputedStyle(el).backgroundColor);
    if (l !== null) return l < 0.18;
  }
  const scheme = getComputedStyle(document.documentElement).colorScheme || "";
  if (/dark/.test(scheme) && !/light/.test(scheme)) return true;
  if (/light/.test(scheme) && !/dark/.test(scheme)) return false;
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
}

/**
 * Applies the theme `choice` (auto, light or dark) to the widget `root` and, for auto, keeps it
 * following the host; `listen` registers listeners the widget removes when destroyed. Returns a
 * function that stops following (for destroy()).
 */
export function applyTheme(root, listen, choice = "auto") {
  const set = () => {
    const dark = choice === "dark" || (choice === "auto" && hostIsDark(root));
    root.classList.toggle("ip-theme-dark", dark);
  };
  set();
  if (choice !== "auto") return () => {};
  if (typeof matchMedia === "function") listen(matchMedia("(prefers-color-scheme: dark)"), "change", set);
  if (typeof MutationObserver !== "function") return () => {};
  const observer = new MutationObserver(set);
  for (const el of [document.documentElement, document.body]) {
    if (el) observer.observe(el, { attributes: true, attributeFilter: ["class", "style", "data-theme", "data-mode"] });
  }
  return () => observer.disconnect();
}
