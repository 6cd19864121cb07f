# What the release-server scripts (bench, bench-git, attack) share; sourced.
# Usage: prepare_release_run NAME — builds the release server and sets bin,
# work (a fresh folder, removed at exit with any server and PostgreSQL the
# script started there) and server_pid; wait_for_server PORT — until it
# answers /-/liveness.
source "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"

prepare_release_run() {
  bin=target/release/forgekey
  echo "==> Building the release server"
  cargo leptos build --release --precompress --split 2>&1 | tail -2
  work=$(mktemp -d "/tmp/forgekey-$1.XXXXXX")
  chmod 755 "$work"
  server_pid=""
  trap 'cleanup_release_run' EXIT
}

cleanup_release_run() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  stop_postgres "$work"
  rm -rf "$work"
}

wait_for_server() {
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$1/-/liveness" >/dev/null && return 0; sleep 0.2; done
  return 1
}
