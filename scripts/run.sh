#!/usr/bin/env bash
# Runs altogic-local with its dev mailbox on http://127.0.0.1:7171 (data in .data/altogic-local).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
exec cargo run -p altogic-local --release --locked -- serve --data-dir .data/altogic-local "$@"
