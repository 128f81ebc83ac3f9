#!/usr/bin/env bash
# Runs every test:
#   1. Rust unit and integration tests of the workspace (server over real HTTP, client against it,
#      command layer, UI logic natively);
#   2. the official altogic JS client (2.3.9) in headless Chromium against the real server;
#   3. the app end to end through WebDriver (tauri-driver + WebKitWebDriver) under Xvfb and a
#      private D-Bus session, against a real altogic-local.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PATH"

echo "== UI (wasm)"
scripts/build-ui.sh

echo "== cargo test (workspace)"
cargo test --workspace --locked 2>&1

echo "== altogic-js 2.3.9 compatibility (headless Chromium)"
cargo build -p altogic-local --locked --quiet
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
(cd tests/compat && ALTOGIC_LOCAL_BIN="$target_dir/debug/altogic-local" node --test 2>&1)

echo "== app end to end (WebDriver, Xvfb)"
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
# Private XDG dirs: the tests never touch the real home; screenshots land in tests/artifacts/.
XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
  timeout 1200 xvfb-run -a dbus-run-session -- \
  cargo test -p altogic-auth --test e2e --locked -- --ignored --test-threads=1 2>&1
echo "== all tests passed"
