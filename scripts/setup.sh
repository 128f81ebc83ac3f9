#!/usr/bin/env bash
# Installs what the project needs, idempotently: fast when everything is already there.
#   scripts/setup.sh run    – what building and running the app needs
#   scripts/setup.sh test   – that, plus what the tests need (Xvfb, WebDriver, Chromium, npm test deps)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-test}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages, installed only when one is missing (dpkg is asked first: no apt-get update otherwise).
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

# Tauri on Linux (webview, GTK) and the UI's wasm toolchain.
apt_need build-essential pkg-config ca-certificates libssl-dev curl \
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev \
  xdg-utils desktop-file-utils binaryen
# The machine image ships Node.js and npm (the Tauri CLI comes from npm); Debian's are the fallback.
command -v npm >/dev/null || apt_need nodejs npm
if [ ! -x node_modules/.bin/tauri ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# `cargo tauri …` as the README types it: the Rust CLI, at the JS CLI's version (package.json).
tauri_version=$(node -p 'require("./package.json").devDependencies["@tauri-apps/cli"]')
export PATH="$HOME/.cargo/bin:$PATH"
if [ "$(cargo tauri --version 2>/dev/null)" != "tauri-cli $tauri_version" ]; then
  echo "setup: cargo install tauri-cli $tauri_version (a few minutes, once)"
  # Its own release profile (fat LTO, one codegen unit) took 11 minutes on 2 cores; a CLI that
  # runs a build does not need that. Config overrides the manifest's profile.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install tauri-cli --version "$tauri_version" --locked --quiet
fi

# The UI's release build is smaller on nightly with a rebuilt std (scripts/build-ui.sh); it needs
# nightly's rust-src. Without nightly (or offline), the UI builds on stable.
if rustup toolchain list 2>/dev/null | grep -q '^nightly' \
   && [ ! -d "$(rustc +nightly --print sysroot 2>/dev/null)/lib/rustlib/src/rust/library/std" ]; then
  rustup component add rust-src --toolchain nightly >/dev/null 2>&1 || echo "setup: no rust-src for nightly; the UI builds on stable"
fi

if [ "$what" = test ]; then
  # Headless app runs (Xvfb + a private D-Bus), WebDriver, Chromium for the altogic-js test, and
  # PostgreSQL's server binaries for the throwaway cluster of scripts/pg.sh.
  apt_need xvfb xauth dbus-x11 webkit2gtk-driver chromium wrk postgresql gnome-keyring libsecret-tools
  # The Android type-check's C compiler (scripts/check-platforms.sh): Debian's clang, no NDK.
  apt_need clang llvm libc6-dev-arm64-cross
  command -v tauri-driver >/dev/null || [ -x "$HOME/.cargo/bin/tauri-driver" ] || cargo install tauri-driver --locked --quiet
  # A small S3-compatible server for the object-storage tests (0.14 is the last for rustc 1.95).
  command -v s3s-fs >/dev/null || [ -x "$HOME/.cargo/bin/s3s-fs" ] || cargo install s3s-fs --version 0.14.1 --features binary --locked --quiet
  if [ ! -d tests/compat/node_modules/altogic ] || [ tests/compat/package-lock.json -nt tests/compat/node_modules/.package-lock.json ]; then
    (cd tests/compat && npm ci --no-audit --no-fund --loglevel=error)
  fi
  # axe-core, pinned: the e2e suite's accessibility checks inject it into the webview.
  if [ ! -f tests/a11y/node_modules/axe-core/axe.min.js ] || [ tests/a11y/package-lock.json -nt tests/a11y/node_modules/.package-lock.json ]; then
    (cd tests/a11y && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
echo "setup: ok ($what)"
