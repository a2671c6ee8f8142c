#!/usr/bin/env bash
# Installs what building and testing Ticked needs, and skips whatever is already there.
#
#   scripts/setup.sh            toolchain, cargo-leptos, wasm-bindgen, npm packages,
#                               schemathesis (for scripts/fuzz-api.sh)
#   scripts/setup.sh --browser  the same, plus a Chromium for the browser tests
#   scripts/setup.sh --size-profile
#                               the same, plus twiggy (for scripts/wasm-profile.sh)
#
# Nothing is downloaded from outside the package registries (crates.io, npm, Debian) and
# the Rust toolchain server: cargo-leptos would otherwise fetch wasm-bindgen and wasm-opt
# from GitHub, so both are installed here and found on PATH instead.
set -euo pipefail

cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.11
TWIGGY_VERSION=0.8.0
SCHEMATHESIS_VERSION=4.32.5
# The CLI must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)

want_browser=false
want_twiggy=false
for flag in "$@"; do
    case "$flag" in
        --browser) want_browser=true ;;
        --size-profile) want_twiggy=true ;;
        *) echo "error: unknown option $flag (expected --browser or --size-profile)" >&2; exit 2 ;;
    esac
done

step() { printf '\n==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; elif have sudo; then sudo "$@"; else return 1; fi; }

apt_updated=false
apt_install() {
    if ! have apt-get; then
        echo "error: please install $* with your system's package manager" >&2
        exit 1
    fi
    if ! $apt_updated; then
        as_root apt-get update -qq
        apt_updated=true
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

step "Rust toolchain (rust-toolchain.toml)"
if ! have rustup; then
    echo "Installing rustup from the Rust toolchain server"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain none
    # shellcheck disable=SC1091
    source "$HOME/.cargo/env"
fi
rustup toolchain install
rustc --version

export PATH="$HOME/.cargo/bin:$PATH"

step "cargo-leptos $CARGO_LEPTOS_VERSION"
if [[ "$(cargo leptos --version 2>/dev/null || true)" == *"$CARGO_LEPTOS_VERSION"* ]]; then
    echo "already installed"
else
    have pkg-config || apt_install pkg-config
    echo "Building from crates.io (about 15 minutes on 2 cores; once per machine)"
    # Its own release profile asks for fat LTO with one codegen unit, which triples the
    # build time of a tool whose speed does not matter much.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
fi

step "wasm-bindgen-cli $WASM_BINDGEN_VERSION"
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" == *"$WASM_BINDGEN_VERSION"* ]]; then
    echo "already installed"
else
    # Not --locked: its lockfile pins a webpki-roots the registry no longer serves.
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

step "Node.js packages (end2end/: Playwright, and binaryen's wasm-opt)"
if ! have npm; then
    apt_install nodejs npm
fi
if [[ -x end2end/node_modules/.bin/wasm-opt && end2end/node_modules/.package-lock.json -nt end2end/package-lock.json ]]; then
    echo "already installed"
else
    (cd end2end && npm ci --no-audit --no-fund)
fi

step "schemathesis $SCHEMATHESIS_VERSION (API fuzzer, in .venv-schemathesis/)"
if [[ "$(.venv-schemathesis/bin/schemathesis --version 2>/dev/null || true)" == *" $SCHEMATHESIS_VERSION" ]]; then
    echo "already installed"
else
    have python3 || apt_install python3
    # Debian splits `venv` (and the pip it bootstraps) into its own package.
    python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
    rm -rf .venv-schemathesis
    python3 -m venv .venv-schemathesis
    .venv-schemathesis/bin/pip install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION"
fi

if $want_browser; then
    step "Chromium for the browser tests"
    if [[ -n "${CHROMIUM_PATH:-}" && -x "${CHROMIUM_PATH}" ]] || have chromium; then
        echo "found $(command -v chromium || echo "$CHROMIUM_PATH")"
    else
        # Playwright's own browser download cannot reach its servers from here, so we use
        # the distribution's Chromium.
        apt_install chromium
    fi
fi

if $want_twiggy; then
    step "twiggy $TWIGGY_VERSION (WASM size profiler)"
    if [[ "$(twiggy --version 2>/dev/null || true)" == *"$TWIGGY_VERSION"* ]]; then
        echo "already installed"
    else
        CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo install twiggy --locked --version "$TWIGGY_VERSION"
    fi
fi

step "Ready"
