#!/usr/bin/env bash
# Load benchmark of the release altogic-local (not a test): sign-in and authenticated
# GET /auth/sessions with wrk on loopback, then the argon2id cost with criterion for comparison,
# then the app's cold start. BENCH_ONLY=server stops after the server; BASELINE_BIN=<binary>
# measures an older altogic-local first, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { sudo_or() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }; sudo_or apt-get install -y -qq wrk; }
cargo build -p altogic-local --release --locked --quiet

# bench_server BIN [EXTRA ARGS…]: sign-in and authenticated GET /auth/sessions against BIN.
# BASELINE_BIN=path/to/an/older/altogic-local runs the same load against it first, in this same
# invocation, so the two are compared on the same machine state.
bench_server() {
  local bin=$1; shift
  local dir; dir=$(mktemp -d)
  "$bin" serve --listen 127.0.0.1:0 --data-dir "$dir" --client-key "$BENCH_KEY" \
    --email-verification false --auth-rate-limit 0 "$@" >"$dir/out" 2>/dev/null &
  local pid=$!
  for _ in $(seq 50); do grep -q listening "$dir/out" 2>/dev/null && break; sleep 0.1; done
  local url; url=$(sed -n 's/^altogic-local listening on //p' "$dir/out")
  signup() {
    curl -sf -H "X-Client-Key: $BENCH_KEY" -H 'Content-Type: application/json' \
      -d "{\"email\":\"$1\",\"password\":\"bench password 123\",\"nameOrUserData\":\"Bench\"}" "$url/_api/rest/v1/auth/signup-email" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["session"]["token"])'
  }
  signup bench@example.com >/dev/null
  # The sessions benchmark uses its own user with a realistic 3 sessions (the sign-in run creates thousands).
  BENCH_SESSION=$(signup sessions@example.com)
  export BENCH_SESSION
  for _ in 1 2; do curl -sf -o /dev/null -H "X-Client-Key: $BENCH_KEY" -H 'Content-Type: application/json' \
    -d '{"email":"sessions@example.com","password":"bench password 123"}' "$url/_api/rest/v1/auth/signin-email"; done
  echo "== [$bin] sign-in (argon2id verify per request), 2 threads, 8 connections, 20 s"
  wrk -t2 -c8 -d20s --latency -s bench/signin.lua "$url/_api/rest/v1/auth/signin-email"
  echo "== [$bin] GET /auth/sessions (authenticated), 2 threads, 32 connections, 20 s"
  wrk -t2 -c32 -d20s --latency -s bench/sessions.lua "$url/_api/rest/v1/auth/sessions"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
export BENCH_KEY=bench-key
if [ -n "${BASELINE_BIN:-}" ]; then
  bench_server "$BASELINE_BIN"
fi
# The per-account sign-in throttle would stop a benchmark that signs one account in 10,000 times.
bench_server target/release/altogic-local --signin-attempts 0
[ "${BENCH_ONLY:-}" = server ] && exit 0
echo "== argon2id hash cost (criterion)"
cargo bench -p altogic-local --bench password_hash --locked 2>&1 | grep -E "time:|argon2id|error" || true

echo "== app cold start to an interactive Login screen (release build, WebDriver under Xvfb)"
scripts/build-ui.sh
timeout 1800 xvfb-run -a dbus-run-session -- cargo bench --bench cold_start --locked 2>&1 | grep -E "launch →"
echo "== release UI bundle (gzip): see the build-ui.sh summary above"
