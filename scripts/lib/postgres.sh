# Starts a private PostgreSQL 15 for tests and benchmarks; sourced by the
# scripts. Usage: start_postgres DIR PORT (sets pg_url; stop_postgres DIR).
# PostgreSQL refuses to run as root: its files live in folders it owns.
pg_bin=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
  local dir=$1 port=$2
  mkdir -p "$dir/pg" "$dir/pgsock"
  [ "$(id -u)" = 0 ] && chown postgres "$dir/pg" "$dir/pgsock"
  as_pg "$pg_bin/initdb" -D "$dir/pg" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log"; return 1; }
  as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -l "$dir/pgsock/pg.log" -w \
    -o "-p $port -k $dir/pgsock -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
    || { cat "$dir/pgsock/pg.log"; return 1; }
  pg_url="postgres://postgres@127.0.0.1:$port/postgres"
}

stop_postgres() {
  local dir=$1
  [ -f "$dir/pg/postmaster.pid" ] && as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null 2>&1
  return 0
}
