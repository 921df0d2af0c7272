#!/usr/bin/env bash
# Installs what the tests need when missing (apt-get) and runs the whole test suite
# (unit and integration tests against real etcd, PostgreSQL, HAProxy) as an unprivileged user.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# python3-idna: patronictl (urllib3) needs it for HTTPS, and Debian only suggests it.
ensure_packages patroni python3-idna prometheus
run_unprivileged mvn -B verify "$@"
