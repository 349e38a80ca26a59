// A tiny static file server for the built site, mountable under any sub-path, so tests load
// the page exactly as a host would (http://127.0.0.1: WebGPU and wasm need a secure context).
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".csv": "text/csv",
  ".bin": "application/octet-stream",
  ".ico": "image/x-icon",
};

/**
 * Serves `mounts` ({ "/prefix/": "/dir", ... }) on 127.0.0.1 and a free port; a path that is
 * not there gets `notFound` (a file, as static hosts serve a site's 404.html) or plain text,
 * with status 404. With `precompressed`, a file's `.br` (or `.gz`) copy is sent when the request
 * accepts that encoding, as hosts that serve precompressed files do. Resolves to
 * { url(path), close() }.
 */
export async function serve(mounts, port = 0, { notFound, precompressed = false } = {}) {
  const table = Object.entries(mounts).map(([prefix, dir]) => [prefix, resolve(dir)]);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const hit = table.filter(([p]) => path.startsWith(p)).sort((a, b) => b[0].length - a[0].length)[0];
    if (!hit) {
      res.writeHead(404).end("not found");
      return;
    }
    const [prefix, dir] = hit;
    let file = normalize(join(dir, path.slice(prefix.length)));
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const headers = { "content-type": TYPES[extname(file)] || "application/octet-stream", "cache-control": "no-store" };
      const accepts = String(req.headers["accept-encoding"] || "");
      for (const [enc, ext] of precompressed ? [["br", ".br"], ["gzip", ".gz"]] : []) {
        if (!accepts.includes(enc)) continue;
        const body = await readFile(file + ext).catch(() => null);
        if (!body) continue;
        res.writeHead(200, { ...headers, "content-encoding": enc, vary: "accept-encoding" });
        res.end(body);
        return;
      }
      const body = await readFile(file);
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      if (notFound) {
        res.writeHead(404, { "content-type": TYPES[".html"] }).end(await readFile(notFound));
      } else {
        res.writeHead(404).end("not found");
      }
    }
  });
  await new Promise((ok) => server.listen(port, "127.0.0.1", ok));
  const bound = server.address().port;
  return {
    url: (p = "/") => `http://127.0.0.1:${bound}${p}`,
    close: () => new Promise((ok) => server.close(ok)),
  };
}
