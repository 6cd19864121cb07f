#!/usr/bin/env bash
# Installs what is missing and runs every test: unit, database (SQLite and a
# real PostgreSQL 15 started here on loopback), HTTP and command-line tests
# (tests/cli.rs runs the built binary); lints; the browser tests (Playwright
# in Debian's Chromium, JavaScript on and off) and the REST API driven by python-gitlab, both
# against the release build that scripts/run.sh serves.
# Ends with one summary line per suite; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
FORGEKEY_SETUP_TESTS=1 scripts/setup.sh || { echo "setup failed"; exit 1; }

work=$(mktemp -d /tmp/forgekey-test.XXXXXX)
chmod 755 "$work"
pg_port=${FORGEKEY_TEST_PG_PORT:-54329}
web_port=${FORGEKEY_TEST_WEB_PORT:-3100}
server_pid=""
api_pid=""
source scripts/lib/postgres.sh

cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null
  stop_postgres "$work"
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> Starting PostgreSQL 15 on 127.0.0.1:$pg_port"
start_postgres "$work" "$pg_port" || exit 1
export FORGEKEY_TEST_PG_URL="$pg_url"

status=0
summary=()

echo "==> Unit, database, HTTP and command-line tests (cargo leptos test)"
cargo leptos test 2>&1 | tee "$work/cargo-test.log"
cargo_rc=${PIPESTATUS[0]}
passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$work/cargo-test.log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$work/cargo-test.log" | awk '{s+=$1} END {print s+0}')
if [ "$cargo_rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
# PostgreSQL is named above, so no database test may have been left out.
ignored=$(grep -Eo '[0-9]+ ignored' "$work/cargo-test.log" | awk '{s+=$1} END {print s+0}')
if [ "$ignored" != 0 ]; then echo "$ignored tests were ignored (PostgreSQL not reached?)"; failed=$((failed+ignored)); cargo_rc=1; fi
summary+=("unit+db+http+cli: $passed passed, $failed failed")
[ "$cargo_rc" = 0 ] || status=1

echo "==> Lints (rustfmt, leptosfmt, layers, clippy on the server and the wasm front end)"
lint_pass=0; lint_fail=0
lint() { if "$@" 2>&1 | tail -20; [ "${PIPESTATUS[0]}" = 0 ]; then lint_pass=$((lint_pass+1)); else lint_fail=$((lint_fail+1)); echo "lint failed: $*"; fi; }
lint cargo fmt --check
lint leptosfmt --check --quiet --config-file .leptosfmt.toml src
lint scripts/check-layers.sh
lint cargo clippy --quiet --features ssr --all-targets -- -D warnings
lint cargo clippy --quiet --lib --no-default-features --features hydrate --target wasm32-unknown-unknown \
  --target-dir target/front -- -D warnings
summary+=("lint: $lint_pass passed, $lint_fail failed")
[ "$lint_fail" = 0 ] || status=1

echo "==> Building the release server and front end (what scripts/run.sh serves)"
rm -f target/release/forgekey
cargo leptos build --release --precompress --split >"$work/build.log" 2>&1
if [ $? != 0 ]; then
  grep -E -A12 '^error' "$work/build.log" | head -60; tail -5 "$work/build.log"
  echo "release build failed"; rm -f target/release/forgekey; status=1
fi
bin=target/release/forgekey
if [ ! -x "$bin" ]; then
  echo "build failed"; summary+=("e2e: 0 passed, 1 failed"); status=1
else
  echo "==> Browser tests (Playwright, Debian Chromium)"
  # The Admin Area specs sign in as this administrator.
  e2e_admin_password="e2e-admin-$RANDOM$RANDOM"
  echo "$e2e_admin_password" | "$bin" --data-dir "$work/e2e-data" user create --username e2e-admin \
    --email e2e-admin@example.com --admin --password-stdin >/dev/null
  # Every browser test signs its own accounts up, all from 127.0.0.1.
  # Mail goes to a directory, where the password reset test reads its link.
  mkdir -p "$work/e2e-mail"
  # The registry test turns the container registry on: Forgekey then starts
  # one on this port (stopped with it).
  registry_addr="127.0.0.1:$((web_port + 2))"
  LEPTOS_SITE_ROOT=target/site "$bin" --data-dir "$work/e2e-data" serve --addr "127.0.0.1:$web_port" \
    --sign-ups-per-address-per-hour 10000 --mail-dir "$work/e2e-mail" --registry-addr "$registry_addr" \
    >"$work/server.log" 2>&1 &
  server_pid=$!
  (cd end2end && FORGEKEY_URL="http://127.0.0.1:$web_port" FORGEKEY_E2E_ADMIN_PASSWORD="$e2e_admin_password" \
    FORGEKEY_E2E_MAIL_DIR="$work/e2e-mail" FORGEKEY_E2E_REGISTRY="$registry_addr" \
    npx playwright test --reporter=list 2>&1) | tee "$work/e2e.log"
  e2e_rc=${PIPESTATUS[0]}
  e2e_pass=$(grep -Eo '^ *[0-9]+ passed' "$work/e2e.log" | awk '{s+=$1} END {print s+0}')
  e2e_fail=$(grep -Eo '^ *[0-9]+ (failed|flaky)' "$work/e2e.log" | awk '{s+=$1} END {print s+0}')
  if [ "$e2e_rc" != 0 ] && [ "$e2e_fail" = 0 ]; then e2e_fail=1; fi
  [ "$e2e_rc" = 0 ] || { status=1; echo "--- server log"; tail -30 "$work/server.log"; }
  # The browser tests created tokens: no secret may have reached the log.
  if grep -qE 'fkpat-|fkrst-' "$work/server.log"; then
    echo "e2e: a token secret appeared in the server log"; e2e_fail=$((e2e_fail+1)); status=1
  fi
  summary+=("e2e: $e2e_pass passed, $e2e_fail failed")
fi

if [ -x "$bin" ]; then
  echo "==> REST API with an unmodified GitLab client (python-gitlab)"
  api_data="$work/api-data"
  api_port=$((web_port + 1))
  echo 'a-strong-password' | "$bin" --data-dir "$api_data" user create --username root --email root@example.com --password-stdin >/dev/null
  echo 'a-strong-password' | "$bin" --data-dir "$api_data" user create --username bob --email bob@example.com --password-stdin >/dev/null
  bob_id=$("$bin" --data-dir "$api_data" user list | awk '$2 == "bob" {print $1}')
  admin_token=$("$bin" --data-dir "$api_data" token create --user root --name suite --scopes api,sudo \
    --expires-at "$(date -u -d '+30 days' +%F)" | tail -1)
  LEPTOS_SITE_ROOT=target/site "$bin" --data-dir "$api_data" serve --addr "127.0.0.1:$api_port" \
    >"$work/api-server.log" 2>&1 &
  api_pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$api_port/-/liveness" >/dev/null && break; sleep 0.2; done
  end2end/api/.venv/bin/python end2end/api/test_python_gitlab.py "http://127.0.0.1:$api_port" "$admin_token" "$bob_id" \
    2>&1 | tee "$work/api.log"
  api_rc=${PIPESTATUS[0]}
  kill "$api_pid" 2>/dev/null
  api_pass=$(grep -Eo '^[0-9]+ passed' "$work/api.log" | awk '{print $1+0}')
  api_fail=$(grep -Eo '[0-9]+ failed$' "$work/api.log" | awk '{print $1+0}')
  api_pass=${api_pass:-0}; api_fail=${api_fail:-0}
  if [ "$api_rc" != 0 ] && [ "$api_fail" = 0 ]; then api_fail=1; fi
  if grep -q 'fkpat-' "$work/api-server.log"; then
    echo "api-client: a token secret appeared in the server log"; api_fail=$((api_fail+1))
  fi
  [ "$api_fail" = 0 ] || { status=1; tail -20 "$work/api-server.log"; }
  summary+=("api-client: $api_pass passed, $api_fail failed")
fi

echo
echo "==> Summary"
for line in "${summary[@]}"; do echo "$line"; done
exit $status
