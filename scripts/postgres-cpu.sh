#!/usr/bin/env bash
# Where the CPU of a PostgreSQL request goes, and what two cores could do at best
# (issue #12). Seeds a fresh database through the release server (a reader with 50
# todos, a writer with one, as ticked-bench does), then, for each API scenario:
#
# - through the server: wrk from 32 connections, and the CPU time the server, all of
#   PostgreSQL's processes and wrk took per request;
# - PostgreSQL alone: the server stopped, `pgbench` runs the same statements (prepared,
#   each in its own transaction, as the server sends them) from as many connections as
#   the server's pool has, and the CPU time PostgreSQL and pgbench took per request;
# - the bound: two cores divided by PostgreSQL's own time plus what the ceiling (a bare
#   axum handler, `ticked-bench ceiling`) and wrk take per request: the rate of a server
#   that sent these statements and cost no more than a bare handler.
#
#   scripts/postgres-cpu.sh [seconds per run]    (default 8; TICKED=BINARY for another build)
#
# The statements are the ones the server sends (PostgreSQL's `log_statement = all` shows
# them); change them here when the server's change. Needs the release builds (`make
# build`, `cargo build --release -p ticked-bench`), wrk, pgbench (Debian's postgresql
# package has it) and psql. PostgreSQL: a server at $POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432), where it creates and drops ticked_pg_cpu.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-8}
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
binary=${TICKED:-$target_dir/release/ticked}
bench="$target_dir/release/ticked-bench"
postgres=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
database=$postgres/ticked_pg_cpu
# The server's PostgreSQL pool (`db::POSTGRES_MAX_CONNECTIONS`).
connections=16
port=3918
ceiling_port=3919
work=$(mktemp -d)
server=
ceiling=
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; [[ -n "$ceiling" ]] && kill "$ceiling" 2>/dev/null; rm -rf "$work"; psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS ticked_pg_cpu"' EXIT

for tool in wrk pgbench psql curl python3; do
    command -v "$tool" >/dev/null || { echo "error: $tool is needed" >&2; exit 1; }
done
[[ -x $binary ]] || { echo "error: build $binary first (make build)" >&2; exit 1; }
[[ -x $bench ]] || { echo "error: build $bench first (cargo build --release -p ticked-bench)" >&2; exit 1; }
cpu_seconds="python3 scripts/cpu_seconds.py"
source scripts/seeded-server.sh

psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS ticked_pg_cpu" -c "CREATE DATABASE ticked_pg_cpu"
start_server "$binary" "$database" "$work" "$port"
reader_token=$(seed reader 50)
writer_token=$(seed writer 1)

# The user's id and session's id of `$1`, and the id of the user's first todo.
ids() {
    psql "$database" -Atc "SELECT s.user_id, s.id,
        (SELECT t.id FROM todos t WHERE t.user_id = s.user_id ORDER BY t.created_at LIMIT 1)
        FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = '$1@example.com'"
}
IFS='|' read -r reader_user reader_session _ <<<"$(ids reader)"
IFS='|' read -r writer_user writer_session patched <<<"$(ids writer)"

printf 'wrk.method = "POST"\nwrk.body = [[{"title":"Benchmark todo"}]]\nwrk.headers["Content-Type"] = "application/json"\n' >"$work/post.lua"
printf 'wrk.method = "PATCH"\nwrk.body = [[{"completed":true}]]\nwrk.headers["Content-Type"] = "application/json"\n' >"$work/patch.lua"

# Microseconds of CPU per request: `$1` seconds over `$2` requests.
per_request() { python3 -c "print(round($1 * 1e6 / $2))"; }

# Loads `$2` (a path on the server, or a URL) with wrk as token `$3`, wrk script `$4`
# if any, while the CPU of process `$1` is counted. Sets `rate`, `requests` and
# `cpu_server`, `cpu_postgres`, `cpu_generator` (µs per request).
load() {
    local url=$2 script=() times
    [[ $url == http* ]] || url=$base$url
    [[ -n ${4:-} ]] && script=(-s "$4")
    times=$($cpu_seconds "$work/wrk.txt" --server "$1" -- \
        wrk -t1 -c32 -d"${seconds}s" "${script[@]}" -H "authorization: Bearer $3" "$url")
    requests=$(sed -nE 's/^ *([0-9]+) requests in .*/\1/p' "$work/wrk.txt")
    rate=$(sed -nE 's/^Requests\/sec: *([0-9]+)\..*/\1/p' "$work/wrk.txt")
    read_times "$times"
    if grep -q 'Non-2xx' "$work/wrk.txt"; then
        echo "error: $url answered errors:" >&2; cat "$work/wrk.txt" >&2; exit 1
    fi
}

# Sets the cpu_* figures from cpu_seconds.py's line `$1`, per $requests.
read_times() {
    local generator server_time postgres_time
    generator=$(sed -nE 's/.*generator=([0-9.]+).*/\1/p' <<<"$1")
    server_time=$(sed -nE 's/.*server=([0-9.]+).*/\1/p' <<<"$1")
    postgres_time=$(sed -nE 's/.*postgres=([0-9.]+).*/\1/p' <<<"$1")
    cpu_generator=$(per_request "$generator" "$requests")
    cpu_server=$(per_request "$server_time" "$requests")
    cpu_postgres=$(per_request "$postgres_time" "$requests")
}

# The ceiling first, alone on the machine.
"$bench" ceiling "127.0.0.1:$ceiling_port" &
ceiling=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$ceiling_port/" >/dev/null && break; sleep 0.1; done
load "$ceiling" "http://127.0.0.1:$ceiling_port/" none
ceiling_rate=$rate
ceiling_cost=$((cpu_server + cpu_generator))
echo "ceiling: $ceiling_rate/s, the handler ${cpu_server} µs and wrk ${cpu_generator} µs of CPU a request"
kill "$ceiling"
ceiling=

declare -A through
load "$server" /api/v1/todos "$reader_token"
through[todos]="$rate/s | $cpu_server | $cpu_postgres | $cpu_generator"
load "$server" /api/v1/todos "$writer_token" "$work/post.lua"
through[post]="$rate/s | $cpu_server | $cpu_postgres | $cpu_generator"
load "$server" "/api/v1/todos/$patched" "$writer_token" "$work/patch.lua"
through[patch]="$rate/s | $cpu_server | $cpu_postgres | $cpu_generator"
load "$server" /api/v1/users/me "$reader_token"
through[me]="$rate/s | $cpu_server | $cpu_postgres | $cpu_generator"
kill "$server"
wait "$server" 2>/dev/null || true
server=

cat >"$work/me.sql" <<'SQL'
SELECT "users"."id", "users"."email", "users"."email_normalized", "users"."password_hash", "users"."created_at", "users"."updated_at" FROM "users" WHERE "users"."id" = :user AND EXISTS(SELECT 1 FROM "sessions" WHERE "sessions"."id" = :session AND "sessions"."user_id" = :user AND "sessions"."revoked_at" IS NULL) LIMIT 1;
SQL
cat >"$work/todos.sql" <<'SQL'
SELECT CAST(SUM("todo_counts"."active_count") AS BIGINT) AS "active_count", CAST(SUM("todo_counts"."completed_count") AS BIGINT) AS "completed_count" FROM "sessions" LEFT JOIN "todo_counts" ON "sessions"."user_id" = "todo_counts"."user_id" WHERE "sessions"."id" = :session AND "sessions"."user_id" = :user AND "sessions"."revoked_at" IS NULL GROUP BY "sessions"."id" LIMIT 1;
SELECT "todos"."id", "todos"."user_id", "todos"."title", "todos"."completed", "todos"."created_at", "todos"."updated_at" FROM "todos" WHERE "todos"."user_id" = :user ORDER BY "todos"."created_at" ASC, "todos"."id" ASC LIMIT 1001;
SQL
# Each write checks the session in its own statement (`sessions::live_condition`).
live_session='EXISTS(SELECT 1 FROM "sessions" WHERE "sessions"."id" = :session AND "sessions"."user_id" = :user AND "sessions"."revoked_at" IS NULL)'
# A new todo's id is gen_random_uuid() (a v4) where the server sends a v7: random places
# in the primary key cost PostgreSQL a little more, so if anything the figures are low.
# The event's data as the server sends it, give or take a byte: pgbench would read a colon
# followed by a name (`:false`, `:30`) as a variable, so a space or a dot stands in.
# The sequencing run with a fixed lock key: any key is one user's lock.
sequencing='SELECT first_sequenced, last_sequenced, sequenced FROM sequence_staged_events(:user, 42, '\''ticked_events'\'');'
create='WITH "written" AS (INSERT INTO "todos" ("id", "user_id", "title", "completed", "created_at", "updated_at") SELECT gen_random_uuid(), :user, '\''Benchmark todo'\'', false, now(), now() WHERE '"$live_session"' RETURNING *) , "staged" AS (INSERT INTO "staged_events" ("user_id", "kind", "data", "created_at") SELECT :user, '\''todo'\'', '\''{"id": "01a24de8-a51e-706f-b45e-ab6204879a49", "title": "Benchmark todo", "completed": false, "created_at": "2026-12-07T00.30.21.982256Z", "updated_at": "2026-12-07T00.30.21.982256Z"}'\'', now() FROM "written") SELECT * FROM "written";'
patch='WITH "written" AS (UPDATE "todos" SET "updated_at" = now(), "completed" = true WHERE "todos"."id" = :todo AND "todos"."user_id" = :user AND '"$live_session"' RETURNING *) , "staged" AS (INSERT INTO "staged_events" ("user_id", "kind", "data", "created_at") SELECT :user, '\''todo'\'', todo_json("id", "title", "completed", "created_at", "updated_at"), now() FROM "written") SELECT * FROM "written";'
printf '%s\n' "$create" >"$work/post-write.sql"
printf '%s\n%s\n' "$create" "$sequencing" >"$work/post.sql"
printf '%s\n' "$patch" >"$work/patch-write.sql"
printf '%s\n%s\n' "$patch" "$sequencing" >"$work/patch.sql"

# Runs `$2`.sql as user `$3` with session `$4`; prints one row of the table for `$1`.
alone() {
    local times bound
    times=$($cpu_seconds "$work/pgbench.txt" -- pgbench -n -M prepared -c "$connections" \
        -j 1 -T "$seconds" -D user="$3" -D session="$4" -D todo="$patched" \
        -f "$work/$2.sql" "$database")
    requests=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$work/pgbench.txt")
    rate=$(sed -nE 's/^tps = ([0-9]+)\..*/\1/p' "$work/pgbench.txt")
    read_times "$times"
    # Two cores' worth of µs a second, over PostgreSQL's and the ceiling's per request.
    bound=$(python3 -c "print(round(2e6 / ($cpu_postgres + $ceiling_cost)))")
    printf '| %s | %s | %s/s | %s | %s | %s/s (%s %%) |\n' "$1" "${through[$2]:-(the row above) | | | }" \
        "$rate" "$cpu_postgres" "$cpu_generator" "$bound" \
        "$(python3 -c "print(round(100 * $bound / $ceiling_rate, 1))")"
}
echo
echo "Through the server: wrk, 32 connections. PostgreSQL alone: pgbench, $connections connections. ${seconds} s a run; CPU in µs per request."
echo
echo '| scenario | through the server | server | PostgreSQL | wrk | PostgreSQL alone | PostgreSQL | pgbench | at most, on two cores (of the ceiling) |'
echo '|---|--:|--:|--:|--:|--:|--:|--:|--:|'
alone "1. GET /todos (50 todos)" todos "$reader_user" "$reader_session"
alone "2. POST /todos, a sequencing run each" post "$writer_user" "$writer_session"
alone "2. POST /todos, no sequencing run" post-write "$writer_user" "$writer_session"
alone "3. PATCH /todos/{id} (one todo), a sequencing run each" patch "$writer_user" "$writer_session"
alone "3. PATCH /todos/{id} (one todo), no sequencing run" patch-write "$writer_user" "$writer_session"
alone "4. GET /users/me" me "$reader_user" "$reader_session"
