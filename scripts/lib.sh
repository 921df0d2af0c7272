# Shared by scripts/demo.sh and scripts/test.sh. Bash only; sourced, not run.
# Installs what Baton needs on a Debian machine and runs Maven as an unprivileged user
# (PostgreSQL refuses to run as root, so the tests and the demo cannot either).

BATON_USER="${BATON_USER:-baton}"
BATON_STATE="${BATON_STATE:-/var/tmp/baton-build}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@";
  elif command -v sudo >/dev/null 2>&1; then sudo "$@";
  else die "need root (or sudo) to run: $*"; fi
}

have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; }

# ensure_packages [extra debian packages...]
ensure_packages() {
  local missing=()
  command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
  command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
  have_postgres || missing+=(postgresql-15)
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  command -v pgbackrest >/dev/null 2>&1 || missing+=(pgbackrest)
  command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
  command -v dpkg-deb >/dev/null 2>&1 || missing+=(dpkg)   # builds the .deb in `mvn package`
  local p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # The packages start nothing Baton needs; make sure no packaged service holds our ports.
  true
}

# run_unprivileged COMMAND... : runs COMMAND in a copy of the source tree owned by $BATON_USER
# when we are root, or in place otherwise. Maven's repository is kept across runs.
run_unprivileged() {
  local src; src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [ "$(id -u)" -ne 0 ]; then
    (cd "$src" && "$@")
    return
  fi
  id -u "$BATON_USER" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$BATON_USER"
  mkdir -p "$BATON_STATE"
  chown "$BATON_USER": "$BATON_STATE"
  local work="$BATON_STATE/src"
  rm -rf "$work"
  mkdir -p "$work"
  (cd "$src" && tar --exclude='./.git' --exclude='*/target' -cf - .) | tar -xf - -C "$work"
  chown -R "$BATON_USER": "$work"
  log "running as user $BATON_USER in $work: $*"
  local quoted; quoted="$(printf '%q ' "$@")"
  runuser -u "$BATON_USER" -- env -i PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
    HOME="$(getent passwd "$BATON_USER" | cut -d: -f6)" LANG=C.UTF-8 CI="${CI:-}" \
    MAVEN_OPTS="-Dmaven.repo.local=$BATON_STATE/m2" \
    bash -c "cd '$work' && $quoted"
}
