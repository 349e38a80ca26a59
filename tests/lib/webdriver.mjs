// A small W3C WebDriver client (fetch only, no package) driving Debian's Firefox ESR through
// geckodriver (built from crates.io by scripts/setup.sh): the second browser engine of the tests.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FIREFOX = process.env.FIREFOX || "/usr/bin/firefox-esr";
export const GECKODRIVER = process.env.GECKODRIVER || "geckodriver";

/** Whether Firefox and geckodriver are installed (scripts/setup.sh --browser installs both). */
export function haveFirefox() {
  const gd = spawnSync(GECKODRIVER, ["--version"]);
  const ff = spawnSync(FIREFOX, ["--version"]);
  return gd.status === 0 && ff.status === 0;
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** Preferences that keep Firefox off the network (the machine has none) and quiet. */
const PREFS = {
  "app.update.enabled": false,
  "app.update.auto": false,
  "browser.shell.checkDefaultBrowser": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "datareporting.healthreport.uploadEnabled": false,
  "toolkit.telemetry.enabled": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "extensions.update.enabled": false,
  "browser.newtabpage.enabled": false,
  "media.gmp-manager.updateEnabled": false,
};

/**
 * Starts geckodriver and a headless Firefox session. Resolves to { call(method, path, body),
 * goto(url), run(fn, ...args) (an async function in the page; its result), size(w, h), quit() }.
 */
export async function firefox({ width = 1280, height = 900 } = {}) {
  const port = await freePort();
  const profileRoot = mkdtempSync(join(tmpdir(), "interplay-firefox-"));
  const driver = spawn(GECKODRIVER, ["--port", String(port), "--host", "127.0.0.1", "--profile-root", profileRoot], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  driver.stdout.on("data", (d) => (log = (log + d).slice(-20000)));
  driver.stderr.on("data", (d) => (log = (log + d).slice(-20000)));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`${base}/status`);
      if (r.ok) break;
    } catch (_) {
      /* not listening yet */
    }
    if (i > 100) throw new Error(`geckodriver did not start:\n${log}`);
    await sleep(100);
  }
  const call = async (method, path, body) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const j = await r.json();
    if (!r.ok) throw new Error(`WebDriver ${method} ${path}: ${j.value?.error}: ${j.value?.message}`);
    return j.value;
  };
  const session = await call("POST", "/session", {
    capabilities: {
      alwaysMatch: {
        browserName: "firefox",
        "moz:firefoxOptions": { binary: FIREFOX, args: ["-headless", `--width=${width}`, `--height=${height}`], prefs: PREFS },
        timeouts: { script: 120000, pageLoad: 60000 },
      },
    },
  });
  const sid = session.sessionId;
  const s = (path) => `/session/${sid}${path}`;
  return {
    version: session.capabilities.browserVersion,
    call: (method, path, body) => call(method, s(path), body),
    goto: (url) => call("POST", s("/url"), { url }),
    /** Runs the async function `fn` in the page with `args`; resolves to its result. */
    async run(fn, ...args) {
      const script = `const done = arguments[arguments.length - 1];
        (${fn}).apply(null, Array.from(arguments).slice(0, -1)).then(
          (v) => done({ ok: v === undefined ? null : v }),
          (e) => done({ error: String(e && e.stack ? e.stack : e) }));`;
      const r = await call("POST", s("/execute/async"), { script, args });
      if (r && r.error) throw new Error(`in Firefox: ${r.error}`);
      return r.ok;
    },
    /** A PNG of the page as Firefox draws it. */
    async screenshot() {
      return Buffer.from(await call("GET", s("/screenshot")), "base64");
    },
    async quit() {
      try {
        await call("DELETE", s(""));
      } finally {
        driver.kill();
        rmSync(profileRoot, { recursive: true, force: true });
      }
    },
  };
}
