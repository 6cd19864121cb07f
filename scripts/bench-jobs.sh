#!/usr/bin/env bash
# Measures the daily jobs on SQLite at scale: 100,000 users and 1,000,000
# tokens (FORGEKEY_BENCH_USERS, FORGEKEY_BENCH_TOKENS), expiries spread
# over the next year, one token in ten revoked long ago. For each job: the
# wall time and peak memory (max RSS) of `forgekey jobs run` on the release
# binary, and as a baseline measured in the same run, the time SQLite takes
# to read every token row once. Then the jobs run again (nothing left to
# send). Not a test: figures vary with the machine; compare the ratios.
#   scripts/bench-jobs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
users=${FORGEKEY_BENCH_USERS:-100000}
tokens=${FORGEKEY_BENCH_TOKENS:-1000000}
bin=target/release/forgekey
echo "==> Building the release binary"
cargo leptos build --release --precompress --split 2>&1 | tail -2
work=$(mktemp -d /tmp/forgekey-bench-jobs.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$bin" --data-dir "$work" settings show >/dev/null # creates and migrates the database
python3 scripts/bench_jobs.py "$bin" "$work" "$users" "$tokens"
