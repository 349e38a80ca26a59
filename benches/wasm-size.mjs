// What a wasm module weighs: raw, gzip (level 9) and Brotli (quality 11) sizes, its sections,
// and, where the module still has its name section (a build with `strip = "debuginfo"` or none),
// the code size by crate, from each function body's size and its demangled name.
//
//   node benches/wasm-size.mjs dist/interplay-engine_bg.wasm [--top 25]
import { readFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--"));
if (!file) {
  console.error("usage: node benches/wasm-size.mjs FILE.wasm [--top N]");
  process.exit(2);
}
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const bytes = readFileSync(file);
const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;

/** Reads an unsigned LEB128 at `at`; returns [value, next offset]. */
function leb(buf, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
    shift += 7;
  }
}

function readName(buf, at) {
  const [len, start] = leb(buf, at);
  return [buf.subarray(start, start + len).toString("utf8"), start + len];
}

const SECTION = ["custom", "type", "import", "function", "table", "memory", "global", "export",
  "start", "element", "code", "data", "data count", "tag"];
const sections = [];
let importedFunctions = 0;
let bodies = [];
let names = new Map();
for (let at = 8; at < bytes.length;) {
  const id = bytes[at];
  const [size, start] = leb(bytes, at + 1);
  const end = start + size;
  let label = SECTION[id] ?? `id ${id}`;
  if (id === 0) {
    const [name, payload] = readName(bytes, start);
    label = `custom "${name}"`;
    if (name === "name") names = functionNames(bytes, payload, end);
  } else if (id === 2) {
    importedFunctions = countFunctionImports(bytes, start);
  } else if (id === 10) {
    bodies = functionBodies(bytes, start);
  }
  sections.push({ label, size: end - at });
  at = end;
}

function countFunctionImports(buf, at) {
  let [count, p] = leb(buf, at);
  let functions = 0;
  for (let i = 0; i < count; i++) {
    [, p] = readName(buf, p);
    [, p] = readName(buf, p);
    const kind = buf[p++];
    if (kind === 0) {
      functions++;
      [, p] = leb(buf, p);
    } else if (kind === 1) {
      p++; // element type
      p = skipLimits(buf, p);
    } else if (kind === 2) {
      p = skipLimits(buf, p);
    } else if (kind === 3) {
      p += 2; // value type, mutability
    } else if (kind === 4) {
      p++;
      [, p] = leb(buf, p);
    }
  }
  return functions;
}

function skipLimits(buf, p) {
  const flags = buf[p++];
  [, p] = leb(buf, p);
  if (flags & 1) [, p] = leb(buf, p);
  return p;
}

function functionBodies(buf, at) {
  let [count, p] = leb(buf, at);
  const sizes = [];
  for (let i = 0; i < count; i++) {
    const [size, start] = leb(buf, p);
    sizes.push(size + (start - p));
    p = start + size;
  }
  return sizes;
}

function functionNames(buf, at, end) {
  const map = new Map();
  let p = at;
  while (p < end) {
    const kind = buf[p++];
    const [size, start] = leb(buf, p);
    if (kind === 1) {
      let [count, q] = leb(buf, start);
      for (let i = 0; i < count; i++) {
        let index;
        let name;
        [index, q] = leb(buf, q);
        [name, q] = readName(buf, q);
        map.set(index, name);
      }
    }
    p = start + size;
  }
  return map;
}

/** The crate a (demangled) function name belongs to: the first path segment that names one. */
function crateOf(name) {
  const trimmed = name.replace(/^[<&\s]+/, "").replace(/^(dyn |mut |impl )+/, "");
  const m = /^([A-Za-z_][A-Za-z0-9_]*)::/.exec(trimmed);
  if (m) return m[1];
  if (/^(_ZN|_R)/.test(name)) return "(mangled)";
  return "(other)";
}

const gzip = gzipSync(bytes, { level: 9 }).length;
const brotli = brotliCompressSync(bytes, {
  params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
}).length;
console.log(`${file}: raw ${mb(bytes.length)}, gzip ${mb(gzip)}, Brotli ${mb(brotli)}`);
console.log("\nsections:");
for (const s of sections.filter((s) => s.size > 10_000)) console.log(`  ${s.label.padEnd(24)} ${mb(s.size)}`);
const named = bodies.filter((_, i) => names.has(importedFunctions + i)).length;
if (named < bodies.length / 2) {
  console.log("\n(no name section: build without stripping symbols for the code size by crate)");
} else {
  const byCrate = new Map();
  bodies.forEach((size, i) => {
    const crate = crateOf(names.get(importedFunctions + i) ?? "");
    byCrate.set(crate, (byCrate.get(crate) ?? 0) + size);
  });
  const total = bodies.reduce((a, b) => a + b, 0);
  console.log(`\ncode by crate (${bodies.length} functions, ${mb(total)}):`);
  [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, top)
    .forEach(([crate, size]) => console.log(`  ${crate.padEnd(28)} ${mb(size)}  ${(100 * size / total).toFixed(1)} %`));
}
