#!/usr/bin/env bash
# Every test, from a fresh checkout: set-up, formatting, lints, unit and integration tests,
# docs, the wasm build of the page, and the browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step "cargo fmt --check"
cargo fmt --all --check
step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "cargo clippy -D warnings (wasm32: the viewer and the engine, WebGPU paths included)"
cargo clippy --target wasm32-unknown-unknown -p interplay-web -p interplay-engine --locked -- -D warnings
step "cargo test"
cargo test --workspace --locked
step "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
step "trunk build --release (wasm32)"
trunk build --release
step "the published site (scripts/site.sh, under the sub-path the tests serve it at)"
SITE_BASE=/interplay/ INTERPLAY_BIN="${CARGO_TARGET_DIR:-target}/debug/interplay" bash scripts/site.sh
step "browser tests (headless Chromium)"
(cd tests && npm test)
step "all tests passed"
