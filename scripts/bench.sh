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
  # With SECOND_URL (another instance on the same database), the same load goes to it at once.
  run_wrk() {
    local script=$1 path=$2 conns=$3
    if [ -n "${SECOND_URL:-}" ]; then
      wrk -t1 -c"$conns" -d20s --latency -s "$script" "$SECOND_URL$path" >"$dir/second" &
      local w=$!
      wrk -t1 -c"$conns" -d20s --latency -s "$script" "$url$path"
      wait "$w"; echo "-- second instance:"; cat "$dir/second"
    else
      wrk -t2 -c"$conns" -d20s --latency -s "$script" "$url$path"
    fi
  }
  echo "== [$bin $*] sign-in (argon2id verify per request), 8 connections, 20 s"
  run_wrk bench/signin.lua /_api/rest/v1/auth/signin-email 8
  echo "== [$bin $*] GET /auth/sessions (authenticated), 32 connections, 20 s"
  run_wrk bench/sessions.lua /_api/rest/v1/auth/sessions 32
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
export BENCH_KEY=bench-key
if [ -n "${BASELINE_BIN:-}" ]; then
  bench_server "$BASELINE_BIN"
fi
# The per-account sign-in throttle would stop a benchmark that signs one account in 10,000 times.
bench_server target/release/altogic-local --signin-attempts 0

# PostgreSQL (BENCH_PG=1): one instance, then two on one database, each driven by its own wrk at
# the same time (their req/s add up: that is what a load balancer in front would see).
if [ -n "${BENCH_PG:-}" ]; then
  pg_dir=$(mktemp -d)
  trap 'scripts/pg.sh stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
  pg_url=$(scripts/pg.sh start "$pg_dir")
  db="${pg_url%/*}/bench"
  psql -q "$pg_url" -c "CREATE DATABASE bench"
  target/release/altogic-local migrate --database-url "$db" >/dev/null
  echo "== PostgreSQL, one instance"
  bench_server target/release/altogic-local --signin-attempts 0 --database-url "$db"
  echo "== PostgreSQL, two instances (two wrk runs at once; add their Requests/sec)"
  db="${pg_url%/*}/bench2"
  psql -q "$pg_url" -c "CREATE DATABASE bench2"
  target/release/altogic-local migrate --database-url "$db" >/dev/null
  dir2=$(mktemp -d)
  target/release/altogic-local serve --listen 127.0.0.1:0 --data-dir "$dir2" --client-key "$BENCH_KEY" \
    --email-verification false --auth-rate-limit 0 --signin-attempts 0 --database-url "$db" >"$dir2/out" 2>/dev/null &
  pid2=$!
  for _ in $(seq 50); do grep -q listening "$dir2/out" 2>/dev/null && break; sleep 0.1; done
  SECOND_URL=$(sed -n 's/^altogic-local listening on //p' "$dir2/out")
  export SECOND_URL
  bench_server target/release/altogic-local --signin-attempts 0 --database-url "$db"
  kill "$pid2"; rm -rf "$dir2"
fi
[ "${BENCH_ONLY:-}" = server ] && exit 0
echo "== argon2id hash cost (criterion)"
cargo bench -p altogic-local --bench password_hash --locked 2>&1 | grep -E "time:|argon2id|error" || true

echo "== app cold start to an interactive Login screen (release build, WebDriver under Xvfb)"
scripts/build-ui.sh
timeout 1800 xvfb-run -a dbus-run-session -- cargo bench --bench cold_start --locked 2>&1 | grep -E "launch →"
echo "== release UI bundle (gzip): see the build-ui.sh summary above"
