#!/usr/bin/env bash
# Installs what is missing, builds Forgekey in release mode and serves it on
# http://127.0.0.1:3000 with an embedded SQLite database under ./data.
# Extra arguments go to `forgekey serve` (see `forgekey serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo; echo "==> Building Forgekey (release; front end hashed and precompressed)"
cargo leptos build --release --precompress --split
export LEPTOS_SITE_ROOT=target/site
# While the container registry is enabled, Forgekey starts it beside
# itself (and stops it with itself): install it if missing.
if target/release/forgekey registry status 2>/dev/null | grep -qx 'enabled: yes' \
  && ! command -v docker-registry >/dev/null 2>&1; then
  FORGEKEY_SETUP_REGISTRY=1 scripts/setup.sh
fi
exec target/release/forgekey serve "$@"
