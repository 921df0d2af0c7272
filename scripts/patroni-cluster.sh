#!/usr/bin/env bash
# A local Patroni cluster to drill with `baton drill -c ... --dsn ...`, built like the local
# cluster `baton drill` starts for Baton: one etcd, three members (Patroni 3.0.2, Debian package
# `patroni`) with PostgreSQL on free loopback ports, and HAProxy in front with the same health
# check (option httpchk GET /primary, inter 200ms ...). See docs/drill.md, "Drilling an existing
# cluster on this machine (and Patroni)".
#
#   scripts/patroni-cluster.sh start DIR [--ttl N] [--nodes N]
#   scripts/patroni-cluster.sh stop DIR
#   scripts/patroni-cluster.sh status DIR
#
# Without --ttl, Patroni's defaults: ttl 30, loop_wait 10, retry_timeout 10. With --ttl N, the
# timings `baton drill --ttl N` gives Baton: loop_wait 1, retry_timeout max(1, min(3, (N-1)/2)).
# Run it as an unprivileged user (PostgreSQL refuses root). `start` prints the drill's command
# line; everything lives in DIR (configs, data, logs, pid files), and `stop` stops what `start`
# started (and the agents the drill restarted), by pid.
set -euo pipefail

NODES=3
SCOPE=patroni-drill

CLEANUP_DIR=""
die() {
  printf 'patroni-cluster: %s\n' "$*" >&2
  if [ -n "$CLEANUP_DIR" ]; then
    printf 'patroni-cluster: stopping what was started in %s\n' "$CLEANUP_DIR" >&2
    stop_dir "$CLEANUP_DIR"
  fi
  exit 2
}
say() { printf 'patroni-cluster: %s\n' "$*" >&2; }

usage() {
  sed -n '8,10p' "$0" | sed 's/^# \{0,3\}//' >&2
  exit 2
}

# ------------------------------------------------------------------ tools

find_bin_dir() {
  local d
  if command -v pg_config >/dev/null 2>&1; then
    d="$(pg_config --bindir 2>/dev/null || true)"
    [ -n "$d" ] && [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && { echo "$d"; return; }
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  die "no PostgreSQL server binaries (pg_config --bindir, /usr/lib/postgresql/*/bin): apt-get install postgresql-15"
}

need() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || die "$1 not found: apt-get install $2"
}

haproxy_bin() { command -v haproxy 2>/dev/null || echo /usr/sbin/haproxy; }

# N free loopback TCP ports, different from each other.
free_ports() {
  /usr/bin/python3 - "$1" <<'EOF'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
EOF
}

# ------------------------------------------------------------------ processes (by pid only)

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# The pids of this user's processes whose command line has exactly ARG as one argument
# (a Patroni started by this script, or restarted by the drill with the same command line).
pids_with_arg() {
  local arg="$1" p a me
  me="$(id -u)"
  for p in /proc/[0-9]*; do
    [ "$(stat -c %u "$p" 2>/dev/null)" = "$me" ] || continue
    while IFS= read -r -d '' a; do
      if [ "$a" = "$arg" ]; then echo "${p#/proc/}"; break; fi
    done 2>/dev/null < "$p/cmdline" || true
  done
}

# The postmaster of DATA_DIR if it runs (postmaster.pid's pid, running in DATA_DIR).
postmaster_of() {
  local data="$1" pid
  [ -f "$data/postmaster.pid" ] || return 0
  pid="$(head -n1 "$data/postmaster.pid" 2>/dev/null | tr -d ' -')"
  [ -n "$pid" ] && alive "$pid" || return 0
  [ "$(readlink -f "/proc/$pid/cwd" 2>/dev/null)" = "$(readlink -f "$data")" ] && echo "$pid"
  return 0
}

# wait_gone SECONDS PID...: true once none of the pids runs.
wait_gone() {
  local secs="$1"; shift
  local i p left
  for ((i = 0; i < secs * 10; i++)); do
    left=0
    for p in "$@"; do alive "$p" && left=1; done
    [ "$left" -eq 0 ] && return 0
    sleep 0.1
  done
  return 1
}

# ------------------------------------------------------------------ REST

http_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true; }

# "primary node2 replicas 2" when one member answers /primary 200 and the others /replica 200.
cluster_state() {
  local dir="$1" i port code prim="" nprim=0 nrep=0
  for ((i = 1; i <= NODES; i++)); do
    port="$(cat "$dir/node$i/rest.port")"
    code="$(http_code "http://127.0.0.1:$port/primary")"
    if [ "$code" = 200 ]; then prim="node$i"; nprim=$((nprim + 1)); continue; fi
    code="$(http_code "http://127.0.0.1:$port/replica")"
    [ "$code" = 200 ] && nrep=$((nrep + 1))
  done
  echo "primaries $nprim primary ${prim:-none} replicas $nrep"
}

# Replicas that stream: rows in pg_stat_replication on the primary with state 'streaming'.
streaming_count() {
  local dir="$1" node="$2" pgport pw
  pgport="$(cat "$dir/$node/pg.port")"
  pw="$(cat "$dir/superuser.password")"
  PGPASSWORD="$pw" PGCONNECT_TIMEOUT=2 "$(find_bin_dir)/psql" -h 127.0.0.1 -p "$pgport" -U postgres -d postgres \
    -Atc "select count(*) from pg_stat_replication where state = 'streaming'" 2>/dev/null || echo 0
}

# ------------------------------------------------------------------ start

start() {
  local dir="" ttl="" i
  while [ $# -gt 0 ]; do
    case "$1" in
      --ttl) ttl="${2:-}"; shift 2 || usage ;;
      --ttl=*) ttl="${1#--ttl=}"; shift ;;
      --nodes) NODES="${2:-}"; shift 2 || usage ;;
      -*) usage ;;
      *) [ -z "$dir" ] || usage; dir="$1"; shift ;;
    esac
  done
  [ -n "$dir" ] || usage
  [ "$(id -u)" -ne 0 ] || die "do not run this as root: PostgreSQL refuses to run as root. Run it as an unprivileged user, e.g.: runuser -u baton -- bash $0 start $dir"
  [[ "$NODES" =~ ^[2-9]$ ]] || die "--nodes must be between 2 and 9, got $NODES"
  local loop_wait retry_timeout timings
  if [ -n "$ttl" ]; then
    [[ "$ttl" =~ ^[0-9]+$ ]] && [ "$ttl" -ge 3 ] && [ "$ttl" -le 120 ] || die "--ttl must be between 3 and 120, got $ttl"
    loop_wait=1
    retry_timeout=$(( (ttl - 1) / 2 )); [ "$retry_timeout" -gt 3 ] && retry_timeout=3; [ "$retry_timeout" -lt 1 ] && retry_timeout=1
    timings="ttl $ttl, loop_wait 1, retry_timeout $retry_timeout, as baton drill --ttl $ttl"
  else
    ttl=30; loop_wait=10; retry_timeout=10
    timings="Patroni's defaults: ttl 30, loop_wait 10, retry_timeout 10"
  fi
  command -v patroni >/dev/null 2>&1 || die "patroni not found: apt-get install patroni"
  need etcd etcd-server
  need haproxy haproxy
  need curl curl
  local bin; bin="$(find_bin_dir)"
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
    die "$dir exists and is not empty (stop and remove the previous cluster first: $0 stop $dir && rm -rf $dir)"
  fi
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  echo "$NODES" > "$dir/nodes"
  CLEANUP_DIR="$dir"
  trap 'die "interrupted"' INT TERM

  local ports; read -r -a ports <<< "$(free_ports $((2 * NODES + 3)))"
  local etcd_client="${ports[0]}" etcd_peer="${ports[1]}" lb="${ports[2]}"
  local super_pw repl_pw
  super_pw="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  repl_pw="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  ( umask 077; echo "$super_pw" > "$dir/superuser.password" )

  # etcd (the same flags as cli/src/main/java/dev/baton/cli/local/LocalEtcd.java)
  mkdir -p "$dir/etcd"
  setsid etcd --data-dir "$dir/etcd/data" --name default \
    --listen-client-urls "http://127.0.0.1:$etcd_client" --advertise-client-urls "http://127.0.0.1:$etcd_client" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "default=http://127.0.0.1:$etcd_peer" \
    >> "$dir/etcd/etcd.log" 2>&1 < /dev/null &
  echo $! > "$dir/etcd/etcd.pid"
  for ((i = 0; i < 100; i++)); do
    [ "$(http_code "http://127.0.0.1:$etcd_client/health")" = 200 ] && break
    alive "$(cat "$dir/etcd/etcd.pid")" || die "etcd exited; see $dir/etcd/etcd.log"
    sleep 0.1
  done
  [ "$(http_code "http://127.0.0.1:$etcd_client/health")" = 200 ] || die "etcd is not healthy after 10 s; see $dir/etcd/etcd.log"

  # The members: Patroni YAML that Baton's config loader reads too (baton drill -c node1.yml).
  for ((i = 1; i <= NODES; i++)); do
    local n="node$i" rest="${ports[$((1 + 2 * i))]}" pg="${ports[$((2 + 2 * i))]}"
    mkdir -p "$dir/$n"
    echo "$rest" > "$dir/$n/rest.port"
    echo "$pg" > "$dir/$n/pg.port"
    ( umask 077; cat > "$dir/$n.yml" <<EOF
# Patroni 3.0.2 member $n of a throwaway cluster (scripts/patroni-cluster.sh); $timings.
scope: $SCOPE
namespace: /service/
name: $n
restapi:
  listen: 127.0.0.1:$rest
  connect_address: 127.0.0.1:$rest
etcd3:
  hosts: 127.0.0.1:$etcd_client
bootstrap:
  dcs:
    ttl: $ttl
    loop_wait: $loop_wait
    retry_timeout: $retry_timeout
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        max_connections: 50
        shared_buffers: 16MB
  initdb:
  - encoding: UTF8
  - data-checksums
postgresql:
  listen: 127.0.0.1:$pg
  connect_address: 127.0.0.1:$pg
  data_dir: $dir/$n/data
  bin_dir: $bin
  pgpass: $dir/$n/pgpass
  authentication:
    superuser:
      username: postgres
      password: $super_pw
    replication:
      username: replicator
      password: $repl_pw
  parameters:
    unix_socket_directories: ''
  pg_hba:
  - local all all peer
  - host all all 127.0.0.1/32 scram-sha-256
  - host replication replicator 127.0.0.1/32 scram-sha-256
# No /dev/watchdog for an unprivileged user: Patroni's default (automatic) would come to the same.
watchdog:
  mode: 'off'
EOF
    )
  done

  # HAProxy: the settings of Baton's local cluster (cli/.../local/LocalCluster.java startHaproxy).
  {
    cat <<EOF
global
    maxconn 200
    log stdout format iso local0 info
defaults
    log global
    mode tcp
    timeout connect 500ms
    retries 1
    option redispatch 1
    timeout client 30m
    timeout server 30m
    timeout check 1s
listen primary
    bind 127.0.0.1:$lb
    option httpchk GET /primary
    http-check expect status 200
    default-server inter 200ms fastinter 100ms downinter 100ms fall 2 rise 1 on-marked-down shutdown-sessions
EOF
    for ((i = 1; i <= NODES; i++)); do
      echo "    server node$i 127.0.0.1:$(cat "$dir/node$i/pg.port") check port $(cat "$dir/node$i/rest.port")"
    done
  } > "$dir/haproxy.cfg"
  setsid "$(haproxy_bin)" -f "$dir/haproxy.cfg" -db >> "$dir/haproxy.log" 2>&1 < /dev/null &
  echo $! > "$dir/haproxy.pid"
  echo "$lb" > "$dir/haproxy.port"

  # Patroni: node1 first, so that it bootstraps; the others clone it.
  for ((i = 1; i <= NODES; i++)); do
    ( cd "$dir" && exec setsid patroni "$dir/node$i.yml" >> "$dir/node$i/patroni.log" 2>&1 < /dev/null ) &
    echo $! > "$dir/node$i/patroni.pid"
    if [ "$i" -eq 1 ]; then
      for ((k = 0; k < 600; k++)); do
        [ "$(http_code "http://127.0.0.1:$(cat "$dir/node1/rest.port")/primary")" = 200 ] && break
        alive "$(cat "$dir/node1/patroni.pid")" || die "patroni node1 exited; see $dir/node1/patroni.log"
        sleep 0.2
      done
    fi
  done

  say "waiting for one leader and $((NODES - 1)) streaming replicas ..."
  local state="" prim streaming
  for ((k = 0; k < 900; k++)); do
    state="$(cluster_state "$dir")"
    prim="$(awk '{print $4}' <<< "$state")"
    if [ "$(awk '{print $2}' <<< "$state")" = 1 ] && [ "$(awk '{print $6}' <<< "$state")" = $((NODES - 1)) ]; then
      streaming="$(streaming_count "$dir" "$prim")"
      [ "$streaming" = $((NODES - 1)) ] && break
    fi
    sleep 0.2
  done
  if [ "${streaming:-0}" != $((NODES - 1)) ]; then
    die "the cluster is not whole after 180 s ($state); logs: $dir/node*/patroni.log"
  fi
  CLEANUP_DIR=""
  trap - INT TERM
  cat > "$dir/drill.args" <<EOF
-c $dir/node1.yml --dsn postgresql://127.0.0.1:$lb/postgres --force
EOF
  say "Patroni $(patroni --version 2>/dev/null | awk '{print $2}') cluster $SCOPE is up in $dir ($timings): $prim is the leader, $((NODES - 1)) replicas streaming; HAProxy 127.0.0.1:$lb, etcd 127.0.0.1:$etcd_client"
  say "drill it with:"
  echo "baton drill $(cat "$dir/drill.args") --fault kill-node,kill-postgres,kill-agent,stop-agent,switchover"
}

# ------------------------------------------------------------------ stop

stop_dir() {
  local dir="$1" i pids=() p data nodes
  nodes="$(cat "$dir/nodes" 2>/dev/null || echo "$NODES")"
  # Patroni (as started, or as restarted by the drill: same command line): SIGCONT in case a drill
  # left it stopped, then SIGTERM, which stops its postgres too.
  for ((i = 1; i <= nodes; i++)); do
    [ -f "$dir/node$i.yml" ] || continue
    for p in $(pids_with_arg "$dir/node$i.yml"); do
      kill -CONT "$p" 2>/dev/null || true
      kill -TERM "$p" 2>/dev/null || true
      pids+=("$p")
    done
  done
  if [ ${#pids[@]} -gt 0 ] && ! wait_gone 60 "${pids[@]}"; then
    say "Patroni did not stop within 60 s: SIGKILL ${pids[*]}"
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  fi
  # Any postmaster left (Patroni killed, or it did not stop postgres): immediate shutdown.
  for ((i = 1; i <= nodes; i++)); do
    data="$dir/node$i/data"
    p="$(postmaster_of "$data")"
    if [ -n "$p" ]; then
      kill -QUIT "$p" 2>/dev/null || true
      wait_gone 20 "$p" || kill -KILL "$p" 2>/dev/null || true
    fi
  done
  for f in haproxy.pid etcd/etcd.pid; do
    p="$(cat "$dir/$f" 2>/dev/null || true)"
    if alive "$p"; then
      kill -TERM "$p" 2>/dev/null || true
      wait_gone 10 "$p" || kill -KILL "$p" 2>/dev/null || true
    fi
  done
}

stop() {
  [ $# -eq 1 ] || usage
  local dir="$1"
  [ -d "$dir" ] || die "no such directory: $dir"
  dir="$(cd "$dir" && pwd)"
  [ -f "$dir/haproxy.cfg" ] || [ -f "$dir/node1.yml" ] || die "$dir is not a cluster made by $0"
  stop_dir "$dir"
  say "stopped the cluster in $dir (its files are left there)"
}

status() {
  [ $# -eq 1 ] || usage
  local dir; dir="$(cd "$1" && pwd)"
  NODES="$(cat "$dir/nodes" 2>/dev/null || echo "$NODES")"
  cluster_state "$dir"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  status) shift; status "$@" ;;
  *) usage ;;
esac
