#!/usr/bin/env bash
# Installs what the project needs, idempotently: fast when everything is already there.
#   scripts/setup.sh test   – what the test suite needs (browsers, npm test deps)
#   scripts/setup.sh run    – what running needs
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-test}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages, installed only when one is missing (dpkg is checked first: no apt-get update otherwise).
apt_need() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

command -v cargo >/dev/null || { echo "setup: cargo is missing; install Rust with rustup first" >&2; exit 1; }

apt_need build-essential pkg-config ca-certificates

if [ "$what" = test ]; then
  # Headless Chromium runs the official altogic JS client in the compatibility test.
  apt_need chromium
  # The machine image ships Node.js and npm; Debian's are only the fallback.
  command -v npm >/dev/null || apt_need nodejs npm
  if [ ! -d tests/compat/node_modules/altogic ] || [ tests/compat/package-lock.json -nt tests/compat/node_modules/.package-lock.json ]; then
    (cd tests/compat && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
echo "setup: ok ($what)"
