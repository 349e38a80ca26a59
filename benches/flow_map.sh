#!/usr/bin/env bash
# The flow-map benchmark (BENCHMARKS.md, "Flow maps"): trains X̂_{s,t} on the checkerboard with
# each distillation rule and holds every run against the exact map (`interplay error`: the (s, t)
# grid, the tangent, and K = 1, 2, 4, 8 jumps beside K Euler steps of the map's own velocity,
# 20 000 points), beside the exact ODE's own samples.
# Usage: bash benches/flow_map.sh [PATH] (default one-sided-linear; linear is the page's default)
set -euo pipefail
cd "$(dirname "$0")/.."
P=${1:-one-sided-linear}
cargo build --release --locked -p interplay-cli
I=${CARGO_TARGET_DIR:-target}/release/interplay
TMP=$(mktemp -d)
summary() {
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
w = d["worst"]
print(f"  worst cell (s {w['s']:.3f}, t {w['t']:.3f}): E|X̂ − X| {w['error']:.3f} (points moved {w['moved']:.3f})")
print("  tangent E|v̂ − b| at t = " + ", ".join(f"{e['t']}: {e['error']:.3f}" for e in d["tangent"]))
for f in d["few_step"]:
    m, e = f["map"], f["euler"]
    print(f"  K = {f['k']}: map {m['in_support']:.3f} in squares, TV {m['tv']:.3f}; "
          f"Euler of v̂ {e['in_support']:.3f}, TV {e['tv']:.3f}")
PY
}
run() { # NAME STEPS [train flags]
  local name=$1 steps=$2; shift 2
  echo "== $name: $steps steps $*"
  /usr/bin/time -f "  train wall %e s" "$I" train --objective flow-map --path "$P" --steps "$steps" \
    --out "$TMP/$name.ckpt" "$@" 2>&1 | grep -E "trained|wall"
  "$I" error --model "$TMP/$name.ckpt" --path "$P" --n 20000 > "$TMP/$name.json" 2>/dev/null
  summary "$TMP/$name.json"
}
run lagrangian-60s 4400 --distill lagrangian
run lagrangian 2500 --distill lagrangian
run progressive 2500 --distill progressive
run exact-600 600 --distill exact
run exact 2500 --distill exact
echo "== the exact ODE (RK4, 100 steps, Tweedie jump)"
"$I" sample --exact --path "$P" --n 20000 --out "$TMP/ode.csv"
"$I" eval --path "$P" "$TMP/ode.csv" | grep -E '"in_support"|"tv"'
