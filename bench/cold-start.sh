#!/usr/bin/env bash
# The app's cold start to an interactive Login screen against a bare Tauri 2 app
# (benches/cold_start.rs), both release builds, measured in one run under Xvfb and a private D-Bus.
# Builds what it needs: the release UI, and the bare app (bench/bare-tauri, a workspace of its
# own) into the shared target dir. Prints the figures, then both binaries' sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$(realpath "${CARGO_TARGET_DIR:-target}")
scripts/build-ui.sh
# The Dioxus floor app inside the bare Tauri app (its page swapped through TAURI_CONFIG): the
# cold start any Dioxus UI of these features pays. Built first and copied aside, then the bare one.
scripts/build-ui.sh --crate bench/dioxus-floor
TAURI_CONFIG='{"build":{"frontendDist":"../dioxus-floor/dist"}}' \
  cargo build --release --locked --quiet --manifest-path bench/bare-tauri/Cargo.toml --target-dir "$target"
cp "$target/release/bare-tauri" "$target/release/bare-tauri-floor"
export FLOOR_TAURI_BIN="$target/release/bare-tauri-floor"
cargo build --release --locked --quiet --manifest-path bench/bare-tauri/Cargo.toml --target-dir "$target"
export BARE_TAURI_BIN="$target/release/bare-tauri"
# Every sample's line goes to stderr; the summary lines start with "launch →" or "cold start".
# An unlocked keyring in the private D-Bus session, as on a desktop: a locked one would prompt
# (and wait forever) when the sign-in stores its session. Private XDG dirs: a new keyring.
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
  timeout 1800 xvfb-run -a dbus-run-session -- bash -c '
  echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec cargo bench --bench cold_start --locked' 
echo "release binaries: app $(stat -c %s "$target/release/altogic-auth") bytes, bare Tauri $(stat -c %s "$BARE_TAURI_BIN") bytes"
