// The last step of scripts/site.sh: turns the assembled folder into the published site.
//   - root-absolute URLs of the rendered post (under the placeholder /__interplay_root__/) become
//     relative to each page, so the site works under any sub-path;
//   - every page gets the same small navigation (playground · explainer · gallery);
//   - the app's page gets the link-preview tags (the image is figs/social.png);
//   - gallery/index.html (presets as small widgets, each linking to the app in that state) and
//     404.html are written;
//   - sw.js (web/sw.js with this build's version and the files to keep) is installed and every
//     page registers it, so second visits are instant and offline;
//   - large files get precompressed .br and .gz copies, for hosts that serve them;
//   - trunk's leftover build directives are removed, and the build fails if any file carries trunk serve's live-reload client.
//
//   node scripts/site.mjs SITE_DIR [SITE_BASE]
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const WEB = join(dirname(fileURLToPath(import.meta.url)), "..", "web");

export const ROOT_MARK = "/__interplay_root__/";

/** The gallery: a preset or state per card, with what it shows and the height its widget takes
 * once built (reserved, so the page does not shift while the widgets start). */
export const GALLERY = [
  { title: "Linear interpolant", state: { preset: "linear", t: 0.6 }, views: "lagrangian", height: 442,
    text: "Straight mean paths, Brownian bridge noise: the default." },
  { title: "Trigonometric", state: { preset: "trig", t: 0.6 }, views: "lagrangian", height: 442,
    text: "α = cos(πt/2), β = sin(πt/2): the mass moves on arcs." },
  { title: "Flow matching", state: { preset: "flow-matching", t: 0.6 }, views: "lagrangian", height: 442,
    text: "One-sided and noiseless: rectified flow's straight line." },
  { title: "Diffusion (variance preserving)", state: { preset: "diffusion", t: 0.7 }, views: "eulerian", height: 421,
    text: "The score-based diffusion path as an interpolant." },
  { title: "ODE against SDE", state: { preset: "ode-vs-sde", t: 0.7 }, views: "lagrangian", height: 795,
    text: "The same density carried with and without noise, side by side." },
  { title: "Mirror", state: { preset: "mirror", t: 0.5 }, views: "eulerian", height: 421,
    text: "From the checkerboard to itself through noise." },
  { title: "Rings", state: { target: "rings", t: 0.8 }, views: "lagrangian", height: 442,
    text: "The same flow onto two rings." },
  { title: "Spirals", state: { preset: "trig", target: "spirals", t: 0.8 }, views: "eulerian", height: 421,
    text: "A trigonometric path onto two spirals." },
  { title: "Space and time on the line", state: { t: 0.5 }, views: "spacetime", height: 352,
    text: "Density and flow lines over all t at once, in one dimension." },
];

const NAV_STYLE = `<style>
  .site-nav { font: 15px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background: #1d1d1f; }
  .site-nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 20px; max-width: 960px; margin: 0 auto; padding: 10px 16px; }
  .site-nav a { color: #f5f5f7; text-decoration: none; }
  .site-nav a:hover, .site-nav a:focus-visible { text-decoration: underline; }
  .site-nav a[aria-current="page"] { font-weight: 600; }
</style>`;

/** The navigation for a page `depth` folders below the root; `here` marks the current entry. */
export function nav(depth, here) {
  const up = depth ? "../".repeat(depth) : "./";
  const items = [
    ["app", "Playground", up],
    ["post", "Explainer", `${up}post/from-a-gaussian-to-a-checkerboard/`],
    ["gallery", "Gallery", `${up}gallery/`],
  ];
  const links = items.map(([key, label, href]) =>
    `<li><a href="${href}"${key === here ? ' aria-current="page"' : ""}>${label}</a></li>`);
  return `${NAV_STYLE}\n<nav class="site-nav" aria-label="Site"><ul>${links.join("")}</ul></nav>`;
}

/** Every file below `dir`, as paths relative to it with "/" separators. */
export function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p).map((q) => `${name}/${q}`));
    else out.push(name);
  }
  return out;
}

/** How many folders below the site's root a file is. */
const depthOf = (file) => file.split("/").length - 1;

/** The placeholder root made relative for a file at `depth`. */
export function relativize(html, depth) {
  const up = depth ? "../".repeat(depth) : "./";
  return html.split(ROOT_MARK).join(up).split(ROOT_MARK.slice(0, -1)).join(up.slice(0, -1) || ".");
}

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** The app's link: `#key=value&…`, as the page's own share links are. */
export const appLink = (up, state) =>
  `${up}#${Object.entries(state).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}`;

function galleryPage() {
  const cards = GALLERY.map((g) => {
    const data = Object.entries(g.state)
      .map(([k, v]) => ` data-${k}="${esc(v)}"`).join("");
    return `  <li class="card">
    <h2>${esc(g.title)}</h2>
    <div class="interplay-widget"${data} data-views="${g.views}" data-size="300" data-particles="1500" style="min-height: ${g.height}px"></div>
    <p>${esc(g.text)} <a href="${esc(appLink("../", g.state))}" aria-label="Open in the playground: ${esc(g.title)}">Open in the playground</a></p>
  </li>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Gallery — Interplay</title>
  <meta name="description" content="Stochastic interpolants to play with: flow matching, diffusion, ODE against SDE and more, each a live figure.">
  <link rel="icon" href="../icon.svg">
  <style>
    body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f; background: #fafafa; }
    main { max-width: 1000px; margin: 0 auto; padding: 0 16px 48px; }
    h1 { font-size: 1.8rem; margin: 24px 0 4px; }
    .cards { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 24px; }
    .card h2 { font-size: 1.1rem; margin: 0 0 6px; }
    .card p { margin: 6px 0 0; color: #444; font-size: 0.95rem; }
    .card a { color: #0b57d0; }
    .interplay-widget { min-height: 300px; }
  </style>
</head>
<body>
NAV
<main>
  <h1>Gallery</h1>
  <p>Each figure is live: it computes the exact fields in your browser. Open one in the playground to change it.</p>
  <ul class="cards">
${cards.join("\n")}
  </ul>
</main>
<script type="module" src="../embed.js"></script>
</body>
</html>
`;
}

function notFoundPage(base) {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Not found — Interplay</title>
  <base href="${esc(base)}">
  <link rel="icon" href="icon.svg">
  <style>
    body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f; background: #fafafa; }
    main { max-width: 640px; margin: 0 auto; padding: 32px 16px; }
    a { color: #0b57d0; }
  </style>
</head>
<body>
NAV
<main>
  <h1>This page is not here</h1>
  <p>The link may be old. The <a href="./">playground</a>, the <a href="post/from-a-gaussian-to-a-checkerboard/">explainer</a> and the <a href="gallery/">gallery</a> are.</p>
</main>
</body>
</html>
`;
}

/** The link-preview tags of the app's page. */
function previewTags() {
  const title = "Interplay — stochastic interpolants you can touch";
  const text = "A Gaussian carried into a checkerboard by flow matching and diffusion, computed exactly and trained live in your browser.";
  return [
    `<meta property="og:type" content="website">`,
    `<meta property="og:title" content="${title}">`,
    `<meta property="og:description" content="${text}">`,
    `<meta property="og:image" content="figs/social.png">`,
    `<meta property="og:image:width" content="1208">`,
    `<meta property="og:image:height" content="480">`,
    `<meta property="og:image:alt" content="The density of an interpolant from a Gaussian to a checkerboard at five times, and particles carried by its flow">`,
    `<meta name="twitter:card" content="summary_large_image">`,
  ].map((t) => `  ${t}`).join("\n");
}

/** Files the service worker stores on install: everything but the preview image and the
 * precompressed copies (the engine too: the post's learned figures need it, and it is most of
 * what a first visit downloads anyway). */
export const shellFiles = (files) => files.filter((f) => !/(social\.png|\.br|\.gz|^sw\.js)$/.test(f));

/** The service worker's registration, for a page `depth` folders below the root. */
const registration = (up) =>
  `<script>if ("serviceWorker" in navigator) navigator.serviceWorker.register("${up}sw.js", { scope: "${up}" }).catch(() => {});</script>`;

/** The version of a build: a digest of every file. */
function version(dir, files) {
  const h = createHash("sha256");
  for (const f of files) h.update(f).update(readFileSync(join(dir, ...f.split("/"))));
  return h.digest("hex").slice(0, 16);
}

/** Brotli and gzip copies of the files worth it (wasm, and scripts and styles over 8 kB). */
function precompress(dir, files) {
  for (const f of files.filter((f) => /\.(wasm|js|css|svg|html)$/.test(f))) {
    const path = join(dir, ...f.split("/"));
    const data = readFileSync(path);
    if (!f.endsWith(".wasm") && data.length < 8192) continue;
    writeFileSync(`${path}.br`, brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
    writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }));
  }
}

export function finish(dir, base = "/") {
  if (!base.startsWith("/") || !base.endsWith("/")) throw new Error(`SITE_BASE must start and end with "/", got ${base}`);
  mkdirSync(join(dir, "gallery"), { recursive: true });
  writeFileSync(join(dir, "gallery", "index.html"), galleryPage());
  writeFileSync(join(dir, "404.html"), notFoundPage(base));
  for (const file of walk(dir)) {
    const path = join(dir, ...file.split("/"));
    if (/\.(html|js|css)$/.test(file)) {
      const text = readFileSync(path, "utf8");
      if (text.includes("__trunk_address__") || text.includes("__TRUNK_ADDRESS__")) {
        throw new Error(`${file} holds trunk serve's live-reload client: build with trunk build, not serve`);
      }
    }
    if (!file.endsWith(".html")) continue;
    // trunk leaves one of its build directives (a link to the worker's Cargo.toml) in the page.
    let html = relativize(readFileSync(path, "utf8"), depthOf(file)).replace(/^\s*<link data-trunk [^>]*>\n/gm, "");
    const here = file === "index.html" ? "app" : file.startsWith("gallery/") ? "gallery" : file.startsWith("post/") ? "post" : "";
    // 404.html is served at any depth under its <base href>: links from the root.
    const bar = nav(file === "404.html" ? 0 : depthOf(file), here);
    if (html.includes('class="site-nav"')) continue; // already finished
    html = html.includes("NAV\n") ? html.replace("NAV\n", `${bar}\n`) : html.replace(/<body([^>]*)>/, `<body$1>\n${bar}`);
    const up = file === "404.html" || depthOf(file) === 0 ? "./" : "../".repeat(depthOf(file));
    html = html.replace("</body>", `${registration(up)}\n</body>`);
    if (file === "index.html") html = html.replace("</head>", `${previewTags()}\n</head>`);
    writeFileSync(path, html);
  }
  const files = walk(dir);
  const sw = readFileSync(join(WEB, "sw.js"), "utf8")
    .replace("__VERSION__", version(dir, files))
    // Pages are asked for by their folder ("post/…/"), so each index.html is kept under that too.
    .replace("__SHELL__", JSON.stringify(["./", ...shellFiles(files), ...files.filter((f) => f.endsWith("/index.html")).map((f) => f.slice(0, -"index.html".length))]));
  writeFileSync(join(dir, "sw.js"), sw);
  precompress(dir, walk(dir));
  for (const need of ["sw.js", "index.html", "embed.js", "figs/rho0.svg", "figs/rho1.svg", "figs/social.png", "post/index.html"]) {
    if (!existsSync(join(dir, need))) throw new Error(`the site has no ${need}`);
  }
  return walk(dir).map((f) => f.split(sep).join("/"));
}

if (process.argv[1] && relative(process.argv[1], new URL(import.meta.url).pathname) === "") {
  const [dir, base = "/"] = process.argv.slice(2);
  if (!dir) {
    console.error("usage: node scripts/site.mjs SITE_DIR [SITE_BASE]");
    process.exit(2);
  }
  const files = finish(dir, base);
  console.log(`site: ${files.length} files in ${dir}`);
}
