#!/usr/bin/env bash
# Installs what the tests need when missing (apt-get) and runs the whole test suite
# (unit and integration tests against real etcd, PostgreSQL, HAProxy) as an unprivileged user,
# then, as root (sudo when not root), the Debian package the build made: scripts/test-deb.sh.
#
# BATON_TEST_SOFTDOG=1 (as root): also test the Linux watchdog device path (SoftdogIT) against
# the kernel's softdog: loads it with soft_noboot=1 (an expiry only logs, never resets the
# machine) unless a watchdog driver is loaded already, and gives the test user the device.
# Without it SoftdogIT is skipped and says why.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# python3-idna: patronictl (urllib3) needs it for HTTPS, and Debian only suggests it.
ensure_packages patroni python3-idna prometheus
if [ "${BATON_TEST_SOFTDOG:-}" = 1 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "BATON_TEST_SOFTDOG=1 needs root (modprobe softdog): SoftdogIT will skip"
  elif [ ! -e /dev/watchdog ] && ! modprobe softdog soft_noboot=1; then
    log "cannot load the softdog module: SoftdogIT will skip"
  elif [ "$(cat /sys/class/watchdog/watchdog0/identity 2>/dev/null)" != "Software Watchdog" ]; then
    log "/dev/watchdog is not softdog: SoftdogIT will skip (it never touches another watchdog)"
  else
    id -u "$BATON_USER" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$BATON_USER"
    chown "$BATON_USER" /dev/watchdog
    chmod 0600 /dev/watchdog
    log "softdog loaded; /dev/watchdog belongs to $BATON_USER for SoftdogIT"
  fi
fi
run_unprivileged mvn -B verify "$@"
# Installing a package needs root, unlike the rest of the suite.
bash "$(dirname "$0")/test-deb.sh"
