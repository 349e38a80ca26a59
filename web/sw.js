// The published site's service worker (installed by scripts/site.mjs with its version and file
// list; the development build and widgets embedded in another site never register it). After
// one visit the app, the post and the gallery work offline, and the second visit loads from the
// cache: the site's files (the pages, the viewer, the engine, the checkpoint, the figures) are
// stored on install, in the background of the first visit; with Save-Data on, the engine is left
// to the first page that trains. A new build has a new version: its worker replaces the old one
// and deletes the old caches. Pages are fetched from the network first (a reader sees a new build
// at once) and from the cache offline; other files from the cache first.
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const CACHE = `interplay-${VERSION}`;
const scope = new URL(self.registration.scope);

self.addEventListener("install", (ev) => {
  ev.waitUntil(
    caches
      .open(CACHE)
      .then((c) => {
        const saveData = self.navigator.connection?.saveData === true;
        const files = SHELL.filter((f) => !(saveData && f.startsWith("interplay-engine_bg")));
        return c.addAll(files.map((f) => new URL(f, scope).href));
      })
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("interplay-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

/** Stores a good same-origin answer for later. */
async function keep(req, res) {
  if (res.ok && res.type === "basic") await (await caches.open(CACHE)).put(req, res.clone());
  return res;
}

self.addEventListener("fetch", (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  if (req.mode === "navigate") {
    // Network first; offline, the cached page (the hash stays with the address bar).
    ev.respondWith(
      fetch(req)
        .then((res) => keep(req, res))
        .catch(async () => (await caches.match(req, { ignoreSearch: true })) || (await caches.match(new URL("404.html", scope).href)) || Response.error()),
    );
    return;
  }
  ev.respondWith(caches.match(req).then((hit) => hit || fetch(req).then((res) => keep(req, res))));
});
