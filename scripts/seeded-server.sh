# Sourced by the scripts that load the release server (profile-api.sh, postgres-cpu.sh):
# starting it on a database of its own, and giving it users with todos.

# Starts `$1` (the server's binary) on database URL `$2`, data directory `$3` and port
# `$4`, with a fast bcrypt and long-lived tokens, its log in `$3/server.log`; sets
# `server` (its pid) and `base` (its URL) and returns once it is ready.
start_server() {
    DATABASE_URL=$2 DATA_DIR=$3 LEPTOS_SITE_ADDR=127.0.0.1:$4 \
        LEPTOS_SITE_ROOT=target/site BCRYPT_COST=4 ACCESS_TOKEN_TTL_SECONDS=3600 RUST_LOG=warn \
        "$1" >"$3/server.log" 2>&1 &
    server=$!
    base=http://127.0.0.1:$4
    for _ in $(seq 100); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.1; done
}

# Signs `$1@example.com` up and in on $base, gives them `$2` todos, and prints their
# access token.
seed() {
    local body token
    body="{\"email\":\"$1@example.com\",\"password\":\"correct horse battery\"}"
    curl -fs -H 'content-type: application/json' -d "$body" "$base/api/v1/users" >/dev/null
    token=$(curl -fs -H 'content-type: application/json' -d "$body" "$base/api/v1/login" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    for i in $(seq "$2"); do
        curl -fs -H "authorization: Bearer $token" -H 'content-type: application/json' \
            -d "{\"title\":\"todo $i\"}" "$base/api/v1/todos" >/dev/null
    done
    echo "$token"
}
