// The browser suite's time by file, from the spec reporter's log of `npm test` (which names
// each test and its duration, not its file): each test is found by its title in the test files.
//   node tests/suite-durations.mjs < test.log
import { readFileSync, readdirSync } from "node:fs";

const dir = new URL(".", import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".test.mjs"))
  .map((f) => {
    const source = readFileSync(new URL(f, dir), "utf8");
    // Titles built at run time (`… ${x} …`) match any text in place of each ${…}.
    const esc = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const templates = [...source.matchAll(/test\(\s*`([^`]*)`/g)].map(
      ([, t]) => new RegExp(`^${t.split(/\$\{[^}]*\}/).map(esc).join(".*")}$`),
    );
    return { name: f, source, templates };
  });

const byFile = new Map();
const add = (name, ms) => {
  const e = byFile.get(name) || { ms: 0, tests: 0 };
  e.ms += ms;
  e.tests += 1;
  byFile.set(name, e);
};

// A top-level result: "✔ title (123.4ms)" or "✖ title (123.4ms)".
const line = /^[✔✖] (.*) \(([\d.]+)ms\)$/;
for (const l of readFileSync(0, "utf8").split("\n")) {
  // The summary of failures repeats their lines: counted once, above it.
  if (l.startsWith("✖ failing tests:")) break;
  const m = line.exec(l.trimEnd());
  if (!m) continue;
  const [, title, ms] = m;
  const quoted = JSON.stringify(title);
  const file = files.find((f) => f.source.includes(quoted) || f.templates.some((re) => re.test(title)));
  if (!file) console.error(`not found in a test file: ${title}`);
  add(file ? file.name : "(title not found in a file)", Number(ms));
}

const rows = [...byFile].sort((a, b) => b[1].ms - a[1].ms);
const total = rows.reduce((s, [, e]) => s + e.ms, 0);
console.log("| file | tests | seconds | share |");
console.log("|---|---|---|---|");
for (const [name, e] of rows) {
  console.log(`| ${name} | ${e.tests} | ${(e.ms / 1000).toFixed(1)} | ${((100 * e.ms) / total).toFixed(0)} % |`);
}
console.log(`| **all** | ${rows.reduce((s, [, e]) => s + e.tests, 0)} | ${(total / 1000).toFixed(1)} | |`);
