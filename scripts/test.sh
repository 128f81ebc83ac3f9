#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests (real server over HTTP, real client), then the
# official altogic JS client in headless Chromium against the real server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test

echo "== cargo test (workspace)"
cargo test --workspace --locked 2>&1

echo "== altogic-js 2.3.9 compatibility (headless Chromium)"
cargo build -p altogic-local --locked --quiet
(cd tests/compat && ALTOGIC_LOCAL_BIN="$PWD/../../target/debug/altogic-local" node --test 2>&1)
echo "== all tests passed"
