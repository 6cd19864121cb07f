#!/usr/bin/env bash
# The web pages as a phone on a slow network gets them: Lighthouse 13 (npm,
# beside this script in scripts/pages/) in Debian's Chromium against a
# release server started here, on the sign-in page, Access Tokens signed in
# with 20 tokens, and the Admin Area's users page. One line a page: the
# performance, accessibility and best-practices scores, LCP, and the bytes
# a first and a second visit transfer. Goals: performance >= 0.95,
# accessibility and best practices 1.0; Access Tokens under 300 KB (of 1,000
# bytes) on a first visit; every second visit under 20 KB. Exits non-zero on
# a miss.
# Not a CI step (Lighthouse's scores move with the machine's load).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/release-server.sh
port=${FORGEKEY_PAGES_PORT:-3620}

if [ ! -x scripts/pages/node_modules/.bin/lighthouse ]; then
  echo "==> Installing Lighthouse (npm)"
  (cd scripts/pages && npm ci --no-audit --no-fund --loglevel=error)
fi
[ -d end2end/node_modules/playwright-core ] || FORGEKEY_SETUP_TESTS=1 scripts/setup.sh

prepare_release_run pages
password="pages-$RANDOM$RANDOM"
echo "$password" | "$bin" --data-dir "$work/data" user create --username root \
  --email root@example.com --admin --password-stdin >/dev/null
for i in $(seq -w 1 20); do
  "$bin" --data-dir "$work/data" token create --user root --name "deploy key $i" \
    --scopes api,read_repository --expires-at "$(date -u -d '+90 days' +%F)" >/dev/null
done
LEPTOS_SITE_ROOT=target/site "$bin" --data-dir "$work/data" serve --addr "127.0.0.1:$port" \
  >"$work/server.log" 2>&1 &
server_pid=$!
wait_for_server "$port" || { tail -20 "$work/server.log"; exit 1; }

echo "==> Lighthouse (mobile, simulated slow 4G) and a second visit, per page"
node scripts/pages/bench-pages.mjs "http://127.0.0.1:$port" root "$password"
