#!/usr/bin/env bash
# A size profile of the WASM bundle: which crates and which functions its bytes are.
#
#   scripts/wasm-profile.sh [N]     the crates, then the N largest functions (default 30)
#
# Run after `make build`. It takes the module rustc built last for a release bundle (after
# `make build`, the signed-out pages' `ticked-signed-out`, which the Makefile's
# `build_bundles` builds last), passes it through wasm-bindgen and wasm-opt as
# cargo-leptos does (with the flags of `wasm-opt-features` in Cargo.toml), but keeps the
# function names (which the shipped file drops), and has twiggy measure each function's
# code. The total is within a few per cent of the shipped `.wasm`; BENCHMARKS.md reads it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"

scripts/setup.sh --size-profile >/dev/null
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
module="$target_dir/front/wasm32-unknown-unknown/wasm-release/frontend.wasm"
if [[ ! -f "$module" ]]; then
    echo "error: no $module: run \`make build\` first" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wasm-bindgen --target web --keep-debug --out-dir "$work" --out-name ticked "$module"
# The shipped module's flags, read from Cargo.toml so that the two cannot drift apart.
read -ra wasm_opt_flags < <(sed -n 's/^wasm-opt-features = \[\(.*\)\]$/\1/p' Cargo.toml | tr -d '",')
if [[ ${#wasm_opt_flags[@]} -eq 0 ]]; then
    echo "error: no wasm-opt-features in Cargo.toml" >&2
    exit 1
fi
wasm-opt "${wasm_opt_flags[@]}" -g "$work/ticked_bg.wasm" -o "$work/named.wasm"
twiggy top -n 1000000 -f csv "$work/named.wasm" >"$work/top.csv"
python3 scripts/wasm_profile.py "$work/top.csv" "${1:-30}"
