// Lighthouse scores (performance, accessibility, best practices, SEO) of the published site:
// site/ (from scripts/site.sh) served under /interplay/ by the tests' static server, audited by
// Lighthouse 12.2.3 (npm; 13 needs Node 22) driving Debian's Chromium headless. Mobile (the
// default: an emulated phone on a throttled network) and desktop, one run each. A benchmark,
// not a test: the scores go into BENCHMARKS.md.
//
//   (cd benches/lighthouse && npm ci) && node benches/lighthouse/run.mjs [--json OUT]
import { existsSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";
import { serve } from "../../tests/lib/server.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SITE = join(ROOT, "site");
if (!existsSync(join(SITE, "index.html"))) {
  console.error("site/ is missing: run bash scripts/site.sh first");
  process.exit(2);
}
const PAGES = [
  ["the app", "/interplay/"],
  ["the post", "/interplay/post/from-a-gaussian-to-a-checkerboard/"],
  ["the gallery", "/interplay/gallery/"],
];
// As a host that serves the site's precompressed copies (or compresses on the fly) would.
const server = await serve({ "/interplay/": SITE }, 0, { notFound: join(SITE, "404.html"), precompressed: true });
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROMIUM || "/usr/bin/chromium",
  chromeFlags: ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu"],
});
const rows = [];
try {
  for (const [name, path] of PAGES) {
    for (const preset of ["mobile", "desktop"]) {
      const flags = { port: chrome.port, output: "json", logLevel: "error", onlyCategories: ["performance", "accessibility", "best-practices", "seo"] };
      const config = preset === "desktop" ? (await import("lighthouse/core/config/desktop-config.js")).default : undefined;
      const { lhr } = await lighthouse(server.url(path), flags, config);
      const score = (k) => Math.round(100 * (lhr.categories[k]?.score ?? NaN));
      const audit = (k) => lhr.audits[k]?.displayValue ?? "–";
      const row = {
        page: name, preset,
        performance: score("performance"), accessibility: score("accessibility"),
        bestPractices: score("best-practices"), seo: score("seo"),
        fcp: audit("first-contentful-paint"), lcp: audit("largest-contentful-paint"), tbt: audit("total-blocking-time"), cls: audit("cumulative-layout-shift"),
        a11y: lhr.categories.accessibility.auditRefs
          .map((r) => lhr.audits[r.id])
          .filter((a) => a.score !== null && a.score < 1)
          .map((a) => `${a.id}: ${(a.details?.items || []).slice(0, 4).map((i) => i.node?.snippet || "").join(" ")}`),
        failed: Object.values(lhr.audits).filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== "informative" && a.scoreDisplayMode !== "manual").map((a) => a.id),
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
} finally {
  await chrome.kill();
  await server.close();
}
console.log("\n| page | device | performance | accessibility | best practices | SEO | FCP | LCP | TBT | CLS |");
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.page} | ${r.preset} | ${r.performance} | ${r.accessibility} | ${r.bestPractices} | ${r.seo} | ${r.fcp} | ${r.lcp} | ${r.tbt} | ${r.cls} |`);
const out = process.argv.indexOf("--json");
if (out > 0) writeFileSync(process.argv[out + 1], JSON.stringify(rows, null, 2));
