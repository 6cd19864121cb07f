#!/usr/bin/env bash
# Benchmarks token authentication against a bare route, in one run, on the
# release server: wrk at 64 connections alternates GET /-/liveness (no
# authentication, no database) with GET /api/v4/user (a valid token), in
# FORGEKEY_BENCH_PAIRS pairs of rounds, on SQLite and then on a private
# PostgreSQL 15. Prints requests/s and p50/p99 latency per route (means over
# the rounds), the token route's ratios to the bare one, and the spread of
# the per-pair throughput ratios (wrk shares the server's two cores, and a
# shared machine's neighbours move single rounds by ±15 %).
# Not a test: figures vary with the machine; compare ratios, not absolutes.
#   scripts/bench.sh     (FORGEKEY_BENCH_SECONDS=6 per round, FORGEKEY_BENCH_PAIRS=5;
#   FORGEKEY_BENCH_ACCEPT_ENCODING="gzip, br" sends that header on both routes,
#   as browsers and most HTTP clients do, so compression is in the run)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
dpkg -s postgresql-15 >/dev/null 2>&1 || apt-get install -y -qq postgresql-15
seconds=${FORGEKEY_BENCH_SECONDS:-6}
pairs=${FORGEKEY_BENCH_PAIRS:-5}
port=${FORGEKEY_BENCH_PORT:-3200}
source scripts/lib/release-server.sh
prepare_release_run bench

accept=()
[ -z "${FORGEKEY_BENCH_ACCEPT_ENCODING:-}" ] || accept=(-H "Accept-Encoding: $FORGEKEY_BENCH_ACCEPT_ENCODING")
# wrk's summary of one round: requests/s, p50 ms, p99 ms, errors.
round() {
  local out; out=$(wrk -t2 -c64 -d"${seconds}s" --latency "${accept[@]}" "$@")
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses:/ {n+=$NF} /Socket errors:/ {gsub(",", ""); n+=$4+$6+$8+$10} END {print n+0}' <<<"$out")
  echo "$rps $(ms "$p50") $(ms "$p99") $errors"
}
# wrk prints 850.00us, 1.20ms or 1.01s: in milliseconds.
ms() { awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.3f", n }'; }

bench_backend() {
  local label=$1 data=$2; shift 2
  echo "a-strong-password" | "$bin" --data-dir "$data" "$@" user create --username bench --email bench@example.com --password-stdin >/dev/null
  local token; token=$("$bin" --data-dir "$data" "$@" token create --user bench --name bench --scopes read_api \
    --expires-at "$(date -u -d '+30 days' +%F)" | tail -1)
  RUST_LOG=forgekey::server::usage=debug,warn LEPTOS_SITE_ROOT=target/site \
    "$bin" --data-dir "$data" "$@" serve --addr "127.0.0.1:$port" >"$work/$label.log" 2>&1 &
  server_pid=$!
  wait_for_server "$port"
  local bare="http://127.0.0.1:$port/-/liveness" user="http://127.0.0.1:$port/api/v4/user"
  wrk -t2 -c64 -d2s "$bare" >/dev/null; wrk -t2 -c64 -d2s -H "PRIVATE-TOKEN: $token" "$user" >/dev/null
  local rounds=()
  for _ in $(seq "$pairs"); do
    rounds+=("$(round "$bare")" "$(round -H "PRIVATE-TOKEN: $token" "$user")")
  done
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  local writes; writes=$(grep -c 'token use recorded' "$work/$label.log" || true)
  python3 - "$label" "$writes" "${rounds[@]}" <<'PY'
import statistics, sys
label, writes = sys.argv[1], int(sys.argv[2])
rounds = [list(map(float, a.split())) for a in sys.argv[3:]]
bare_rounds, tok_rounds = rounds[0::2], rounds[1::2]
n = len(bare_rounds)
bare = [sum(r[i] for r in bare_rounds) / n for i in range(4)]
tok = [sum(r[i] for r in tok_rounds) / n for i in range(4)]
pair_ratios = sorted(t[0] / b[0] for b, t in zip(bare_rounds, tok_rounds))
print(f"{label}: bare GET /-/liveness   {bare[0]:>9.0f} req/s  p50 {bare[1]:.2f} ms  p99 {bare[2]:.2f} ms  errors {bare[3] * n:.0f}")
print(f"{label}: GET /api/v4/user+token {tok[0]:>9.0f} req/s  p50 {tok[1]:.2f} ms  p99 {tok[2]:.2f} ms  errors {tok[3] * n:.0f}")
print(f"{label}: token/bare throughput {tok[0] / bare[0]:.2f} (target >= 0.85), p99 ratio {tok[2] / bare[2]:.2f} (target <= 1.5), last_used writes {writes} (target <= 1)")
print(f"{label}: per-pair throughput ratios {' '.join(f'{r:.2f}' for r in pair_ratios)} (median {statistics.median(pair_ratios):.2f})")
PY
}

echo "==> SQLite"
bench_backend sqlite "$work/sqlite"
echo "==> PostgreSQL 15"
start_postgres "$work" 54339
bench_backend postgres "$work/postgres" --database-url "$pg_url"
