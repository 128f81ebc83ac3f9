#!/usr/bin/env bash
# Builds the Dioxus web UI (ui/) into ui/dist/: wasm32 build → wasm-bindgen (--target web) →
# wasm-opt -Oz (release) → index.html + assets. Idempotent; fast when nothing changed.
#
#   scripts/build-ui.sh           release build (cargo profile `ui-release`, wasm-opt -Oz)
#   scripts/build-ui.sh --debug   debug build (no wasm-opt)
#   scripts/build-ui.sh --crate bench/dioxus-floor   another web crate of the workspace, built the
#                                 same way into its own dist/ (the bundle benchmark's floor app)
#   UI_KEEP_NAMES=1 …             keeps the wasm's name section (for twiggy; not for shipping)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UI="$ROOT/ui"
TARGET=wasm32-unknown-unknown

MODE=release
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) MODE=debug ;;
    --crate) UI="$ROOT/${2:?--crate DIR}"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
DIST="$UI/dist"
NAME="$(awk -F'"' '/^name = / { print $2; exit }' "$UI/Cargo.toml")"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# 1. Toolchain: the wasm target.
if ! rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
  log "rustup target add $TARGET"
  rustup target add "$TARGET"
fi

# 2. wasm-bindgen CLI at exactly the version in Cargo.lock (the schema must match).
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
if [ -z "$WB_VERSION" ]; then
  echo "wasm-bindgen not found in Cargo.lock (run cargo build -p $NAME --target $TARGET once)" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  log "cargo install wasm-bindgen-cli --version $WB_VERSION (takes a few minutes, once)"
  # Not --locked: a pinned dependency of the CLI's own lockfile is missing from some indexes.
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi

# 3. wasm-opt (binaryen), release only, best effort. wasm-bindgen's output uses reference types
# (table.fill etc.), which binaryen < 116 cannot parse (Debian 13 ships 108). Use a wasm-opt on
# PATH if it is new enough, else npm's `binaryen` (a self-contained wasm build, ~1 s to install)
# under target/ui-tools, else Debian's binaryen (then wasm-opt is tried and skipped if it fails).
BINARYEN_NPM_VERSION=132.0.0
# Cargo's target dir (CARGO_TARGET_DIR when a shared one is used).
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TOOLS="$TARGET_DIR/ui-tools"
WASM_OPT=""
wasm_opt_major() { "$1" --version 2>/dev/null | grep -oE '[0-9]+' | head -1; }
if [ "$MODE" = release ]; then
  if command -v wasm-opt >/dev/null 2>&1 && [ "$(wasm_opt_major wasm-opt)" -ge 116 ] 2>/dev/null; then
    WASM_OPT="$(command -v wasm-opt)"
  elif [ -x "$TOOLS/node_modules/.bin/wasm-opt" ]; then
    WASM_OPT="$TOOLS/node_modules/.bin/wasm-opt"
  elif command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
    log "npm install binaryen@$BINARYEN_NPM_VERSION (wasm-opt) into target/ui-tools"
    mkdir -p "$TOOLS"
    if npm install --prefix "$TOOLS" --no-audit --no-fund --silent "binaryen@$BINARYEN_NPM_VERSION" >&2; then
      WASM_OPT="$TOOLS/node_modules/.bin/wasm-opt"
    fi
  fi
  if [ -z "$WASM_OPT" ]; then
    if ! command -v wasm-opt >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
      SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
      log "installing binaryen (wasm-opt) with apt"
      $SUDO apt-get install -y -q binaryen >/dev/null 2>&1 \
        || { $SUDO apt-get update -q >/dev/null 2>&1 && $SUDO apt-get install -y -q binaryen >/dev/null 2>&1; } \
        || true
    fi
    WASM_OPT="$(command -v wasm-opt || true)"
  fi
  [ -n "$WASM_OPT" ] || echo "warning: no wasm-opt; the wasm stays unoptimized" >&2
fi

# 4. Build. A release build uses nightly when it is installed with rust-src: std is rebuilt with
# `-Cpanic=immediate-abort`, so no panic message, location, formatting or backtrace demangling
# reaches the wasm (about 36 KB of 266 KB gzip). Without nightly, or if that build fails, the same
# profile builds on stable. UI_TOOLCHAIN=stable skips the attempt.
cd "$ROOT"
nightly_ready() {
  [ "${UI_TOOLCHAIN:-}" != stable ] && cargo +nightly --version >/dev/null 2>&1 \
    && [ -d "$(rustc +nightly --print sysroot 2>/dev/null)/lib/rustlib/src/rust/library/std" ]
}
if [ "$MODE" = release ]; then
  WASM="$TARGET_DIR/$TARGET/ui-release/$NAME.wasm"
  if nightly_ready && log "cargo +nightly build -p $NAME (panic=immediate-abort, -Zbuild-std)" \
     && RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" \
        cargo +nightly build -p "$NAME" --target "$TARGET" --profile ui-release -Zbuild-std=std,panic_abort; then
    TOOLCHAIN=nightly
  else
    nightly_ready && echo "warning: the nightly build failed; building on stable" >&2
    log "cargo build -p $NAME --target $TARGET --profile ui-release"
    cargo build -p "$NAME" --target "$TARGET" --profile ui-release
    TOOLCHAIN=stable
  fi
else
  log "cargo build -p $NAME --target $TARGET"
  cargo build -p "$NAME" --target "$TARGET"
  WASM="$TARGET_DIR/$TARGET/debug/$NAME.wasm"
  TOOLCHAIN=stable
fi

# 5. wasm-bindgen + wasm-opt, only when the wasm changed (or the output is missing).
mkdir -p "$DIST"
STAMP="$DIST/.build-stamp"
WANT="$MODE $TOOLCHAIN $WB_VERSION ${WASM_OPT:+opt} ${UI_KEEP_NAMES:+names} $(stat -c '%Y %s' "$WASM")"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ] \
   || [ ! -f "$DIST/$NAME.js" ] || [ ! -f "$DIST/${NAME}_bg.wasm" ]; then
  log "wasm-bindgen --target web → ui/dist"
  rm -rf "$DIST/$NAME.js" "$DIST/${NAME}_bg.wasm" "$DIST/${NAME}_bg.wasm.d.ts" "$DIST/$NAME.d.ts" "$DIST/snippets"
  ARGS=(--target web --no-typescript --out-dir "$DIST" --out-name "$NAME")
  [ "$MODE" = debug ] && ARGS+=(--debug --keep-debug)
  STRIP=(--strip-debug --strip-producers)
  [ -n "${UI_KEEP_NAMES:-}" ] && STRIP=(-g --strip-producers)
  wasm-bindgen "${ARGS[@]}" "$WASM"
  if [ "$MODE" = release ] && [ -n "$WASM_OPT" ]; then
    log "wasm-opt -Oz ($("$WASM_OPT" --version 2>/dev/null))"
    # Features as rustc/wasm-bindgen emit them for wasm32-unknown-unknown (all in Chromium & WebKitGTK).
    if "$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
         --enable-mutable-globals --enable-reference-types --enable-multivalue \
         "${STRIP[@]}" \
         -o "$DIST/${NAME}_bg.wasm.opt" "$DIST/${NAME}_bg.wasm"; then
      mv "$DIST/${NAME}_bg.wasm.opt" "$DIST/${NAME}_bg.wasm"
    else
      rm -f "$DIST/${NAME}_bg.wasm.opt"
      echo "warning: wasm-opt failed; keeping the unoptimized wasm" >&2
    fi
  fi
  echo "$WANT" > "$STAMP"
fi

# 6. Static files (rsync-like: only when changed).
install -m 0644 -C "$UI/index.html" "$DIST/index.html" 2>/dev/null || cp "$UI/index.html" "$DIST/index.html"
mkdir -p "$DIST/assets"
for f in "$UI"/assets/*; do
  [ -f "$f" ] || continue
  cmp -s "$f" "$DIST/assets/$(basename "$f")" || cp "$f" "$DIST/assets/"
done

# 7. Sizes.
log "${DIST#$ROOT/} ($MODE, $TOOLCHAIN)"
SHIPPED=("$DIST/${NAME}_bg.wasm" "$DIST/$NAME.js")
[ -f "$DIST/assets/style.css" ] && SHIPPED+=("$DIST/assets/style.css")
for f in "${SHIPPED[@]}"; do
  printf '  %-28s %9s bytes  %8s gzip\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(gzip -9c "$f" | wc -c)"
done
printf '  %-28s %9s        %8s gzip\n' "total" "" "$(cat "${SHIPPED[@]}" | gzip -9c | wc -c)"
