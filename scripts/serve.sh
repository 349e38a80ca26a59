#!/usr/bin/env bash
# Sets up what is missing (wasm target, trunk, wasm-bindgen-cli) and serves the demo with
# live reload at http://127.0.0.1:8080/ (extra arguments go to `trunk serve`). The live-reload
# build goes to dist-serve/, so it never mixes with dist/ (`trunk build`) or site/ (what
# scripts/site.sh builds for publishing).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec trunk serve --release --dist dist-serve --address 127.0.0.1 --port "${PORT:-8080}" "$@"
