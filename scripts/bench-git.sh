#!/usr/bin/env bash
# Benchmarks cloning through Forgekey against cloning the same bare
# repository from disk, in one run: a repository of 10,000 commits
# (FORGEKEY_BENCH_COMMITS) made with git fast-import, served by the release
# server; each clone is a full `git clone --bare` (pack negotiation and
# transfer, no hard links: file:// for the disk baseline), three rounds
# each, best time reported, and the ratio.
# Not a test: figures vary with the machine; compare the ratio.
#   scripts/bench-git.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
commits=${FORGEKEY_BENCH_COMMITS:-10000}
port=${FORGEKEY_BENCH_PORT:-3201}
source scripts/lib/release-server.sh
prepare_release_run bench-git
export GIT_CONFIG_NOSYSTEM=1 HOME="$work" GIT_TERMINAL_PROMPT=0

echo "==> A repository of $commits commits"
git init -q --bare "$work/source.git"
python3 - "$commits" <<'PY' | git -C "$work/source.git" fast-import --quiet
import sys
n = int(sys.argv[1])
out = sys.stdout
for i in range(1, n + 1):
    data = f"line {i}\n" * 20
    msg = f"commit {i}\n"
    out.write(f"commit refs/heads/main\nmark :{i}\n")
    out.write(f"committer Bench <bench@example.com> {1700000000 + i} +0000\n")
    out.write(f"data {len(msg)}\n{msg}")
    if i > 1:
        out.write(f"from :{i - 1}\n")
    out.write(f"M 644 inline file{i % 100}.txt\ndata {len(data)}\n{data}\n")
PY
git -C "$work/source.git" gc -q
echo "    $(git -C "$work/source.git" rev-list --count main) commits, $(du -sh "$work/source.git" | cut -f1) on disk"

echo "==> Forgekey on 127.0.0.1:$port"
data="$work/data"
echo 'bench-password-1' | "$bin" --data-dir "$data" user create --username bench --email bench@example.com --password-stdin >/dev/null
"$bin" --data-dir "$data" project create --user bench --name big >/dev/null
token=$("$bin" --data-dir "$data" token create --user bench --name bench --scopes read_repository \
  --expires-at "$(date -u -d '+30 days' +%F)" 2>/dev/null | tail -1)
rm -rf "$data/repositories/1.git"
cp -r "$work/source.git" "$data/repositories/1.git"
LEPTOS_SITE_ROOT=target/site RUST_LOG=warn "$bin" --data-dir "$data" serve --addr "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$!
wait_for_server "$port"

best() {
  local best=""
  for round in 1 2 3; do
    rm -rf "$work/clone"
    local start end
    start=$(date +%s.%N)
    git clone -q --bare "$1" "$work/clone"
    end=$(date +%s.%N)
    local t; t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
    if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
  done
  [ "$(git -C "$work/clone" rev-list --count main)" = "$commits" ] || { echo "incomplete clone"; exit 1; }
  echo "$best"
}
disk=$(best "file://$work/source.git")
http=$(best "http://bench:$token@127.0.0.1:$port/bench/big.git")
printf '%-34s %8.3f s\n' "git clone file:// (baseline)" "$disk"
printf '%-34s %8.3f s\n' "git clone through Forgekey (HTTP)" "$http"
printf '%-34s %8.2f\n' "ratio (Forgekey / disk)" "$(awk -v h="$http" -v d="$disk" 'BEGIN { print h / d }')"
