#!/usr/bin/env bash
# The arrows point one way: app -> server -> domain. Fails, naming the
# lines, if the server reaches into the UI anywhere but the one place that
# mounts it (src/server/mod.rs), or if the domain reaches into the server,
# the UI or a web, database or runtime crate.
set -uo pipefail
cd "$(dirname "$0")/.."
bad=0
report() { echo "layers: $1"; printf '%s\n' "$2" | sed 's/^/  /'; bad=1; }

hits=$(grep -rnE '\bcrate::app\b|\bsuper::+app\b' src/server --include='*.rs' \
  | grep -v '^src/server/mod\.rs:' | grep -v '^src/server/tests/')
[ -z "$hits" ] || report "src/server imports the UI (only src/server/mod.rs mounts it)" "$hits"

hits=$(grep -rnE '\bcrate::(app|server)\b|\b(leptos|leptos_axum|axum|sqlx|tokio|tower|tower_sessions|hyper|rand)::' \
  src/domain --include='*.rs')
[ -z "$hits" ] || report "src/domain imports the UI, the server or a web/database/runtime crate" "$hits"

[ "$bad" = 0 ] && echo "layers: app -> server -> domain holds"
exit $bad
