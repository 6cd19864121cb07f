#!/usr/bin/env bash
# Load and fault scenarios against release builds of Forgekey on SQLite and
# a private PostgreSQL 15, one and two instances: memory after a sign-in
# flood, the token cache with 100,000 tokens round-robin, PostgreSQL stopped
# and a table locked under load, anonymous form floods, replayed rotated
# tokens, a second instance with another secret, revocation across
# instances, list pages with a million tokens, graceful shutdown, a backup
# under writes, and who may read the metrics. One line per scenario with
# its figure and pass/fail; exits non-zero if one failed.
# Not a CI step: it takes about fifteen minutes and loads both cores.
#   scripts/chaos.sh                 (every scenario)
#   scripts/chaos.sh outage,lock     (some; names in scripts/chaos.py)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
dpkg -s postgresql-15 >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql-15; }
port=${FORGEKEY_CHAOS_PORT:-3400}
pg_port=${FORGEKEY_CHAOS_PG_PORT:-54359}
source scripts/lib/release-server.sh
prepare_release_run chaos
python3 scripts/chaos.py "$bin" "$work" "$port" "$pg_port" --only "${1:-}"
