#!/usr/bin/env bash
# Fuzzes the JSON API against its own OpenAPI document with schemathesis: every check,
# signed in as a fresh user, over every operation but those that would end that user's
# session (they have their own cases in server/tests/api/openapi.rs) and the live-update
# stream (server/tests/api/events.rs).
#
#   scripts/fuzz-api.sh                      start the release build on a free port, fuzz it
#   scripts/fuzz-api.sh --url http://127.0.0.1:3000
#                                            fuzz a server that is already running
#
# TICKED_BIN picks another binary (default: the release build in CARGO_TARGET_DIR or
# target/); FUZZ_MAX_EXAMPLES bounds the cases per operation (default 150, about half a minute);
# extra arguments after `--` go to `schemathesis run`. schemathesis itself comes from
# scripts/setup.sh, pinned, in .venv-schemathesis/. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

base_url=""
extra=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --url) base_url="${2%/}"; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        *) echo "usage: $0 [--url BASE_URL] [-- SCHEMATHESIS_ARGS...]" >&2; exit 2 ;;
    esac
done

st=.venv-schemathesis/bin/schemathesis
if [[ ! -x "$st" ]]; then
    echo "error: $st is missing; run scripts/setup.sh first" >&2
    exit 1
fi

server_pid=""
data_dir=""
# Stops the server we started and keeps the script's exit status (an EXIT trap's last
# command would otherwise decide it).
cleanup() {
    local status=$?
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ -n "$data_dir" ]]; then
        rm -rf "$data_dir"
    fi
    exit "$status"
}
trap cleanup EXIT

if [[ -z "$base_url" ]]; then
    bin="${TICKED_BIN:-${CARGO_TARGET_DIR:-target}/release/ticked}"
    if [[ ! -x "$bin" ]]; then
        echo "error: no server binary at $bin (cargo leptos build --release)" >&2
        exit 1
    fi
    # A port the kernel just handed out and released: free unless something races us.
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    data_dir=$(mktemp -d)
    base_url="http://127.0.0.1:$port"
    echo "==> starting $bin on $base_url"
    DATA_DIR="$data_dir" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site \
        BCRYPT_COST=4 RUST_LOG="${RUST_LOG:-warn}" "$bin" >"$data_dir/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        curl -fsS "$base_url/healthz" >/dev/null 2>&1 && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$data_dir/server.log" >&2; exit 1; }
        sleep 0.1
    done
fi

# A user of our own, signed in: the fuzzer's requests carry its access token.
email="fuzz-$(date +%s)-$RANDOM@example.com"
password="fuzz-password-$RANDOM$RANDOM"
curl -fsS -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$base_url/api/v1/users"
token=$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$base_url/api/v1/login" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

echo "==> schemathesis $("$st" --version | awk '{print $NF}') against $base_url"
start=$(date +%s)
status=0
# The operations left out end the session whose token the run uses: after one of them
# every later request would be a 401. GET /events is left out too: with a valid token it
# is a stream that runs until the token expires, so every call would hang until the
# fuzzer's timeout and count as a failure; its answers (401s, the stream's headers, every
# event) are tested in server/tests/api/events.rs.
PYTHONPATH=scripts SCHEMATHESIS_HOOKS=fuzz_hooks \
    "$st" --config-file scripts/schemathesis.toml run "$base_url/api/v1/openapi.json" \
    --url "$base_url" \
    -H "Authorization: Bearer $token" \
    --checks all \
    --max-examples "${FUZZ_MAX_EXAMPLES:-150}" \
    --exclude-operation-id logout \
    --exclude-operation-id revoke_all \
    --exclude-operation-id revoke_one \
    --exclude-operation-id delete_account \
    --exclude-operation-id change_password \
    --exclude-operation-id events \
    --seed "${FUZZ_SEED:-$RANDOM}" \
    --no-color \
    "${extra[@]}" || status=$?
echo "==> schemathesis finished in $(( $(date +%s) - start )) s"

if [[ -n "$server_pid" ]] && grep -q 'request failed' "$data_dir/server.log"; then
    echo "error: the server logged failed requests (5xx):" >&2
    grep 'request failed' "$data_dir/server.log" >&2
    status=1
fi
exit "$status"
