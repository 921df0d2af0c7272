#!/usr/bin/env bash
# The footprint benchmark of docs/performance.md (issue 19): a 3-node cluster at ttl 10 / loop_wait 1,
# once with Baton (`baton demo --no-failover --keep`, run under a pseudo-terminal so that it holds the
# cluster until told to stop) and, where `patroni` is installed, once with Patroni
# (scripts/patroni-cluster.sh). For each, in steady state, it prints:
#   rss_mb      RSS per node summed over all processes of the HA agent (Baton: agent JVM + fencing
#               watchdog (perl) + any other child; Patroni: the patroni process), postgres excluded
#   etcd_rps    etcd requests per member per second: the delta of etcd's own
#               grpc_server_msg_received_total (every request message, unary or on a stream) over
#               WINDOW seconds, divided by the members; the split by gRPC method is printed too
#   list_s      wall time of `baton list` and of `patronictl list` against the same cluster (median)
#   promote_s   SIGKILL of the primary's agent tree and its postmaster (node death), then from the leader key's deletion
#               to the first /primary 200 on another member (median), both seen by scripts/promote-probe.py
#               (an etcd watch and a 10 ms poll on one clock); the killed member is restarted (same
#               command line and environment) between iterations
# Run it as an unprivileged user (PostgreSQL refuses root) after `mvn -DskipTests package`:
#   scripts/bench-footprint.sh [-o OUT_DIR] [-l LIST_RUNS] [-k KILLS] [-w WINDOW_S] [-s SETTLE_S] [-v "baton patroni"]
# Environment: BATON=/path/to/baton (default bin/baton). Everything it starts is stopped on exit.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
baton="${BATON:-$here/bin/baton}"
out="baton-footprint-$(date +%Y%m%d-%H%M%S)"
list_runs=5 kills=3 window=30 settle=15 variants="baton patroni"
while getopts "o:l:k:w:s:v:h" opt; do
  case "$opt" in
    o) out="$OPTARG" ;;
    l) list_runs="$OPTARG" ;;
    k) kills="$OPTARG" ;;
    w) window="$OPTARG" ;;
    s) settle="$OPTARG" ;;
    v) variants="$OPTARG" ;;
    *) sed -n 2,19p "$0" >&2; exit 2 ;;
  esac
done
for n in "$list_runs" "$kills" "$window" "$settle"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "bench-footprint: not a number: $n" >&2; exit 2; }
done
command -v python3 >/dev/null 2>&1 || { echo "bench-footprint: python3 not found (it runs scripts/promote-probe.py): apt-get install python3" >&2; exit 2; }
[ "$(id -u)" -ne 0 ] || { echo "bench-footprint: do not run this as root: PostgreSQL refuses to run as root (runuser -u baton -- bash $0 ...)" >&2; exit 2; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"

say() { printf 'bench-footprint: %s\n' "$*" >&2; }
now() { date +%s.%N; }
http_code() { curl -s -o /dev/null -m 1 -w '%{http_code}' "$1" 2>/dev/null || true; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
descendants() { # PID -> PID and all its descendants
  local p="$1" c
  echo "$p"
  for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do descendants "$c"; done
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# Per cluster, filled by start_*: ETCD (http://host:port), SCOPE, REST[i] (ports), AGENT_PID[i],
# AGENT_MATCH[i] (a string unique to node i's agent command line), LIST (a `baton list` command line).
declare -a REST AGENT_MATCH
ETCD="" SCOPE="" DEMO_PID="" PATRONI_DIR="" FIFO=""

agent_pid() { pgrep -f -o -- "${AGENT_MATCH[$1]}" || true; }

cleanup() {
  local p restarted=()
  # Members restarted by kill_primary (it runs in a subshell: their pids are in a file).
  [ ! -f "$out/restarted.pids" ] || mapfile -t restarted < "$out/restarted.pids"
  for p in "${restarted[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${restarted[@]}"; do for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done; done
  rm -f "$out/restarted.pids"
  if [ -n "$DEMO_PID" ]; then
    echo >&7 2>/dev/null || true          # Enter: the demo stops its cluster
    for _ in $(seq 300); do kill -0 "$DEMO_PID" 2>/dev/null || break; sleep 0.2; done
    kill -TERM "$DEMO_PID" 2>/dev/null || true
    DEMO_PID=""
  fi
  exec 7>&-
  if [ -n "$PATRONI_DIR" ]; then
    bash "$here/scripts/patroni-cluster.sh" stop "$PATRONI_DIR" >>"$PATRONI_DIR.log" 2>&1 || true
    PATRONI_DIR=""
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_baton() {
  local dir="$out/baton" ts="$out/baton.typescript"
  rm -rf "$dir" "$ts"
  FIFO="$out/baton.stdin"; rm -f "$FIFO"; mkfifo "$FIFO"
  exec 7<>"$FIFO"   # read-write: does not block, and keeps the demo's stdin open until we close it
  say "starting Baton: baton demo --no-failover --keep --ttl 10 --nodes 3 --dir $dir"
  script -qfec "$(printf '%q ' "$baton" demo --no-failover --keep --ttl 10 --nodes 3 --dir "$dir")" "$ts" < "$FIFO" > /dev/null 2>&1 &
  DEMO_PID=$!
  for _ in $(seq 900); do
    grep -q 'Press Enter' "$ts" 2>/dev/null && break
    kill -0 "$DEMO_PID" 2>/dev/null || { cat "$ts" >&2; say "baton demo exited"; return 1; }
    sleep 0.2
  done
  grep -q 'Press Enter' "$ts" || { say "the Baton cluster did not come up; see $ts"; return 1; }
  ETCD="$(tr -d '\r' < "$ts" | awk '/^etcd:/ {print $2; exit}')"
  SCOPE="$(tr -d '\r' < "$ts" | sed -n 's/.*--scope \([^ )]*\).*/\1/p' | head -1)"
  REST=() AGENT_MATCH=()
  local i=0 line
  while read -r line; do
    REST[i]="$(sed -n 's#.*REST http://127.0.0.1:\([0-9]*\)/.*#\1#p' <<< "$line")"
    AGENT_MATCH[i]="agent -c $(sed -n 's/.*config \(.*\)$/\1/p' <<< "$line")"
    i=$((i + 1))
  done < <(tr -d '\r' < "$ts" | grep -E '^node[0-9]+: +postgres')
  LIST=("$baton" list --etcd "$ETCD" --scope "$SCOPE")
}

start_patroni() {
  local dir="$out/patroni" i
  rm -rf "$dir"
  PATRONI_DIR="$dir"
  say "starting Patroni $(patroni --version 2>/dev/null | awk '{print $2}'): scripts/patroni-cluster.sh start $dir --ttl 10"
  bash "$here/scripts/patroni-cluster.sh" start "$dir" --ttl 10 > "$dir.log" 2>&1 || { cat "$dir.log" >&2; return 1; }
  ETCD="http://$(awk '/^etcd3:/ {getline; print $2; exit}' "$dir/node1.yml")"
  SCOPE="$(awk '/^scope:/ {print $2; exit}' "$dir/node1.yml")"
  REST=() AGENT_MATCH=()
  for ((i = 1; i <= 3; i++)); do
    REST[i - 1]="$(cat "$dir/node$i/rest.port")"
    AGENT_MATCH[i - 1]="patroni $dir/node$i.yml"
  done
  LIST=("$baton" list -c "$dir/node1.yml")
}

# RSS (MB) of node i's agent processes: the agent and its descendants other than postgres.
node_rss_mb() {
  local root kb=0 p comm
  root="$(agent_pid "$1")"
  [ -n "$root" ] || { echo "-"; return; }
  for p in $(descendants "$root"); do
    comm="$(cat "/proc/$p/comm" 2>/dev/null || true)"
    case "$comm" in postgres|postmaster|pg_*|"") continue ;; esac
    kb=$((kb + $(rss_kb "$p")))
  done
  awk -v k="$kb" 'BEGIN {printf "%.0f\n", k / 1024}'
}

grpc_counts() { # method count, one a line
  curl -s -m 5 "$ETCD/metrics" | awk '/^grpc_server_msg_received_total\{/ {
    match($0, /grpc_method="[^"]*"/); m = substr($0, RSTART + 13, RLENGTH - 14); c[m] += $NF }
    END { for (m in c) print m, c[m] }' | sort
}

measure() {
  local name="$1" i rss=() t0 t1
  say "$name: settling for ${settle} s"
  sleep "$settle"
  for i in 0 1 2; do rss[i]="$(node_rss_mb "$i")"; done
  echo "$name rss_mb ${rss[*]}" >> "$out/results.txt"

  say "$name: etcd requests over ${window} s"
  grpc_counts > "$out/$name.grpc.before"
  sleep "$window"
  grpc_counts > "$out/$name.grpc.after"
  join -a 2 "$out/$name.grpc.before" "$out/$name.grpc.after" |
    awk -v w="$window" '{ d = (NF == 3 ? $3 - $2 : $2); if (d > 0) printf "  %-22s %6.2f /s per member\n", $1, d / w / 3 }' > "$out/$name.grpc.txt"
  local rps; rps="$(join -a 2 "$out/$name.grpc.before" "$out/$name.grpc.after" |
    awk -v w="$window" '{ s += (NF == 3 ? $3 - $2 : $2) } END { printf "%.2f", s / w / 3 }')"

  say "$name: baton list / patronictl list, $list_runs runs each"
  local bl=() pl=()
  # patronictl 3.0.2 knows no etcd3:// in -d ("Unknown dcs scheme": it fails at once), so it
  # reads a configuration file naming the etcd3 host, as an operator's would.
  printf 'scope: %s\nnamespace: /service/\netcd3:\n  hosts: %s\n' "$SCOPE" "${ETCD#http://}" > "$out/$name.patronictl.yml"
  for ((i = 0; i < list_runs; i++)); do
    t0="$(now)"; "${LIST[@]}" > "$out/$name.list.txt" 2>&1 || true; t1="$(now)"
    bl+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')")
    if command -v patronictl >/dev/null 2>&1; then
      t0="$(now)"; patronictl -c "$out/$name.patronictl.yml" list "$SCOPE" > "$out/$name.patronictl.txt" 2>&1 || true; t1="$(now)"
      pl+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')")
      grep -q 'Member' "$out/$name.patronictl.txt" || say "$name: patronictl list printed no table: $(head -c 200 "$out/$name.patronictl.txt")"
    fi
  done
  local blm plm="-"; blm="$(printf '%s\n' "${bl[@]}" | median)"
  [ ${#pl[@]} -eq 0 ] || plm="$(printf '%s\n' "${pl[@]}" | median)"

  say "$name: key expiry -> /primary 200, $kills kills"
  local prom=()
  for ((k = 0; k < kills; k++)); do
    local d; d="$(kill_primary "$name" "$k")" || { say "$name: kill $k: $d"; continue; }
    prom+=("$d")
    say "$name: kill $k: $d s"
  done
  local pm="-"; [ ${#prom[@]} -eq 0 ] || pm="$(printf '%s\n' "${prom[@]}" | median)"
  printf '%-8s %8s %8s %8s %9.2f %9s %12s %10s   (%s)\n' "$name" "${rss[0]}" "${rss[1]}" "${rss[2]}" "$rps" "$blm" "$plm" "$pm" \
    "promote: ${prom[*]:-none}" >> "$out/table.txt"
  { echo "$name etcd requests by method:"; cat "$out/$name.grpc.txt"; } >> "$out/methods.txt"
}

primary_index() {
  local i
  for i in 0 1 2; do [ "$(http_code "http://127.0.0.1:${REST[i]}/primary")" = 200 ] && { echo "$i"; return; }; done
  return 1
}

# kill_primary NAME K: prints the seconds from the leader key's deletion to /primary 200 elsewhere.
kill_primary() {
  local name="$1" k="$2" p i root cmd env_file cwd watch_log="$out/$name.watch.$2" t=""
  for _ in $(seq 300); do p="$(primary_index || true)"; [ -n "$p" ] && break; sleep 0.2; done
  [ -n "$p" ] || { echo "no primary"; return 1; }
  root="$(agent_pid "$p")"
  [ -n "$root" ] || { echo "no agent for member $p"; return 1; }
  cmd="$out/$name.cmd.$k"; env_file="$out/$name.env.$k"
  cp "/proc/$root/cmdline" "$cmd"; cp "/proc/$root/environ" "$env_file"
  cwd="$(readlink "/proc/$root/cwd")"
  local leader_key; leader_key="$(etcdctl --endpoints "$ETCD" get --prefix --keys-only "/service/$SCOPE/leader" | head -1)"
  [ -n "$leader_key" ] || leader_key="/service/$SCOPE/leader"
  local urls=()
  for i in 0 1 2; do [ "$i" = "$p" ] || urls+=("http://127.0.0.1:${REST[i]}/primary"); done
  # One process watches the key and polls the others' /primary on one clock (scripts/promote-probe.py).
  python3 "$here/scripts/promote-probe.py" "$ETCD" "$leader_key" "${urls[@]}" > "$watch_log" 2>&1 &
  local probe=$!
  for _ in $(seq 100); do grep -q '^ready' "$watch_log" && break; sleep 0.05; done
  # Node death: the agent's tree and the postmaster (pg_ctl detaches it from the agent's tree; its
  # data directory is in the member's configuration, its pid in postmaster.pid).
  local cfg data_dir pm=""
  cfg="${AGENT_MATCH[p]##* }"
  data_dir="$(awk '$1 == "data_dir:" {print $2; exit}' "$cfg" 2>/dev/null || true)"
  [ -z "$data_dir" ] || pm="$(head -1 "$data_dir/postmaster.pid" 2>/dev/null || true)"
  [ -n "$pm" ] || { kill "$probe" 2>/dev/null; echo "no postmaster.pid for member $p ($cfg)"; return 1; }
  # shellcheck disable=SC2046
  kill -KILL $(descendants "$root") "$pm" 2>/dev/null || true
  wait "$probe" || true
  t="$(grep -E '^[0-9.]+$' "$watch_log" || true)"
  # Restart the killed member as it was started (its postgres recovers and rejoins).
  local envs=() args=()
  mapfile -d '' envs < "$env_file"; mapfile -d '' args < "$cmd"
  ( cd "$cwd" && exec env -i "${envs[@]}" setsid "${args[@]}" < /dev/null >> "$out/$name.restarted.log" 2>&1 ) &
  sleep 1
  local np; np="$(agent_pid "$p")"; [ -z "$np" ] || echo "$np" >> "$out/restarted.pids"
  for _ in $(seq 600); do [ "$(http_code "http://127.0.0.1:${REST[p]}/replica")" = 200 ] && break; sleep 0.2; done
  [ -n "$t" ] || { echo "$(tail -1 "$watch_log")"; return 1; }
  echo "$t"
}

: > "$out/table.txt"; : > "$out/methods.txt"
for v in $variants; do
  case "$v" in
    baton) start_baton && measure baton || say "baton: failed" ;;
    patroni)
      if command -v patroni >/dev/null 2>&1; then start_patroni && measure patroni || say "patroni: failed"
      else say "patroni is not installed: Baton only"; fi ;;
    *) say "unknown variant $v (baton, patroni)"; exit 2 ;;
  esac
  cleanup
done
echo
echo "3 members, ttl 10, loop_wait 1; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %8s %8s %8s %9s %9s %12s %10s\n' "" "rss1_mb" "rss2_mb" "rss3_mb" "etcd_rps" "list_s" "patronictl_s" "promote_s"
cat "$out/table.txt"
echo
cat "$out/methods.txt"
echo "files in $out"
