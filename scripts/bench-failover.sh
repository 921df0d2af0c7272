#!/usr/bin/env bash
# Failover benchmark until `baton drill` exists: runs `baton demo` N times per fault and prints the
# median and spread of each figure. Run it as an unprivileged user after `mvn -DskipTests package`.
#   scripts/bench-failover.sh [RUNS] [extra demo options...]
# e.g. scripts/bench-failover.sh 5 --ttl 5;  FAULTS='--fault stop-agent' scripts/bench-failover.sh 5
set -euo pipefail
runs="${1:-5}"; shift || true
here="$(cd "$(dirname "$0")/.." && pwd)"
faults=("--fault kill-node" "--fault stop-agent" "--fault kill-postgres --primary-start-timeout 0" "--fault kill-postgres")
if [ -n "${FAULTS:-}" ]; then IFS=',' read -r -a faults <<<"$FAULTS"; fi   # e.g. FAULTS="--fault stop-agent"

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "-"; exit} m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f (min %.2f, max %.2f, n=%d)", m, a[1], a[NR], NR}'; }

for fault in "${faults[@]}"; do
  unavail=(); promo=(); rejoin=(); lost=()
  for i in $(seq 1 "$runs"); do
    # shellcheck disable=SC2086
    out="$("$here/bin/baton" demo --no-wait $fault "$@" 2>&1 || true)"
    u=$(grep -o 'writes unavailable for [0-9.]* s' <<<"$out" | awk '{print $4}' || true)
    p=$(grep -E '^\s+\+ *[0-9.]+ s  (promoted:|postgres restarted in place)' <<<"$out" | head -1 | awk '{print $2}' || true)
    r1=$(grep -E "restarted .*'s agent" <<<"$out" | awk '{print $2}' || true)
    r2=$(grep -E 'streams again' <<<"$out" | awk '{print $2}' || true)
    l=$(grep -o 'lost: [0-9]*' <<<"$out" | awk '{print $2}' || true)
    [ -n "$u" ] && unavail+=("$u"); [ -n "$p" ] && promo+=("$p"); [ -n "$l" ] && lost+=("$l")
    if [ -n "$r1" ] && [ -n "$r2" ]; then rejoin+=("$(awk -v a="$r1" -v b="$r2" 'BEGIN{print b-a}')"); fi
    grep -q 'cluster healed' <<<"$out" || echo "  run $i of '$fault' did not heal" >&2
  done
  echo "fault: $fault $*"
  echo "  write unavailability (s):       $(printf '%s\n' "${unavail[@]}" | median)"
  echo "  fault -> promoted (s):          $(printf '%s\n' "${promo[@]}" | median)"
  echo "  agent restart -> streaming (s): $( ((${#rejoin[@]})) && printf '%s\n' "${rejoin[@]}" | median || echo -)"
  echo "  acknowledged writes lost:       $(printf '%s\n' "${lost[@]}" | median)"
done
