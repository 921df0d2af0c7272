#!/usr/bin/env bash
# Installs what the tests need when missing (apt-get) and runs the whole test suite
# (unit and integration tests against real etcd, PostgreSQL, HAProxy) as an unprivileged user.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ensure_packages patroni prometheus
run_unprivileged mvn -B verify "$@"
