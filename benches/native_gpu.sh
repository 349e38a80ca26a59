#!/usr/bin/env bash
# Native training on a GPU through wgpu (Vulkan, Metal or DX12), against PyTorch on CUDA in the
# same run, then time to quality on the GPU. Needs a GPU with a Vulkan driver and, for the peer,
# `pip install torch` (CUDA build) in the Python found as $PYTHON (default python3).
#
#   bash benches/native_gpu.sh            # or INTERPLAY_BIN=path/to/interplay to skip the build
#
# Prints: the reference MLP (b and s, 4×256 ReLU) steps/s on wgpu and in PyTorch at batches
# 1024, 4096 and 16384 (burn's graph: ReLU units); `interplay train` steps/s of the fused step
# (docs/fused-step.md) for the page's 3×128 SiLU networks at batch 1024 and 3×256 at the same
# batches as above (both objectives); TensorFlow.js's WebGPU backend on the same GPU through
# Dawn for Node where node and benches/dawn's modules are there (the browser peer's network, 3×128
# and 3×256, batch 1024); each kernel's device time in a step (--kernel-times); the
# time-to-quality table at 15 and 30 s. Not part of the test suite.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -z "${INTERPLAY_BIN:-}" ]; then
  cargo build --release --locked -p interplay-cli --features wgpu || exit 1
  INTERPLAY_BIN=${CARGO_TARGET_DIR:-target}/release/interplay
fi
B=$INTERPLAY_BIN
OUT_CKPT=$(mktemp -d)
trap 'rm -rf "$OUT_CKPT"' EXIT

echo "== the reference MLP: burn on wgpu, then PyTorch on CUDA (one run)"
timeout 120 "$B" bench --quick --train 1024,4096,16384 --train-steps 100 --train-device wgpu 2>&1 |
  grep -E "device|train|rror"
timeout 90 "${PYTHON:-python3}" benches/torch_reference.py --device cuda --batch 1024 4096 16384 --steps 100 2>&1 |
  tail -n 4

# `interplay train` reports its rate every steps/20 steps, counted from the start (warm-up and
# kernel compilation included); the steady rate is (1000 − 500)/(t1000 − t500).
for shape in 128:1024 256:1024 256:4096 256:16384; do
  width=${shape%:*}
  batch=${shape#*:}
  for obj in velocity-score schedule-free; do
    echo "== interplay train --objective $obj --width $width --depth 3 --batch $batch (wgpu)"
    timeout 30 "$B" train --device wgpu --objective "$obj" --width "$width" --depth 3 --batch "$batch" \
      --steps 1000 --out "$OUT_CKPT/m.ckpt" 2>&1 | grep -E "step (50|100|500|1000)/|trained|rror"
  done
done

echo "== TensorFlow.js WebGPU on Dawn for Node, same GPU (benches/dawn; needs node and npm ci there)"
if command -v "${NODE:-node}" >/dev/null && [ -d benches/dawn/node_modules ]; then
  (cd benches/dawn && timeout 240 "${NODE:-node}" peer.mjs --dawn vulkan --widths 128,256 2>&1 | grep -E "^\||Dawn|rror")
else
  echo "skipped: no node, or benches/dawn/node_modules missing (cd benches/dawn && npm ci)"
fi

echo "== each kernel's device time in a step (timestamp queries), batch 1024"
timeout 90 "$B" bench --quick --train 1024 --train-steps 50 --train-device wgpu --kernel-times 2>&1 |
  grep -E "^\| (train|  kernels|    )|rror"

echo "== time to quality, training on wgpu"
timeout 150 "$B" bench --time-to-quality --ttq-device wgpu --budgets 15,30 2>&1 | tail -n 8
