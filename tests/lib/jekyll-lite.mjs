// A plain HTML rendering of web/jekyll/ for machines without Jekyll: the subset of Liquid and
// Markdown that the example post and the include use (front matter, `include` with parameters,
// `if`/`endif` on include and site variables, `assign … | default:`, `append`, `relative_url`;
// headings, paragraphs, emphasis, code, links and blocks of raw HTML). scripts/blog.sh and
// scripts/site.sh use Jekyll itself when it is installed.
//
//   node tests/lib/jekyll-lite.mjs SITE_DIR OUT_DIR [BASEURL] [KEY=VALUE …]   (config overrides)
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, basename } from "node:path";
import { fileURLToPath } from "node:url";

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

function frontMatter(text) {
  const m = text.match(/^---\n([\s\S]*?)\n---\n?/);
  if (!m) return [{}, text];
  const data = {};
  for (const line of m[1].split("\n")) {
    const kv = line.match(/^(\w+):\s*(.*)$/);
    if (kv) data[kv[1]] = kv[2].replace(/^"(.*)"$/, "$1");
  }
  return [data, text.slice(m[0].length)];
}

function config(site) {
  const out = {};
  for (const line of readFileSync(join(site, "_config.yml"), "utf8").split("\n")) {
    const kv = line.match(/^(\w+):\s*"?([^"#]*?)"?\s*(#.*)?$/);
    if (kv) out[kv[1]] = kv[2];
  }
  return out;
}

/** Renders an include template with its parameters (the subset described above). */
export function renderInclude(template, params, site) {
  const vars = {};
  let t = template.replace(/{%-?\s*comment\s*-?%}[\s\S]*?{%-?\s*endcomment\s*-?%}/g, "");
  t = t.replace(/{%-?\s*assign\s+(\w+)\s*=\s*site\.(\w+)\s*\|\s*default:\s*"([^"]*)"\s*-?%}/g, (_, name, key, def) => {
    vars[name] = site[key] || def;
    return "";
  });
  t = t.replace(/\s*{%-?\s*if\s+include\.(\w+)\s*-?%}([\s\S]*?){%-?\s*endif\s*-?%}/g, (_, key, body) =>
    key in params ? body : "",
  );
  t = t.replace(/{{\s*include\.(\w+)\s*}}/g, (_, key) => esc(params[key] ?? ""));
  t = t.replace(/{{\s*(\w+)\s*\|\s*append:\s*'([^']*)'\s*\|\s*relative_url\s*}}/g, (_, name, tail) =>
    `${site.baseurl || ""}${vars[name] ?? ""}${tail}`,
  );
  return t.trim();
}

function inline(s) {
  return s
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/\*([^*\s][^*]*)\*/g, "<em>$1</em>")
    .replace(/\[([^\]]+)\]\(([^)]+)\)/g, '<a href="$2">$1</a>');
}

/** `{% if site.KEY %}…{% endif %}` and `{{ site.KEY | append: '…' | relative_url }}` of a post. */
function siteLiquid(body, site) {
  return body
    .replace(/{%-?\s*if\s+site\.(\w+)\s*-?%}([\s\S]*?){%-?\s*endif\s*-?%}/g, (_, key, inner) => (site[key] ? inner : ""))
    .replace(/{{\s*site\.(\w+)\s*\|\s*append:\s*'([^']*)'\s*\|\s*relative_url\s*}}/g, (_, key, tail) =>
      `${site.baseurl || ""}${site[key] ?? ""}${tail}`,
    );
}

/** Markdown blocks → HTML; `{% include name k="v" %}` blocks are rendered with `includes`. */
export function renderPost(body, includes, site) {
  const html = [];
  for (const block of siteLiquid(body, site).split(/\n\s*\n/)) {
    const b = block.trim();
    if (!b) continue;
    if (b.startsWith("<")) {
      html.push(b); // a block of raw HTML, as kramdown passes it on
      continue;
    }
    const inc = b.match(/^{%\s*include\s+([\w.-]+)((?:\s+\w+="[^"]*")*)\s*%}$/);
    if (inc) {
      const params = Object.fromEntries([...inc[2].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      html.push(renderInclude(includes[inc[1]], params, site));
      continue;
    }
    const h = b.match(/^(#{1,6})\s+(.*)$/);
    if (h) html.push(`<h${h[1].length}>${inline(h[2])}</h${h[1].length}>`);
    else html.push(`<p>${inline(b.replace(/\n/g, " "))}</p>`);
  }
  return html.join("\n");
}

/** Renders every post of `siteDir` into `outDir/<slug>/index.html` (and the first as index). */
export function renderSite(siteDir, outDir, baseurl = "", overrides = {}) {
  const site = { ...config(siteDir), ...overrides, baseurl };
  const includes = {};
  for (const f of readdirSync(join(siteDir, "_includes"))) includes[f] = readFileSync(join(siteDir, "_includes", f), "utf8");
  const layout = readFileSync(join(siteDir, "_layouts", "post.html"), "utf8");
  const pages = [];
  for (const f of readdirSync(join(siteDir, "_posts")).sort()) {
    const [fm, body] = frontMatter(readFileSync(join(siteDir, "_posts", f), "utf8"));
    const content = renderPost(body, includes, site);
    const page = layout.replace(/{{\s*page\.title\s*}}/g, esc(fm.title || "")).replace(/{{\s*page\.description\s*}}/g, esc(fm.description || "")).replace(/{{\s*content\s*}}/, content);
    const slug = basename(f, ".md").replace(/^\d{4}-\d{2}-\d{2}-/, "");
    mkdirSync(join(outDir, slug), { recursive: true });
    writeFileSync(join(outDir, slug, "index.html"), page);
    pages.push(slug);
  }
  if (pages.length) writeFileSync(join(outDir, "index.html"), readFileSync(join(outDir, pages[0], "index.html")));
  return pages;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [site, out, baseurl = "", ...rest] = process.argv.slice(2);
  if (!site || !out || rest.some((kv) => !kv.includes("="))) {
    console.error("usage: node tests/lib/jekyll-lite.mjs SITE_DIR OUT_DIR [BASEURL] [KEY=VALUE …]");
    process.exit(2);
  }
  const overrides = Object.fromEntries(rest.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  const pages = renderSite(site, out, baseurl, overrides);
  console.log(`rendered ${pages.length} post(s) into ${out}: ${pages.join(", ")}`);
}
