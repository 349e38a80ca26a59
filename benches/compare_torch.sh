#!/usr/bin/env bash
# Native CPU training speed of the reference MLP, Interplay (burn, CPU backend) and PyTorch in
# one run. Needs `pip install torch` in the Python found as $PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p interplay-cli
I=${CARGO_TARGET_DIR:-target}/release/interplay
"$I" bench --quick --train 1024,4096 --train-steps 30 | grep -E "benchmark|---|train"
OMP_WAIT_POLICY=PASSIVE "${PYTHON:-python3}" benches/torch_reference.py --batch 1024 4096 --steps 30
