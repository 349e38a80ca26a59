#!/usr/bin/env bash
# The no-data sampler's benchmark (BENCHMARKS.md, "Sampling without data"): `interplay nets` on
# each energy, then on the Gaussian mixture against the number of steps and ε; each row trains
# the transport (600 steps) and runs 4000 walkers with and without it from the same seed.
# Usage: bash benches/nets.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p interplay-cli
I=${CARGO_TARGET_DIR:-target}/release/interplay
row() { # TARGET AT STEPS EPS
  "$I" nets --target "$1" --at "$2" --steps "$3" --eps "$4" 2>/dev/null | python3 -c "
import json, sys
d = json.load(sys.stdin)
a, l = d['annealing'], d['learned']
print('| %s | %s | %s | %s | %.3f / %.3f | %+.3f / %+.3f | %.3f / %.3f | %.1f s |' % (
    '$1', '$2', '$3', '$4', a['ess'], l['ess'], a['log_z_error'], l['log_z_error'],
    a['tv_16'], l['tv_16'], d['train_seconds']))"
}
echo "| energy | T | steps | ε | ESS (annealing / learned) | log Z error | TV 16² | training |"
echo "|---|---|---|---|---|---|---|---|"
row gmm 0.99 100 1
row rings 0.99 100 1
row checkerboard 0.9 100 1
row checkerboard 0.95 100 1
for steps in 50 100 200; do
  for eps in 0.5 1 2; do
    row gmm 0.99 "$steps" "$eps"
  done
done
