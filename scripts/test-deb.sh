#!/usr/bin/env bash
# Tests the Debian package on this machine, as root (installing a package needs it; the ITs run
# unprivileged, so this is a script, run by scripts/test.sh after the test suite):
#   1. lintian (installed with apt-get when missing) reports no errors;
#   2. `apt-get install ./baton_<version>_all.deb` installs it with its dependencies;
#   3. the installed files: `baton --version` as an unprivileged user prints the package's
#      version, `baton agent --validate-config -c /etc/baton/baton.example.yml` as postgres
#      passes (with certificates made by the installed `baton certs`, where the example expects
#      them), `systemd-analyze verify` accepts both units;
#   4. installing it again (an upgrade to the same version) keeps an edited conffile;
#   5. purge removes the package's files and leaves /var/lib/postgresql (data directories) and
#      the operator's files in /etc/baton exactly as they were.
# It refuses to run where baton is installed or /etc/baton exists and it did not make them: it is
# for test machines. Run again, it first removes what an interrupted run left.
#
#   bash scripts/test-deb.sh [PATH/baton_<version>_all.deb]
# Without an argument it takes the newest cli/target/baton_*_all.deb of the tree scripts/test.sh
# builds in ($BATON_STATE/src when run as root), else of this tree; with none, it builds one.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
top="$(cd "$(dirname "$0")/.." && pwd)"
[ "$(id -u)" -eq 0 ] || exec sudo -- bash "$0" "$@"
started=$(date +%s)

# --- the package ----------------------------------------------------------------------------
deb="${1:-}"
if [ -z "$deb" ]; then
  deb="$(ls -t "$BATON_STATE"/src/cli/target/baton_*_all.deb "$top"/cli/target/baton_*_all.deb 2>/dev/null | head -1 || true)"
fi
if [ -z "$deb" ]; then
  log "no .deb built yet: building it (mvn -DskipTests package)"
  run_unprivileged mvn -B -q -DskipTests package -pl cli -am
  deb="$(ls -t "$BATON_STATE"/src/cli/target/baton_*_all.deb | head -1)"
fi
[ -f "$deb" ] || die "$deb: no such file"
deb="$(readlink -f "$deb")"
version="$(dpkg-deb -f "$deb" Version)"
log "testing $deb (version $version)"

# Exists from the install to the end of a run: what a run left is this test's to remove.
marker=/var/tmp/baton-test-deb.running
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# --- a machine where it ran before ----------------------------------------------------------
if [ -f "$marker" ]; then
  log "removing what an earlier run left"
  dpkg --purge baton >/dev/null 2>&1 || true
  rm -rf /etc/baton/tls /etc/baton/baton.example.yml* /var/lib/postgresql/baton-test-deb
  rmdir /etc/baton 2>/dev/null || true
  rm -f "$marker"
fi
if dpkg -s baton >/dev/null 2>&1; then
  die "baton is installed on this machine and not by this test: not touching it"
fi
[ ! -e /etc/baton ] || die "/etc/baton exists and this test did not make it: not touching it"

command -v lintian >/dev/null 2>&1 || ensure_packages lintian
command -v systemd-analyze >/dev/null 2>&1 || log "no systemd-analyze: the units are not verified"

# --- 1. lintian -----------------------------------------------------------------------------
log "lintian"
# As nobody: lintian unpacks what it checks and advises against root. A copy it can read.
lint_dir="$(mktemp -d)"
trap 'rm -rf "$lint_dir"' EXIT
cp "$deb" "$lint_dir/"
chmod 0755 "$lint_dir"; chmod 0644 "$lint_dir"/*.deb
runuser -u nobody -- env HOME="$lint_dir" lintian --fail-on error --pedantic "$lint_dir/$(basename "$deb")" \
  || fail "lintian reports errors"

# --- 2. install -----------------------------------------------------------------------------
# A data directory that must come through install, use and purge untouched, beside whatever
# clusters /var/lib/postgresql holds (a Debian PostgreSQL package makes one).
snapshot() { find /var/lib/postgresql -printf '%p %y %m %u %g %s %T@\n' 2>/dev/null | LC_ALL=C sort; }
touch "$marker"
data_dir=/var/lib/postgresql/baton-test-deb/main
install -d -o postgres -g postgres -m 0700 "$data_dir"
echo 15 > "$data_dir/PG_VERSION"; chown postgres: "$data_dir/PG_VERSION"
before="$(snapshot)"
# No fsync after every file: this is a test machine, and the jar is 70 MB.
unsafe_io="-o Dpkg::Options::=--force-unsafe-io"
log "apt-get install $deb"
# The whole path, so that apt takes it for a file; apt's sandbox user may not reach it: no matter.
env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $unsafe_io "$deb" >/dev/null 2>"$lint_dir/apt.err" \
  || { cat "$lint_dir/apt.err" >&2; fail "apt-get install"; }

# --- 3. the installed files -----------------------------------------------------------------
for f in /usr/bin/baton /usr/share/baton/baton.jar /usr/share/baton/baton-watchdog /usr/share/baton/baton-agent.jvmopts /usr/lib/systemd/system/baton.service \
         /usr/lib/systemd/system/baton-watchdog.service /etc/baton/baton.example.yml \
         /usr/share/doc/baton/copyright /usr/share/man/man1/baton.1.gz /usr/lib/baton/cds-archive; do
  [ -f "$f" ] || fail "$f not installed"
done
# The command line's class-data sharing archive, written by the postinst for the installed java.
[ -s /var/cache/baton/baton.jsa ] || fail "the postinst wrote no /var/cache/baton/baton.jsa"
java -Xshare:on -XX:SharedArchiveFile=/var/cache/baton/baton.jsa -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:CompileThresholdScaling=2 -XX:+UseSerialGC \
  -Xss512k -Xmx256m -XX:-UsePerfData -cp /usr/share/baton/baton.jar dev.baton.cli.Baton --version >/dev/null \
  || fail "java cannot map /var/cache/baton/baton.jsa"
dpkg-query -W -f='${Conffiles}\n' baton | grep -q '^ /etc/baton/baton.example.yml ' \
  || fail "/etc/baton/baton.example.yml is not a conffile"
[ "$(stat -c '%U:%G %a' /etc/baton)" = "postgres:postgres 700" ] \
  || fail "/etc/baton is $(stat -c '%U:%G %a' /etc/baton), not postgres:postgres 700"
grep -q '^ExecStart=/usr/bin/baton agent -c /etc/baton/baton.yml$' /usr/lib/systemd/system/baton.service \
  || fail "baton.service does not run /usr/bin/baton agent"
grep -q '^User=postgres$' /usr/lib/systemd/system/baton.service || fail "baton.service is not User=postgres"
[ -x /usr/share/baton/baton-watchdog ] && perl -c /usr/share/baton/baton-watchdog >/dev/null 2>&1 \
  || fail "/usr/share/baton/baton-watchdog is not an executable perl script"
grep -q '^ExecStart=/usr/bin/perl /usr/share/baton/baton-watchdog --options-file /run/baton/watchdog.options$' \
  /usr/lib/systemd/system/baton-watchdog.service || fail "baton-watchdog.service does not run the script"
if grep -Eiq '^Environment=.*(password|secret|key)=' /usr/lib/systemd/system/baton*.service; then
  fail "a secret in an Environment= line of a unit"
fi

as_user() { local u="$1"; shift; runuser -u "$u" -- env -i PATH=/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 "$@"; }
log "baton --version (as nobody)"
out="$(cd / && as_user nobody baton --version 2>"$lint_dir/version.err")" || fail "baton --version: exit $?"
expected="baton ${version//\~/-}"
[ "$out" = "$expected" ] || fail "baton --version printed '$out', expected '$expected'"
[ ! -s "$lint_dir/version.err" ] || fail "baton --version wrote to stderr: $(cat "$lint_dir/version.err")"
# An archive the JVM cannot use (here: written for another jar) is ignored without a word.
cp /var/cache/baton/baton.jsa "$lint_dir/baton.jsa.saved"
cp /usr/share/baton/baton.jar "$lint_dir/other.jar"
chmod 0644 "$lint_dir/other.jar"
/usr/lib/baton/cds-archive "$lint_dir/other.jar" /var/cache/baton/baton.jsa >/dev/null
out="$(cd / && as_user nobody baton --version 2>&1)" || fail "baton --version with a mismatched archive: exit $?"
[ "$out" = "$expected" ] || fail "baton --version with a mismatched archive printed '$out'"
cp "$lint_dir/baton.jsa.saved" /var/cache/baton/baton.jsa

log "baton agent --validate-config -c /etc/baton/baton.example.yml (as postgres)"
# The example turns TLS on with certificates in /etc/baton/tls, which an operator makes with
# `baton certs` (deploy/README.md). Without them the check must fail and name them.
if out="$(cd / && as_user postgres baton agent --validate-config -c /etc/baton/baton.example.yml 2>&1)"; then
  fail "validate-config passed without the example's certificates"
fi
grep -q '/etc/baton/tls/node.crt' <<<"$out" || fail "validate-config without certificates said: $out"
install -d -o postgres -g postgres -m 0700 /etc/baton/tls
(cd / && as_user postgres baton certs ca --dir /etc/baton/tls >/dev/null \
   && as_user postgres baton certs node --dir /etc/baton/tls --name node --host 10.0.0.11 >/dev/null) \
  || fail "baton certs"
[ -f /etc/baton/tls/node.crt ] || { ls -la /etc/baton/tls >&2; fail "baton certs made no node.crt"; }
out="$(cd / && as_user postgres baton agent --validate-config -c /etc/baton/baton.example.yml 2>&1)" \
  || fail "validate-config of the example: $out"

if command -v systemd-analyze >/dev/null 2>&1; then
  log "systemd-analyze verify"
  systemd-analyze verify /usr/lib/systemd/system/baton.service /usr/lib/systemd/system/baton-watchdog.service \
    || fail "systemd-analyze verify"
fi

# --- 4. upgrade (the same version again) keeps an edited conffile ---------------------------
log "install again over itself"
echo "# edited by test-deb.sh" >> /etc/baton/baton.example.yml
dpkg --force-confold --force-unsafe-io -i "$deb" >/dev/null || fail "dpkg -i over the installed package"
grep -q '^# edited by test-deb.sh$' /etc/baton/baton.example.yml || fail "the upgrade replaced an edited conffile"

# --- 5. purge -------------------------------------------------------------------------------
log "apt-get purge baton"
env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $unsafe_io baton >/dev/null || fail "apt-get purge"
! dpkg -s baton >/dev/null 2>&1 || fail "baton still installed after purge"
for f in /usr/bin/baton /usr/share/baton /usr/lib/systemd/system/baton.service /etc/baton/baton.example.yml \
         /usr/lib/baton /var/cache/baton; do
  [ ! -e "$f" ] || fail "$f left after purge"
done
! dpkg-statoverride --list /etc/baton >/dev/null 2>&1 || fail "the statoverride of /etc/baton left after purge"
[ -f /etc/baton/tls/node.key ] || fail "purge removed the operator's /etc/baton/tls"
getent passwd postgres >/dev/null || fail "purge removed the postgres user"
after="$(snapshot)"
[ "$before" = "$after" ] \
  || { diff <(echo "$before") <(echo "$after") >&2; fail "install, use or purge changed /var/lib/postgresql"; }

# The test's own leftovers.
rm -rf /etc/baton/tls /var/lib/postgresql/baton-test-deb
rmdir /etc/baton
rm -f "$marker"
log "the Debian package passes ($(( $(date +%s) - started )) s)"
