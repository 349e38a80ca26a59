#!/usr/bin/env bash
# The benchmarks (not tests): native exact fields, integrators and CPU training
# (`interplay bench --train 1024,4096`), then the browser figures of tests/bench.mjs (bundle sizes,
# first frame, frame times, wasm throughput, training steps/s on each backend), the
# TensorFlow.js peer (--peer), time to quality natively and in the browser, training while the
# learned flow plays (--watching) and the 10-minute soak (--soak). Results go to
# stdout as Markdown; BENCHMARKS.md records them with the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
cargo run --release --locked -p interplay-cli -- bench --train 1024,4096
trunk build --release
node tests/bench.mjs "$@"
(cd benches/tfjs && npm ci --no-audit --no-fund)
node tests/bench.mjs --peer
cargo run --release --locked -p interplay-cli -- bench --time-to-quality --train-threads 1
node tests/bench.mjs --time-to-quality
node tests/bench.mjs --watching
node tests/bench.mjs --soak
