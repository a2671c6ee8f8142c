# Ticked's two everyday commands:
#
#   make run    build and serve the app on http://127.0.0.1:3000 (SQLite under ./data)
#   make test   every check and test; exits non-zero if anything fails
#   make bench  the benchmarks of BENCHMARKS.md (bench/run)
#
# Both install what they need first (scripts/setup.sh), and skip what is already there.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

export PATH := $(HOME)/.cargo/bin:$(CURDIR)/end2end/node_modules/.bin:$(PATH)
export RUSTUP_AUTO_INSTALL := 1
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
WASM_TARGET := wasm32-unknown-unknown

# Release builds name the bundle's files by their content (LEPTOS_HASH_FILES), so the server
# can let browsers keep them for good, and write their brotli and gzip versions once, at the
# best level (--precompress). `cargo leptos watch` keeps plain names: it does not rename
# the files it rebuilds.
RELEASE := env LEPTOS_HASH_FILES=true cargo leptos

# The release WASM is built on its own (--frontend-only) with its own copy of the standard
# library (`-Zbuild-std`, from rust-toolchain.toml's `rust-src`), compiled for size
# (`optimize_for_size`), and with panics that stop the module at once
# (`panic=immediate-abort`): no unwinding, no panic messages or their file and line
# strings, 8 % less to download (BENCHMARKS.md, "Page weight"). A panic in the browser is
# a bug either way; the debug build of `make watch` keeps the messages. These are unstable
# options of the pinned stable toolchain, which RUSTC_BOOTSTRAP allows: it is set for the
# WASM's build alone, because build scripts of the server's dependencies look at it and
# would change what they build.
WASM_RUSTFLAGS := --cfg erase_components -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none
RELEASE_WASM := env RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$(WASM_RUSTFLAGS)" \
	$(RELEASE) build --release --precompress --frontend-only \
	--lib-cargo-args=-Zbuild-std=std,panic_abort \
	--lib-cargo-args=-Zbuild-std-features=optimize_for_size

# The browser's bundles, one per kind of page (`Bundle` in app/src/routes.rs), so that a
# page downloads only its own islands: `ticked` with the todo list's, and beside it
# `ticked-account` with the account page's and `ticked-signed-out` with those of the
# signed-out pages. A cargo-leptos frontend build empties its site root first, so each
# separate bundle is built in a root of its own and its files are copied beside the main
# one's; its hashes go to their own file beside the server (`Bundle::hash_file`).
SEPARATE_BUNDLES := account-page:ticked-account:hash-account.txt \
	signed-out-pages:ticked-signed-out:hash-signed-out.txt
define build_bundles
	$(RELEASE_WASM) --lib-features todo-pages
	for bundle in $(SEPARATE_BUNDLES); do \
		IFS=: read -r features name hash_file <<<"$$bundle"; \
		env LEPTOS_OUTPUT_NAME="$$name" LEPTOS_HASH_FILE_NAME="$$hash_file" \
			LEPTOS_SITE_ROOT="target/site-$$name" \
			$(RELEASE_WASM) --lib-features "$$features"; \
		cp "target/site-$$name/pkg/$$name".* target/site/pkg/; \
	done
endef

.PHONY: help setup run watch build test lint unit fuzz e2e fmt screenshots bench

help:
	@echo "make run     build and serve Ticked on http://127.0.0.1:3000"
	@echo "make test    formatting, clippy, unit, integration and browser tests"
	@echo "make watch   development server with live reload (cargo leptos watch)"
	@echo "make bench   benchmarks: release builds under load, printed as a table"

setup:
	scripts/setup.sh

run: setup
	$(build_bundles)
	$(RELEASE) serve --release --server-only

watch: setup
	cargo leptos watch

build: setup
	$(build_bundles)
	$(RELEASE) build --release --server-only
	@# cargo-leptos's gzip files (libflate) are 16 % larger than gzip -9's; browsers
	@# without brotli get these.
	for file in target/site/pkg/*.{wasm,js,css}; do gzip -9 -n -c "$$file" >"$$file.gz"; done

test:
	scripts/setup.sh --browser
	$(MAKE) lint unit build
	$(MAKE) fuzz e2e

lint:
	@echo "==> rustfmt"
	cargo fmt --all -- --check
	@echo "==> clippy (server side)"
	cargo clippy -p ticked -p app -p migration -p ticked-bench --all-targets -- -D warnings
	@echo "==> clippy (browser side: one bundle with every page, then each of make build's)"
	cargo clippy -p frontend -p app --target $(WASM_TARGET) -- -D warnings
	for pages in todo-pages account-page signed-out-pages; do \
		cargo clippy -p frontend --no-default-features --features "$$pages" \
			--target $(WASM_TARGET) -- -D warnings; \
	done

unit:
	@# The first pass is SQLite's: the tests pick PostgreSQL whenever TEST_DATABASE_URL is set.
	@echo "==> unit and integration tests (SQLite)"
	env -u TEST_DATABASE_URL cargo test -p ticked -p app -p migration -p ticked-bench
	@if [[ -n "$${TEST_DATABASE_URL:-}" ]]; then \
		echo "==> server unit and integration tests (PostgreSQL at $${TEST_DATABASE_URL})"; \
		scripts/drop-test-databases.sh "$$TEST_DATABASE_URL"; \
		cargo test -p ticked --lib --test api; \
	else \
		echo "==> TEST_DATABASE_URL not set: skipping the PostgreSQL run"; \
	fi

# schemathesis against the release build, signed in, every check (scripts/fuzz-api.sh).
fuzz:
	@echo "==> API fuzzing (schemathesis, release build)"
	TICKED_BIN="$(TARGET_DIR)/release/ticked" scripts/fuzz-api.sh

e2e:
	@echo "==> browser tests (release build, headless Chromium)"
	cd end2end && TICKED_BIN="$(TARGET_DIR)/release/ticked" npx playwright test

# Every scenario on SQLite and (when it answers) PostgreSQL; see BENCHMARKS.md.
bench:
	bench/run

fmt:
	cargo fmt --all

# Retakes the README's screenshots (docs/screenshot-*.png) from the real app.
screenshots: build
	cd end2end && UPDATE_SCREENSHOTS=1 TICKED_BIN="$(TARGET_DIR)/release/ticked" npx playwright test screenshots.spec.ts
