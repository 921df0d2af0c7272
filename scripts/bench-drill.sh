#!/usr/bin/env bash
# The benchmark behind docs/performance.md: `baton drill` for every fault at Baton's defaults
# (ttl 10) and at ttl 5, and the agent faults again in synchronous mode. Run it as an unprivileged
# user (PostgreSQL refuses root) after building (`bash scripts/demo.sh` or `mvn -DskipTests package`).
#   scripts/bench-drill.sh [OUT_DIR] [ITERATIONS]        (BATON=/path/to/baton to use another build)
# Each run leaves OUT_DIR/<run>/drill.{txt,json,svg} and OUT_DIR/<run>.log; the tables are printed.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
baton="${BATON:-$here/bin/baton}"
out="${1:-baton-bench-$(date +%Y%m%d-%H%M%S)}"
iterations="${2:-3}"
all=kill-node,kill-postgres,kill-agent,stop-agent,switchover,partition-primary,etcd-down
mkdir -p "$out"

run() {
  local name="$1"; shift
  echo "== $name: baton drill $* --iterations $iterations"
  local rc=0
  # shellcheck disable=SC2086
  ${baton} drill --out "$out/$name" --iterations "$iterations" "$@" >"$out/$name.log" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || echo "   exit $rc (1: a split brain, a broken no-loss promise or no heal; see $out/$name.log)"
  [ -f "$out/$name/drill.txt" ] && cat "$out/$name/drill.txt"
}

run ttl10 --fault "$all"
run ttl5 --fault "$all" --ttl 5
run sync-ttl10 --synchronous-mode --fault kill-node,stop-agent,kill-agent
run sync-ttl10-kill-agent-15s --synchronous-mode --fault kill-agent --duration 15
echo "results in $out"
