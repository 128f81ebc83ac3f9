#!/usr/bin/env bash
# Runs the app (installing what it needs): builds the UI and starts `cargo tauri dev`.
# With no backend configured (ALTOGIC_ENV_URL + ALTOGIC_CLIENT_KEY, or backend.json in the app's
# config dir) the app starts its built-in altogic-local, with a Dev mailbox screen.
#   scripts/run.sh            the app
#   scripts/run.sh --server   only altogic-local, on http://127.0.0.1:7171 (data in .data/altogic-local)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
if [ "${1:-}" = "--server" ]; then
  shift
  exec cargo run -p altogic-local --release --locked -- serve --data-dir .data/altogic-local "$@"
fi
export PATH="$HOME/.cargo/bin:$PATH"
exec cargo tauri dev "$@"
