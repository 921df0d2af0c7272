#!/usr/bin/env bash
# Installs etcd, PostgreSQL 15 and HAProxy when missing (apt-get), builds Baton and runs `baton demo`.
# Arguments are passed to `baton demo` (e.g. --keep, --no-wait).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ensure_packages
run_unprivileged bash -c 'mvn -B -q -DskipTests package && exec bin/baton demo "$@"' demo "$@"
