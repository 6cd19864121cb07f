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
exec target/release/forgekey serve "$@"
