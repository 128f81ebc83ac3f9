#!/usr/bin/env bash
# Type-checks the app for the platforms this Linux machine cannot build or run:
#   scripts/check-platforms.sh [android|ios|windows|macos|all]   (default: all)
# Exits non-zero on any error or warning in our own code. What each check proves, and what it
# does not, is printed with it (and written in README.md, "Phones").
#
#   android  `cargo check --target aarch64-linux-android` of the whole app, embedded backend
#            included. There is no NDK here: Debian's clang compiles the C of ring and SQLite for
#            aarch64 against *glibc* headers (libc6-dev-arm64-cross), not bionic. Proves: our Rust
#            and every dependency's Rust type-check for Android (cfg(mobile), target_os="android"),
#            and the C compiles for the CPU. Does not prove: linking, bionic compatibility of that C,
#            the Kotlin/Gradle project, or anything at run time. It also regenerates the deep-link
#            intent filters of gen/android (TAURI_ANDROID_PROJECT_PATH) and fails when they differ
#            from the committed AndroidManifest.xml.
#   ios      `cargo check --target aarch64-apple-ios` of the app without C that needs Apple's SDK
#            (its headers cannot be had here): the app's "no-c" configuration, TLS by the pure-Rust
#            rustls-graviola provider and no embedded backend (altogic-local needs SQLite's C). Only
#            Tauri's header-free Objective-C helper is compiled, by Debian's clang. Proves: our Rust
#            and the dependencies' Rust type-check for iOS. Does not prove: the embedded backend on
#            iOS (its Rust is the one checked for Android), ring's and SQLite's C with the SDK,
#            Swift/Xcode, signing, linking.
#   macos    the same as ios, for aarch64-apple-darwin (desktop cfg).
#   windows  `cargo check --target x86_64-pc-windows-gnu` of the whole app; the C through Debian's
#            mingw-w64 gcc and the Windows resource file from icons/icon.ico. Proves: the Rust and
#            the C compile for Windows. Does not prove: MSVC, linking, WebView2 at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_need() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}
target_need() { rustup target list --installed | grep -qx "$1" || rustup target add "$1"; }

# tauri::generate_context! embeds ui/dist, so the UI must be built once.
[ -f ui/dist/index.html ] || scripts/build-ui.sh

# Warnings in our crates fail the check; dependencies' warnings are theirs (cargo caps them).
export RUSTFLAGS="${RUSTFLAGS:-} -D warnings"

deep_link_config() { node -e 'process.stdout.write(JSON.stringify(require("./tauri.conf.json").plugins["deep-link"]))'; }

check_android() {
  echo "== android (aarch64-linux-android): whole app; C against glibc headers, not bionic; nothing linked"
  apt_need clang llvm libc6-dev-arm64-cross
  target_need aarch64-linux-android
  local manifest=gen/android/app/src/main/AndroidManifest.xml
  cp "$manifest" "$manifest.committed"
  trap 'mv -f "'"$manifest"'.committed" "'"$manifest"'"' RETURN
  CC_aarch64_linux_android="clang --target=aarch64-linux-android24" \
  AR_aarch64_linux_android=llvm-ar \
  CFLAGS_aarch64_linux_android="-isystem /usr/aarch64-linux-gnu/include" \
  TAURI_ANDROID_PROJECT_PATH="$PWD/gen/android" \
  TAURI_ANDROID_PACKAGE_UNESCAPED="$(node -p 'require("./tauri.conf.json").identifier')" \
  TAURI_DEEP_LINK_PLUGIN_CONFIG="$(deep_link_config)" \
    cargo check -p altogic-auth --lib --target aarch64-linux-android --locked
  # The deep-link plugin rewrote the intent filters from tauri.conf.json: they must be the committed ones.
  if ! diff -u "$manifest.committed" "$manifest"; then
    echo "check-platforms: $manifest is stale; commit the regenerated intent filters above" >&2
    return 1
  fi
}

check_no_c() { # $1 = target
  apt_need clang
  target_need "$1"
  # Apple's headers are not here: an empty SDK root (cc-rs asks xcrun for one otherwise) leaves clang
  # able to compile only C that includes nothing, which is all Tauri's own Objective-C helper
  # (objc2-exception-helper) is. Any C that needs the SDK (ring, SQLite) fails the check.
  local sdk; sdk=$(mktemp -d)
  local var; var="CC_$(echo "$1" | tr - _)"
  env "$var=clang" SDKROOT="$sdk" \
    cargo check -p altogic-auth --lib --target "$1" --locked --no-default-features --features no-c
  rmdir "$sdk"
}

check_ios() {
  echo "== ios (aarch64-apple-ios): the app with no C (rustls-graviola, remote backend only); not linked"
  check_no_c aarch64-apple-ios
}

check_macos() {
  echo "== macos (aarch64-apple-darwin): the app with no C (rustls-graviola, remote backend only); not linked"
  check_no_c aarch64-apple-darwin
}

check_windows() {
  echo "== windows (x86_64-pc-windows-gnu): whole app; C through mingw-w64; not linked"
  apt_need gcc-mingw-w64-x86-64
  target_need x86_64-pc-windows-gnu
  cargo check -p altogic-auth --target x86_64-pc-windows-gnu --locked
}

what="${1:-all}"
case "$what" in
  android) check_android ;;
  ios) check_ios ;;
  macos) check_macos ;;
  windows) check_windows ;;
  all) check_android; check_windows; check_ios; check_macos ;;
  *) echo "usage: $0 [android|ios|windows|macos|all]" >&2; exit 2 ;;
esac
echo "check-platforms: $what ok"
