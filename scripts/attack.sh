#!/usr/bin/env bash
# Replays the security review's attacks against the release server, on
# SQLite and then on a private PostgreSQL 15: synchronized bursts of 500
# wrong passwords, 500 second-step codes (the right one among them) and 200
# forged Git tokens from one address, then 1,000 idle and 500 dripping
# sockets held while normal requests go on, and 1,000 sockets each sending a
# 380 KB request head (the server's memory is read meanwhile). Prints, per limit, how many
# secrets were checked against the limit; exits non-zero if one broke.
# Not a CI step: it takes a few minutes and loads both cores.
#   scripts/attack.sh     (FORGEKEY_ATTACK_BURST=500)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
dpkg -s postgresql-15 >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql-15; }
burst=${FORGEKEY_ATTACK_BURST:-500}
port=${FORGEKEY_ATTACK_PORT:-3300}
header_timeout=5
source scripts/lib/release-server.sh
prepare_release_run attack
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

attack_backend() {
  local label=$1 data=$2; shift 2
  RUST_LOG=warn LEPTOS_SITE_ROOT=target/site "$bin" --data-dir "$data" "$@" serve \
    --addr "127.0.0.1:$port" --header-timeout-seconds "$header_timeout" >"$work/$label.log" 2>&1 &
  server_pid=$!
  wait_for_server "$port"
  echo "==> $label"
  local rc=0
  python3 scripts/attack.py 127.0.0.1 "$port" --burst "$burst" --header-timeout "$header_timeout" \
    --server-pid "$server_pid" || rc=$?
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  if grep -q 'fkpat-' "$work/$label.log"; then echo "a token secret reached the log"; rc=1; fi
  return $rc
}

status=0
attack_backend sqlite "$work/sqlite" || status=1
start_postgres "$work" 54349
attack_backend postgres "$work/postgres" --database-url "$pg_url" || status=1
exit $status
