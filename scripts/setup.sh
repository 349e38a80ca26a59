#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine that has only rustup, node and npm.
# Installs (only when missing or at the wrong version), all from package registries:
#   - the pinned Rust toolchain and the wasm32-unknown-unknown target (rustup),
#   - trunk and wasm-bindgen-cli (crates.io, built from source with cargo install),
#   - with --browser: Debian's chromium and firefox-esr (apt), geckodriver (crates.io) and the
#     node test driver (npm ci).
# Nothing is downloaded from outside crates.io, npm, PyPI or Debian apt.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14 # 0.22 needs a newer rustc (1.96) than the pinned 1.95
GECKODRIVER_VERSION=0.37.1

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# The toolchain named in rust-toolchain.toml, with rustfmt, clippy and the wasm32 target.
CHANNEL=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
if ! rustup run "$CHANNEL" rustc --version >/dev/null 2>&1 \
  || ! rustup component list --toolchain "$CHANNEL" --installed 2>/dev/null | grep -q '^clippy' \
  || ! rustup component list --toolchain "$CHANNEL" --installed 2>/dev/null | grep -q '^rustfmt' \
  || ! rustup target list --toolchain "$CHANNEL" --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "installing Rust $CHANNEL with rustfmt, clippy and the wasm32-unknown-unknown target"
  rustup toolchain install "$CHANNEL" --profile minimal --component rustfmt,clippy \
    --target wasm32-unknown-unknown
fi
log "rust toolchain: $(rustc --version)"

# wasm-bindgen-cli must match the wasm-bindgen library version in Cargo.lock exactly.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/,""); print; exit}' Cargo.lock)
[ -n "$WB_VERSION" ] || { echo "setup: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  log "installing wasm-bindgen-cli $WB_VERSION from crates.io"
  # --locked first; its own lock file has named a yanked crate before, then resolve afresh.
  cargo install --locked wasm-bindgen-cli --version "=$WB_VERSION" \
    || cargo install wasm-bindgen-cli --version "=$WB_VERSION"
fi
# Trunk.toml pins the same version so trunk uses this binary instead of downloading one.
if ! grep -q "wasm_bindgen = \"$WB_VERSION\"" Trunk.toml; then
  echo "setup: Trunk.toml [tools] wasm_bindgen must be \"$WB_VERSION\" (the Cargo.lock version)" >&2
  exit 1
fi

if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION from crates.io"
  cargo install --locked trunk --version "=$TRUNK_VERSION"
fi

if [ "${1:-}" = "--browser" ]; then
  if [ ! -x /usr/bin/chromium ]; then
    log "installing Debian's chromium"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  fi
  # Jekyll renders the example blog post exactly as a blog would (the tests compare it with
  # the plain renderer); if apt cannot install it, the tests use the plain renderer alone.
  if ! command -v jekyll >/dev/null 2>&1; then
    log "installing Debian's jekyll (for the example blog post)"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq jekyll >/dev/null; } ||
      log "jekyll could not be installed: the blog post is rendered by tests/lib/jekyll-lite.mjs"
  fi
  # A second browser engine for a smoke test (tests/firefox.test.mjs): Debian's Firefox ESR,
  # driven through geckodriver, built from crates.io.
  if ! command -v firefox-esr >/dev/null 2>&1; then
    log "installing Debian's firefox-esr"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq firefox-esr >/dev/null
  fi
  if [ "$(geckodriver --version 2>/dev/null | awk 'NR==1{print $2}')" != "$GECKODRIVER_VERSION" ]; then
    log "installing geckodriver $GECKODRIVER_VERSION from crates.io"
    cargo install --locked geckodriver --version "=$GECKODRIVER_VERSION"
  fi
  if [ ! -d tests/node_modules/playwright-core ] || [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
    log "installing the browser-test driver (npm ci in tests/)"
    (cd tests && npm ci --no-audit --no-fund)
  fi
fi
log "ready"
