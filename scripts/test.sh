#!/usr/bin/env bash
# Installs what is missing and runs every test: unit, database (SQLite and a
# real PostgreSQL 15 started here on loopback) and HTTP tests; lints; the
# command line; the browser tests (Playwright in Debian's Chromium,
# JavaScript on and off) and the REST API driven by python-gitlab, both
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

echo "==> Unit, database and HTTP tests (cargo leptos test)"
cargo leptos test 2>&1 | tee "$work/cargo-test.log"
cargo_rc=${PIPESTATUS[0]}
passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$work/cargo-test.log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$work/cargo-test.log" | awk '{s+=$1} END {print s+0}')
if [ "$cargo_rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
# PostgreSQL is named above, so no database test may have been left out.
ignored=$(grep -Eo '[0-9]+ ignored' "$work/cargo-test.log" | awk '{s+=$1} END {print s+0}')
if [ "$ignored" != 0 ]; then echo "$ignored tests were ignored (PostgreSQL not reached?)"; failed=$((failed+ignored)); cargo_rc=1; fi
summary+=("unit+db+http: $passed passed, $failed failed")
[ "$cargo_rc" = 0 ] || status=1

echo "==> Lints (rustfmt, clippy on the server and the wasm front end)"
lint_pass=0; lint_fail=0
lint() { if "$@" 2>&1 | tail -20; [ "${PIPESTATUS[0]}" = 0 ]; then lint_pass=$((lint_pass+1)); else lint_fail=$((lint_fail+1)); echo "lint failed: $*"; fi; }
lint cargo fmt --check
lint scripts/check-layers.sh
lint cargo clippy --quiet --features ssr --all-targets -- -D warnings
lint cargo clippy --quiet --lib --no-default-features --features hydrate --target wasm32-unknown-unknown \
  --target-dir target/front -- -D warnings
summary+=("lint: $lint_pass passed, $lint_fail failed")
[ "$lint_fail" = 0 ] || status=1

echo "==> Building the release server and front end (what scripts/run.sh serves)"
rm -f target/release/forgekey
cargo leptos build --release >"$work/build.log" 2>&1
if [ $? != 0 ]; then
  grep -E -A12 '^error' "$work/build.log" | head -60; tail -5 "$work/build.log"
  echo "release build failed"; rm -f target/release/forgekey; status=1
fi
bin=target/release/forgekey
if [ ! -x "$bin" ]; then
  echo "build failed"; summary+=("cli: 0 passed, 1 failed" "e2e: 0 passed, 1 failed"); status=1
else
  echo "==> Command-line tests"
  cli_pass=0; cli_fail=0
  check() { if "$@"; then cli_pass=$((cli_pass+1)); else cli_fail=$((cli_fail+1)); echo "cli test failed: $*"; fi; }
  cli_data="$work/cli-data"
  check bash -c "echo 'a-strong-password' | $bin --data-dir $cli_data user create --username root --email root@example.com --password-stdin | grep -q 'administrator'"
  check bash -c "echo 'a-strong-password' | $bin --data-dir $cli_data user create --username Root --email other@example.com --password-stdin 2>&1 | grep -q 'already been taken'"
  check bash -c "$bin --data-dir $cli_data user list | grep -q 'root@example.com'"
  check bash -c "$bin --data-dir $cli_data user list | head -1 | grep -q '2FA'"
  check bash -c "[ \"\$(stat -c %a $cli_data/secret.key)\" = 600 ]"
  check bash -c "$bin --help | grep -q 'serve'"
  # Tokens: the secret is the last line; bad input exits non-zero with one line.
  check bash -c "$bin --data-dir $cli_data token create --user root --name ci --scopes api,read_user --expires-at \$(date -u -d '+30 days' +%F) 2>/dev/null | tail -1 | grep -Eq '^fkpat-[0-9A-Za-z]{49}\$'"
  check bash -c "$bin --data-dir $cli_data token list --user root 2>/dev/null | grep -E 'ci +api,read_user' | grep -q active"
  check bash -c "! $bin --data-dir $cli_data token list --user root 2>/dev/null | grep -q fkpat-"
  # Runs a command that must fail with exactly one line on stderr containing $1.
  fails_with() {
    local want=$1; shift
    local err; err=$("$@" 2>&1 >/dev/null) && return 1
    [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && printf '%s' "$err" | grep -q -- "$want"
  }
  check fails_with "Unknown scope 'everything'" $bin --data-dir $cli_data token create --user root --name x --scopes api,everything --expires-at 2030-01-01
  check fails_with "no user named 'nobody'" $bin --data-dir $cli_data token create --user nobody --name x --scopes api --expires-at 2030-01-01
  check fails_with "YYYY-MM-DD" $bin --data-dir $cli_data token create --user root --name x --scopes api --expires-at 31/12/2026
  check fails_with "at most 365 days" $bin --data-dir $cli_data token create --user root --name x --scopes api --expires-at 2099-01-01
  check bash -c "$bin --data-dir $cli_data token revoke 1 2>/dev/null | grep -q Revoked && $bin --data-dir $cli_data token list --user root 2>/dev/null | grep -q revoked"
  check fails_with "no token with id 999" $bin --data-dir $cli_data token revoke 999
  check fails_with "does not have two-factor authentication enabled" $bin --data-dir $cli_data user disable-two-factor --user root
  check bash -c "$bin --data-dir $cli_data project create --user root --name 'My Tool' | grep -q 'root/my-tool'"
  check bash -c "[ -f $cli_data/repositories/1.git/HEAD ]"
  check fails_with "Path has already been taken" $bin --data-dir $cli_data project create --user root --name 'my tool'
  check bash -c "$bin --data-dir $cli_data settings set --git-password-auth off | grep -Eq 'git-password-auth +off'"
  # Rails-console work: unrevoke, block, the lifetime limit (all audited).
  check bash -c "$bin --data-dir $cli_data token unrevoke 1 2>/dev/null | grep -q Unrevoked && $bin --data-dir $cli_data token list --user root 2>/dev/null | grep -E '^ +1 ' | grep -q active"
  check fails_with "The token is not revoked" $bin --data-dir $cli_data token unrevoke 1
  check fails_with "at least one administrator" $bin --data-dir $cli_data user block --user root
  check bash -c "echo 'a-strong-password' | $bin --data-dir $cli_data user create --username eve --email eve@example.com --password-stdin >/dev/null && $bin --data-dir $cli_data user block --user eve | grep -q \"'eve' is blocked\""
  check fails_with "from 1 to 365" $bin --data-dir $cli_data settings set --token-max-lifetime-days 0
  check fails_with "A limit of 7 days revokes 1 active token of 1 user now, and mails their owners. Add --confirm" $bin --data-dir $cli_data settings set --token-max-lifetime-days 7
  check bash -c "$bin --data-dir $cli_data settings show | grep -Eq 'token-max-lifetime-days +365'"
  check bash -c "$bin --data-dir $cli_data settings set --token-max-lifetime-days 7 --confirm | grep -q 'Revoked 1 token expiring beyond' && $bin --data-dir $cli_data settings show | grep -Eq 'token-max-lifetime-days +7'"
  # The daily jobs by hand: a token expiring in 3 days is notified once.
  check bash -c "$bin --data-dir $cli_data token create --user root --name soon --scopes api --expires-at \$(date -u -d '+3 days' +%F) >/dev/null 2>&1 && $bin --data-dir $cli_data jobs run expiring-soon | grep -q 'Sent 1 mails about 1 tokens' && $bin --data-dir $cli_data jobs run expiring-soon | grep -q 'Sent 0 mails'"
  check bash -c "$bin --data-dir $cli_data jobs run purge-revoked --at \$(date -u -d '+40 days' +%FT%TZ) | grep -q 'Deleted 1 revoked tokens'"
  check fails_with "RFC 3339" $bin --data-dir $cli_data jobs run purge-revoked --at yesterday
  # Tokens without an expiry date, only while administrators allow them.
  check fails_with "Choose an expiration date" $bin --data-dir $cli_data token create --user root --name forever --scopes api
  check bash -c "$bin --data-dir $cli_data settings set --token-expiry-required off >/dev/null && $bin --data-dir $cli_data token create --user root --name forever --scopes api 2>/dev/null | grep -q 'expiring never'"
  # The audit log: what the command line did is on the record.
  check bash -c "$bin --data-dir $cli_data audit list --action user_created | grep -E 'command line' | grep -q administrator"
  check bash -c "$bin --data-dir $cli_data audit list --actor 'command line' --action token_revoked | grep -q \"token 'ci'\""
  check fails_with "Unknown action 'nonsense'" $bin --data-dir $cli_data audit list --action nonsense
  summary+=("cli: $cli_pass passed, $cli_fail failed")
  [ "$cli_fail" = 0 ] || status=1

  echo "==> Browser tests (Playwright, Debian Chromium)"
  # The Admin Area specs sign in as this administrator.
  e2e_admin_password="e2e-admin-$RANDOM$RANDOM"
  echo "$e2e_admin_password" | "$bin" --data-dir "$work/e2e-data" user create --username e2e-admin \
    --email e2e-admin@example.com --admin --password-stdin >/dev/null
  # Every browser test signs its own accounts up, all from 127.0.0.1.
  LEPTOS_SITE_ROOT=target/site "$bin" --data-dir "$work/e2e-data" serve --addr "127.0.0.1:$web_port" \
    --sign-ups-per-address-per-hour 10000 \
    >"$work/server.log" 2>&1 &
  server_pid=$!
  (cd end2end && FORGEKEY_URL="http://127.0.0.1:$web_port" FORGEKEY_E2E_ADMIN_PASSWORD="$e2e_admin_password" npx playwright test --reporter=list 2>&1) | tee "$work/e2e.log"
  e2e_rc=${PIPESTATUS[0]}
  e2e_pass=$(grep -Eo '^ *[0-9]+ passed' "$work/e2e.log" | awk '{s+=$1} END {print s+0}')
  e2e_fail=$(grep -Eo '^ *[0-9]+ (failed|flaky)' "$work/e2e.log" | awk '{s+=$1} END {print s+0}')
  if [ "$e2e_rc" != 0 ] && [ "$e2e_fail" = 0 ]; then e2e_fail=1; fi
  [ "$e2e_rc" = 0 ] || { status=1; echo "--- server log"; tail -30 "$work/server.log"; }
  # The browser tests created tokens: no secret may have reached the log.
  if grep -q 'fkpat-' "$work/server.log"; then
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
