#!/usr/bin/env bash
# Runs every test:
#   1. Rust unit and integration tests of the workspace (server over real HTTP, client against it,
#      command layer, UI logic natively);
#   2. the server suite again, and the two-instance tests, on a throwaway PostgreSQL cluster;
#   3. the official altogic JS client (2.3.9) in headless Chromium against the real server, on
#      SQLite and on PostgreSQL;
#   4. the app end to end through WebDriver (tauri-driver + WebKitWebDriver) under Xvfb and a
#      private D-Bus session with an unlocked gnome-keyring, against a real altogic-local;
#   5. a distribution build (its backend baked in, no built-in backend) end to end, the same way;
#   0. first, the app type-checks for Android (scripts/check-platforms.sh android).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each section says when it started (seconds since the script began), for CI timings.
section() { echo "== $* [+${SECONDS}s]"; }
scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PATH"
# One build serves every pass below: each cargo call selects the whole workspace, so features unify
# the same way and nothing is compiled twice (a `-p` call would rebuild its package's dependency
# graph with fewer features: 9 minutes for altogic-local, 7 for the app). Incremental caches only
# cost disk in a run that compiles each crate once.
export CARGO_INCREMENTAL=0

section "UI (wasm)"
scripts/build-ui.sh

# Throwaway PostgreSQL and S3-compatible (s3s-fs) servers, stopped on any exit.
pg_dir=$(mktemp -d)
s3_dir=$(mktemp -d)
home=$(mktemp -d)
trap 'scripts/pg.sh stop "$pg_dir"; scripts/s3.sh stop "$s3_dir"; rm -rf "$pg_dir" "$s3_dir" "$home"' EXIT
pg_url=$(scripts/pg.sh start "$pg_dir")
eval "$(scripts/s3.sh start "$s3_dir")"

section "the app type-checks for Android (scripts/check-platforms.sh; \`all\` adds iOS, macOS, Windows)"
scripts/check-platforms.sh android

section "cargo test (workspace)"
cargo test --workspace --locked 2>&1

section "altogic-local on PostgreSQL (every server test, plus two instances on one database)"
# Only altogic-local's integration tests touch a database; its unit tests do not.
local_tests=()
for f in crates/altogic-local/tests/*.rs; do local_tests+=(--test "$(basename "$f" .rs)"); done
ALTOGIC_TEST_DATABASE_URL="$pg_url" cargo test --workspace --locked "${local_tests[@]}" 2>&1

section "altogic-js 2.3.9 compatibility (headless Chromium), on SQLite and on PostgreSQL"
# The server binary the workspace tests built (its integration tests run it).
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
(cd tests/compat && ALTOGIC_LOCAL_BIN="$target_dir/debug/altogic-local" node --test 2>&1)
(cd tests/compat && COMPAT_DATABASE_URL="$pg_url" ALTOGIC_LOCAL_BIN="$target_dir/debug/altogic-local" node --test 2>&1)

section "app end to end (WebDriver, Xvfb, a Secret Service keychain)"
# Private XDG dirs: the tests never touch the real home; screenshots land in tests/artifacts/.
# Inside the private D-Bus session, gnome-keyring serves the Secret Service, unlocked (headless).
XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
  timeout 1200 xvfb-run -a dbus-run-session -- bash -c '
    echo -n e2e | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    exec cargo test --workspace --test e2e --locked -- --ignored --test-threads=1 --skip distribution::' 2>&1

section "distribution build end to end (its backend baked in, no built-in backend, no Dev mailbox)"
# Baked with a loopback altogic-local that the test starts on this port, with this key.
dist_port=47219 dist_key=e2e-distribution-key
ALTOGIC_ENV_URL="http://127.0.0.1:$dist_port" ALTOGIC_CLIENT_KEY="$dist_key" \
  cargo build -p altogic-auth --bin altogic-auth --no-default-features --features distribution --locked 2>&1
mkdir -p "$target_dir/distribution"
cp "$target_dir/debug/altogic-auth" "$target_dir/distribution/altogic-auth"
XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
ALTOGIC_DISTRIBUTION_BIN="$target_dir/distribution/altogic-auth" ALTOGIC_DISTRIBUTION_PORT="$dist_port" ALTOGIC_DISTRIBUTION_KEY="$dist_key" \
  timeout 1200 xvfb-run -a dbus-run-session -- bash -c '
    echo -n e2e | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    exec cargo test --workspace --test e2e --locked -- --ignored --test-threads=1 distribution::' 2>&1 | tee "$home/distribution.log"
# A renamed test would match nothing and pass: the run must have run it.
grep -q "test result: ok. 1 passed" "$home/distribution.log"
section "all tests passed"
