#!/usr/bin/env bash
# Installs whatever Forgekey's build and tests need and is missing; skips what
# is there. Safe to run again. Debian (apt), crates.io and npm only.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_missing=()
need_apt() { dpkg -s "$1" >/dev/null 2>&1 || apt_missing+=("$1"); }
need_apt pkg-config
need_apt git
need_apt curl
command -v npm >/dev/null 2>&1 || { need_apt nodejs; need_apt npm; }
if [ "${FORGEKEY_SETUP_TESTS:-0}" = 1 ]; then
  need_apt chromium
  need_apt postgresql-15
  need_apt python3-venv
  # A real container registry and a daemonless client for its tests.
  need_apt docker-registry
  need_apt skopeo
fi
# The container registry, when Forgekey is asked to run one (scripts/run.sh
# sets this while the registry is enabled).
[ "${FORGEKEY_SETUP_REGISTRY:-0}" = 1 ] && need_apt docker-registry
if [ ${#apt_missing[@]} -gt 0 ]; then
  log "Installing Debian packages: ${apt_missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${apt_missing[@]}"
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "Adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos 0.3.10" ]; then
  log "Installing cargo-leptos 0.3.10 (about 15 minutes, once per machine)"
  cargo install cargo-leptos --version 0.3.10 --locked
fi

# cargo-leptos would download wasm-bindgen from GitHub; install the CLI at
# exactly the version Cargo.lock pins.
wb_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wb_version" ]; then
  log "Installing wasm-bindgen-cli $wb_version"
  cargo install wasm-bindgen-cli --version "$wb_version"
fi

# The view! macros are formatted by leptosfmt (.leptosfmt.toml); the tests
# check it. About 2 minutes, once per machine.
if [ "${FORGEKEY_SETUP_TESTS:-0}" = 1 ] && [ "$(leptosfmt --version 2>/dev/null)" != "leptosfmt 0.1.33" ]; then
  log "Installing leptosfmt 0.1.33"
  cargo install leptosfmt --version 0.1.33 --locked
fi

# Tailwind CSS and wasm-opt come from npm (never Debian's binaryen).
if [ ! -x node_modules/.bin/tailwindcss ] || [ ! -x node_modules/.bin/wasm-opt ]; then
  log "Installing Tailwind CSS and wasm-opt from npm"
  npm ci --no-audit --no-fund
fi

if [ "${FORGEKEY_SETUP_TESTS:-0}" = 1 ] && { [ ! -d end2end/node_modules/@playwright/test ] ||
  [ ! -d end2end/node_modules/@axe-core/playwright ]; }; then
  log "Installing Playwright (using Debian's Chromium) and axe-core"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

# The REST API acceptance suite drives Forgekey with python-gitlab from PyPI.
venv=end2end/api/.venv
if [ "${FORGEKEY_SETUP_TESTS:-0}" = 1 ] && ! "$venv/bin/python" -c 'import gitlab, gql' >/dev/null 2>&1; then
  log "Installing python-gitlab (REST API client tests)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r end2end/api/requirements.txt
fi
