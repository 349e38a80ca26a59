#!/usr/bin/env bash
# The training-quality benchmark: default `interplay train`, then ODE and SDE (ε = 0.5) samples
# scored by `interplay eval`. Writes the checkpoint to $1 (default: assets/checkerboard.ckpt,
# the model the page ships). Usage: bash benches/quality.sh [CKPT]
set -euo pipefail
cd "$(dirname "$0")/.."
CKPT=${1:-assets/checkerboard.ckpt}
cargo build --release --locked -p interplay-cli
I=${CARGO_TARGET_DIR:-target}/release/interplay
TMP=$(mktemp -d)
/usr/bin/time -f "train wall %e s" "$I" train --out "$CKPT"
/usr/bin/time -f "ODE sampling wall %e s" "$I" sample --model "$CKPT" --n 20000 --out "$TMP/ode.csv"
/usr/bin/time -f "SDE sampling wall %e s" "$I" sample --model "$CKPT" --n 20000 --solver em --eps 0.5 --out "$TMP/sde.csv"
echo "ODE:"; "$I" eval "$TMP/ode.csv"
echo "SDE (eps 0.5):"; "$I" eval "$TMP/sde.csv"
