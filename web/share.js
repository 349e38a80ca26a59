// Sharing one widget's state: the URL hash, links to the full app, the embed snippets, the
// clipboard, and the exports (PNG of any view, CSV of samples, checkpoint, run settings).
import { VIEWS, fmt, messageOf } from "./options.js";
import { exportCanvas, notShown } from "./png-export.js";
import { viewHalf } from "./interplay-web.js";

/** Where the built files live (the directory of this module), for links and embeds. */
const BASE = new URL(".", import.meta.url);
/** The canvases `exportPng` can save. */
const CANVASES = { eulerian: ".ip-eulerian", ode: ".ip-ode", sde: ".ip-sde", schedule: ".ip-schedule-plot", losses: ".ip-loss-plot" };

const hashOf = (o) => new URLSearchParams(Object.entries(o).map(([k, v]) => [k, String(v)])).toString();

/** The sharing of the widget `w` (`w.defaults`: the parameters before any option). */
export function share(w) {
  let hashDirty = false;
  let lastHash = 0;

  /** Everything a link must carry: every parameter, plus the widget options that differ. */
  function linkState({ short = false } = {}) {
    const p = w.params();
    const o = {};
    for (const [k, v] of Object.entries(p)) if (!short || v !== w.defaults[k]) o[k] = v;
    if (w.widget.views.join() !== Object.keys(VIEWS).join()) o.views = w.widget.views.join(",");
    if (w.widget.hide.length) o.hide = w.widget.hide.join(",");
    if (w.widget.backend !== "auto") o.backend = w.widget.backend;
    if (w.widget.workers !== "auto") o.workers = w.widget.workers;
    if (w.widget.size) o.size = w.widget.size;
    return o;
  }
  function writeHash(now = performance.now()) {
    hashDirty = false;
    lastHash = now;
    const hash = `#${hashOf(linkState())}`;
    // A full URL: a bare "#…" would resolve against the page's <base>, not the page.
    if (location.hash !== hash) history.replaceState(history.state, "", location.href.split("#")[0] + hash);
  }
  function link() {
    const app = w.widget.hash ? location.href.split("#")[0] : new URL("./index.html", BASE).href;
    return `${app}#${hashOf(linkState())}`;
  }
  function embedSnippet() {
    const o = linkState({ short: true });
    const kebab = (k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const attrs = Object.entries(o).map(([k, v]) => ` data-${kebab(k)}="${String(v)}"`).join("");
    // Liquid reserves include.size (the number of parameters): the include calls it maxwidth.
    const include = Object.entries(o).map(([k, v]) => ` ${k === "size" ? "maxwidth" : k}="${String(v)}"`).join("");
    return (
      `<!-- in a Jekyll post -->\n{% include interplay.html${include} %}\n\n` +
      `<!-- in any HTML page -->\n<div class="interplay-widget"${attrs}></div>\n` +
      `<script type="module" src="${new URL("./embed.js", BASE).href}"></script>\n\n` +
      `<!-- or the full app in an iframe -->\n<iframe src="${link()}" width="100%" height="900" style="border:0" loading="lazy" title="Interplay"></iframe>`
    );
  }
  function showShare(text, note) {
    const area = w.$(".ip-share-text");
    area.hidden = false;
    area.value = text;
    area.rows = Math.min(8, text.split("\n").length + 1);
    w.sayLocal(w.$(".ip-share-msg"), note);
  }
  async function copyText(text, what) {
    showShare(text, "");
    try {
      await navigator.clipboard.writeText(text);
      w.sayLocal(w.$(".ip-share-msg"), `${what} copied to the clipboard.`);
    } catch {
      // No clipboard here (an insecure page, a refused permission): the text is selected instead.
      w.$(".ip-share-text").select();
      w.sayLocal(w.$(".ip-share-msg"), `Copy the ${what.toLowerCase()} above (the clipboard is not available here).`);
    }
  }

  function save(name, blob) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.hidden = true;
    w.root.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }
  async function exportPng(view = "eulerian") {
    await w.api.ready;
    const sel = CANVASES[view];
    if (!sel) throw new Error(`exportPng: view '${view}' is unknown; use ${Object.keys(CANVASES).join(", ")}`);
    if (view === "eulerian" && w.dirty.eulerian) w.viewer.drawEulerian();
    const why = notShown(w.$(sel), view, w.params());
    if (why) throw new Error(why);
    const c = exportCanvas(w.$(sel), view, viewHalf());
    return new Promise((ok, fail) => c.toBlob((b) => (b ? ok(b) : fail(new Error("the canvas could not be encoded"))), "image/png"));
  }
  async function exportCsv() {
    await w.api.ready;
    const p = w.params();
    const xy = w.viewer.points(p.eps > 0 ? 1 : 0);
    const lines = ["x,y"];
    for (let i = 0; i + 1 < xy.length; i += 2) lines.push(`${xy[i]},${xy[i + 1]}`);
    return `${lines.join("\n")}\n`;
  }
  async function exportCheckpoint() {
    await w.api.ready;
    const client = await w.session.ensureRun();
    return new Uint8Array(await client.call("checkpoint"));
  }
  async function exportConfig() {
    await w.api.ready;
    const client = await w.session.ensureRun();
    return client.call("runConfig");
  }
  const stamp = () => `t${fmt(w.params().t)}`;
  async function exporting(fn) {
    try {
      await fn();
    } catch (e) {
      w.sayLocal(w.$(".ip-share-msg"), `Export failed: ${messageOf(e)}`);
    }
  }

  /** The share box's buttons. */
  function wire() {
    const $ = w.$;
    w.listen($(".ip-copy-link"), "click", () => copyText(link(), "Link"));
    w.listen($(".ip-embed"), "click", () => showShare(embedSnippet(), "Paste this into a Jekyll post (with _includes/interplay.html) or any HTML page."));
    w.listen($(".ip-export-png"), "click", () =>
      exporting(async () => {
        const view = $(".ip-export-view").value;
        save(`interplay-${view}-${stamp()}.png`, await exportPng(view));
      }),
    );
    w.listen($(".ip-export-csv"), "click", () =>
      exporting(async () => save(`interplay-samples-${stamp()}.csv`, new Blob([await exportCsv()], { type: "text/csv" }))),
    );
    w.listen($(".ip-export-ckpt"), "click", () =>
      exporting(async () => save("interplay.ckpt", new Blob([await exportCheckpoint()], { type: "application/octet-stream" }))),
    );
    w.listen($(".ip-export-config"), "click", () =>
      exporting(async () => save("interplay-run.json", new Blob([await exportConfig()], { type: "application/json" }))),
    );
    w.listen($(".ip-load-file"), "change", async (ev) => {
      const file = ev.target.files && ev.target.files[0];
      if (!file) return;
      // A refused file is said in the share box and the widget; the current model is kept.
      await w.session.loadCheckpoint(await file.arrayBuffer()).catch((e) => console.info(`Interplay: ${messageOf(e)}`));
      ev.target.value = "";
    });
  }

  return {
    link,
    embedSnippet,
    exportPng,
    exportCsv,
    exportCheckpoint,
    exportConfig,
    save,
    writeHash,
    wire,
    /** The parameters changed: the URL follows (at most every 250 ms). */
    hashChanged() {
      hashDirty = true;
    },
    writeHashSoon(now) {
      if (hashDirty && w.widget.hash && now - lastHash > 250) writeHash(now);
    },
  };
}
