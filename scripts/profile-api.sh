#!/usr/bin/env bash
# Where the release server spends its time under load: starts `ticked` on a fresh
# database, signs a user up with 50 todos, loads one request with wrk and records the
# server with `perf record -g` meanwhile. Prints the share of samples in the kernel, in
# the scheduler and futex paths, and the top symbols (BENCHMARKS.md quotes them).
#
#   scripts/profile-api.sh [sqlite|postgres] [todos|me]    (default: sqlite todos)
#
# Needs a release build (`cargo build --release -p ticked`), wrk and perf (linux-perf).
# PostgreSQL: a server at $POSTGRES_URL (default postgres://postgres@127.0.0.1:5432),
# where it creates and drops the database ticked_profile.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
endpoint=${2:-todos}
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
binary="$target_dir/release/ticked"
postgres=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
port=3917
work=$(mktemp -d)
# PERF_DATA=FILE keeps the recording for `perf report -i FILE`.
perf_data=${PERF_DATA:-$work/perf.data}
server= # set once the server starts; the trap may run before that
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

for tool in wrk perf curl python3; do
    command -v "$tool" >/dev/null || { echo "error: $tool is needed" >&2; exit 1; }
done
[[ -x $binary ]] || { echo "error: build $binary first (cargo build --release -p ticked)" >&2; exit 1; }
source scripts/seeded-server.sh

case $backend in
    sqlite) database_url="sqlite://$work/ticked.db?mode=rwc" ;;
    postgres)
        psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS ticked_profile" -c "CREATE DATABASE ticked_profile"
        database_url="$postgres/ticked_profile"
        trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"; psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS ticked_profile"' EXIT
        ;;
    *) echo "usage: $0 [sqlite|postgres] [todos|me]" >&2; exit 2 ;;
esac

start_server "$binary" "$database_url" "$work" "$port"
token=$(seed profile 50)
case $endpoint in
    todos) path=/api/v1/todos ;;
    me) path=/api/v1/users/me ;;
    *) echo "usage: $0 [sqlite|postgres] [todos|me]" >&2; exit 2 ;;
esac

wrk -t1 -c32 -d14s -H "authorization: Bearer $token" "$base$path" >"$work/wrk.txt" &
sleep 3
perf record -q -g -p "$server" -o "$perf_data" -- sleep 8 2>/dev/null
wait %2 2>/dev/null || true
grep -E "Requests/sec|Latency" "$work/wrk.txt"

perf report -i "$perf_data" --no-children --sort dso --stdio 2>/dev/null |
    grep -E '^\s+[0-9.]+%' | head -8 | sed 's/^/dso  /'
total=$(perf report -i "$perf_data" --no-children --sort sym --stdio 2>/dev/null |
    grep -E '^\s+[0-9.]+%' | awk '{s+=$1} END {print s}')
perf report -i "$perf_data" --no-children --sort sym --stdio 2>/dev/null |
    grep -E '^\s+[0-9.]+%' | awk -v total="$total" '
        /\[k\]/ { kernel += $1 }
        /\[k\].*(schedule|finish_task_switch|futex|try_to_wake_up|pick_next|enqueue_task|dequeue_task|update_curr|switch_to|__switch|select_task_rq|ttwu)/ { sched += $1 }
        END { printf "kernel: %.1f%% of samples; scheduler and futex paths: %.1f%%\n", kernel, sched }'
perf report -i "$perf_data" --no-children --sort sym --stdio 2>/dev/null |
    grep -E '^\s+[0-9.]+%' | head -25
