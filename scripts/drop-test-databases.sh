#!/usr/bin/env bash
# Drops the databases that earlier PostgreSQL test runs created (ticked_test_*), so they do
# not pile up on a developer's or CI's server. Each test makes its own; none are reused.
#
#   scripts/drop-test-databases.sh postgres://user@host:port/db
set -euo pipefail
url=${1:?usage: $0 POSTGRES_URL}
command -v psql >/dev/null 2>&1 || { echo "psql not found: leaving old test databases alone"; exit 0; }
psql "$url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'ticked\_test\_%'" |
while read -r name; do
    psql "$url" -qc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null
done
