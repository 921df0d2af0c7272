#!/usr/bin/env bash
# The Patroni side of docs/performance.md: the same `baton drill` that scripts/bench-drill.sh runs
# against Baton, run against a local Patroni 3.0.2 cluster (scripts/patroni-cluster.sh: one etcd,
# three members, HAProxy with Baton's health check), twice:
#   patroni-ttl10      ttl 10, loop_wait 1, retry_timeout 3: the timings Baton's drill uses by default
#   patroni-defaults   Patroni's defaults: ttl 30, loop_wait 10, retry_timeout 10
# The drill injects kill-node, kill-postgres, kill-agent, stop-agent and switchover (partition-primary
# and etcd-down need the cluster the drill starts itself, so they are Baton-only).
# Run it as an unprivileged user (PostgreSQL refuses root) after building Baton.
#   scripts/bench-patroni.sh [OUT_DIR] [ITERATIONS]
# Environment: BATON=/path/to/baton (default bin/baton), FAULTS=kill-node,... (default: all five),
# VARIANTS="ttl10 defaults" (default: both), CLUSTER_DIR=... (default: OUT_DIR/clusters).
# Each run leaves OUT_DIR/patroni-<variant>/drill.{txt,json,svg}, OUT_DIR/patroni-<variant>.log and
# the cluster's files (Patroni logs) in CLUSTER_DIR/<variant>; the tables are printed.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
baton="${BATON:-$here/bin/baton}"
out="${1:-patroni-bench-$(date +%Y%m%d-%H%M%S)}"
iterations="${2:-3}"
faults="${FAULTS:-kill-node,kill-postgres,kill-agent,stop-agent,switchover}"
variants="${VARIANTS:-ttl10 defaults}"
cluster_sh="$here/scripts/patroni-cluster.sh"

[ "$(id -u)" -ne 0 ] || { echo "bench-patroni: do not run this as root: PostgreSQL refuses to run as root (runuser -u baton -- bash $0 ...)" >&2; exit 2; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"
clusters="${CLUSTER_DIR:-$out/clusters}"
mkdir -p "$clusters"

current=""
cleanup() {
  if [ -n "$current" ]; then
    bash "$cluster_sh" stop "$current" || true
    current=""
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run() {
  local variant="$1"; shift
  local dir="$clusters/$variant" name="patroni-$variant"
  rm -rf "$dir"
  echo "== $name: patroni-cluster.sh start $dir $*"
  current="$dir"
  if ! bash "$cluster_sh" start "$dir" "$@" >"$out/$name.cluster.log" 2>&1; then
    echo "   the Patroni cluster did not start; see $out/$name.cluster.log"
    cat "$out/$name.cluster.log"
    cleanup
    return 1
  fi
  local args; args="$(cat "$dir/drill.args")"
  echo "   baton drill $args --fault $faults --iterations $iterations --out $out/$name"
  local rc=0
  # shellcheck disable=SC2086
  ${baton} drill $args --fault "$faults" --iterations "$iterations" --out "$out/$name" >"$out/$name.log" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || echo "   exit $rc (1: a split brain, a broken no-loss promise or no heal; 2: refused; see $out/$name.log)"
  [ -f "$out/$name/drill.txt" ] && cat "$out/$name/drill.txt"
  bash "$cluster_sh" stop "$dir" >>"$out/$name.cluster.log" 2>&1 || echo "   stopping the cluster failed; see $out/$name.cluster.log"
  current=""
}

status=0
for v in $variants; do
  case "$v" in
    ttl10) run ttl10 --ttl 10 || status=1 ;;
    defaults) run defaults || status=1 ;;
    *) echo "bench-patroni: unknown variant $v (ttl10, defaults)" >&2; exit 2 ;;
  esac
done
echo "results in $out"
exit "$status"
