#!/usr/bin/env bash
# Builds the original Ionic Vue app (the one ours replaces) for bench/browser.mjs and prints the
# path of its dist/ on stdout (everything else goes to stderr, so `$(bench/build-original.sh)` works).
#
# The sources stay read-only where they are: they are copied into a cache dir and built there, and
# only when their content changed since the last build (npm ci only when the lockfile changed).
# No sources (ORIGINAL_SRC, default ../shared/seed-ionic-vue next to the repo): prints nothing and
# exits 0, and the benchmark skips the comparison.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${ORIGINAL_SRC:-$ROOT/../shared/seed-ionic-vue}
[ -f "$SRC/package.json" ] || exit 0
SRC=$(cd "$SRC" && pwd)

# Relative target dirs mean the same as for cargo run from the repo root.
cd "$ROOT"
CACHE=${CARGO_TARGET_DIR:-target}/bench-original
mkdir -p "$CACHE/src"
CACHE=$(cd "$CACHE" && pwd)

# A fingerprint of the sources' content (not their mtimes: a fresh copy of the same app is no change).
fingerprint() {
  (cd "$1" && find . \( -name node_modules -o -name dist \) -prune -o -type f -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}
SRC_HASH=$(fingerprint "$SRC")
LOCK_HASH=$(sha256sum "$SRC/package-lock.json" | cut -d' ' -f1)

if [ "$SRC_HASH" != "$(cat "$CACHE/src-hash" 2>/dev/null)" ] || [ ! -f "$CACHE/src/dist/index.html" ]; then
  echo "bench/build-original.sh: building the original app in $CACHE/src" >&2
  rm -f "$CACHE/src-hash"
  # Keep node_modules: a rebuild after a source edit needs no fresh install.
  find "$CACHE/src" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
  (cd "$SRC" && tar cf - --exclude=./node_modules --exclude=./dist .) | (cd "$CACHE/src" && tar xf -)
  chmod -R u+w "$CACHE/src" # the sources may be read-only; npm and vite write next to them
  if [ "$LOCK_HASH" != "$(cat "$CACHE/lock-hash" 2>/dev/null)" ] || [ ! -d "$CACHE/src/node_modules" ]; then
    rm -f "$CACHE/lock-hash"
    (cd "$CACHE/src" && npm ci --no-audit --no-fund --loglevel=error) >&2
    echo "$LOCK_HASH" >"$CACHE/lock-hash"
  fi
  (cd "$CACHE/src" && npx --no-install vite build --logLevel warn) >&2
  echo "$SRC_HASH" >"$CACHE/src-hash"
fi
echo "$CACHE/src/dist"
