#!/usr/bin/env bash
# Builds what is handed to users: the app with its backend baked in, no built-in backend and no
# Dev mailbox (the `distribution` feature, without the default `embedded-backend`), as deb and rpm
# packages named with the version of Cargo.toml, and a SHA256SUMS beside them, in dist/.
#
#   scripts/build-release.sh --env-url URL --client-key KEY [--bundles deb,rpm] [--lock-backend] [--debug]
#
#   --env-url URL      the backend: https://…, or http:// to this machine only (refused otherwise)
#   --client-key KEY   its client key
#   --bundles LIST     deb, rpm or deb,rpm (the default)
#   --lock-backend     the installed app ignores ALTOGIC_ENV_URL/ALTOGIC_CLIENT_KEY and backend.json
#                      (without it, testers can still point an installed build elsewhere)
#   --debug            a debug build (quicker; for tests)
#
# The same build by hand: ALTOGIC_ENV_URL=URL ALTOGIC_CLIENT_KEY=KEY [ALTOGIC_LOCK_BACKEND=1] \
#   cargo tauri build --features distribution --bundles deb,rpm -- --no-default-features
set -euo pipefail
cd "$(dirname "$0")/.."

env_url="" client_key="" bundles="deb,rpm" lock=0 debug=()
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || { echo "build-release: $1 needs a value (see --help)" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --env-url) need_value "$@"; env_url="$2"; shift 2 ;;
    --client-key) need_value "$@"; client_key="$2"; shift 2 ;;
    --bundles) need_value "$@"; bundles="$2"; shift 2 ;;
    --lock-backend) lock=1; shift ;;
    --debug) debug=(--debug); shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "build-release: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$env_url" ] || [ -z "$client_key" ]; then
  echo "build-release: --env-url and --client-key are required (see --help)" >&2
  exit 2
fi
case "$bundles" in deb|rpm|deb,rpm|rpm,deb) ;; *) echo "build-release: --bundles takes deb, rpm or deb,rpm" >&2; exit 2 ;; esac

scripts/setup.sh run
export PATH="$HOME/.cargo/bin:$PATH"
# build.rs bakes these in, and refuses a backend the app would refuse.
export ALTOGIC_ENV_URL="$env_url" ALTOGIC_CLIENT_KEY="$client_key" ALTOGIC_LOCK_BACKEND="$lock"
version=$(cargo metadata --no-deps --format-version 1 --locked | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).packages.find(p=>p.name==="altogic-auth").version))')
profile=release; [ ${#debug[@]} -gt 0 ] && profile=debug
bundle_dir="${CARGO_TARGET_DIR:-target}/$profile/bundle"
# Tauri never empties its bundle dir: an older package must not be shipped under this version.
rm -rf "$bundle_dir"
cargo tauri build "${debug[@]}" --features distribution --bundles "$bundles" -- --no-default-features --locked

rm -rf dist && mkdir -p dist
deb_arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
rpm_arch=$(uname -m)
name="Altogic Auth"
if [[ "$bundles" == *deb* ]]; then
  cp "$bundle_dir/deb/${name}_${version}_${deb_arch}.deb" "dist/altogic-auth_${version}_${deb_arch}.deb"
fi
if [[ "$bundles" == *rpm* ]]; then
  cp "$bundle_dir/rpm/${name}-${version}-1.${rpm_arch}.rpm" "dist/altogic-auth-${version}-1.${rpm_arch}.rpm"
fi
(cd dist && sha256sum -- * > SHA256SUMS)
echo "build-release: dist/ (backend $env_url, locked=$lock)"
cat dist/SHA256SUMS
