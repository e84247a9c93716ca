#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the tests: its own data folder, port and socket folder,
# on 127.0.0.1 only, with fsync off (test data only). Runs as root (the server itself runs as
# the `postgres` user); installs Debian's postgresql-15 when it is missing.
#
#   scripts/services/postgres.sh start   # prints the URL tests use (SLUICE_TEST_POSTGRES)
#   scripts/services/postgres.sh stop    # stops the server and deletes its data
#   scripts/services/postgres.sh url     # the URL, without starting anything
#   scripts/services/postgres.sh restart # restarts the running server (fast shutdown: clients lose their connections)
#   scripts/services/postgres.sh halt    # stops the server but keeps its data (start brings it back)
#   scripts/services/postgres.sh run CMD…  # starts it, runs CMD with SLUICE_TEST_POSTGRES set, stops it
#                                          # (not root or no server: CMD runs without it, and the
#                                          # tests that need it say "skipped: no PostgreSQL" — in CI they fail)
#
# Env: SLUICE_PG_DIR (/tmp/sluice-postgres) SLUICE_PG_PORT (55439) SLUICE_PG_USER (sluice)
#      SLUICE_PG_PASSWORD (sluice) SLUICE_PG_DB (sluice)
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
dir=${SLUICE_PG_DIR:-/tmp/sluice-postgres}
port=${SLUICE_PG_PORT:-55439}
user=${SLUICE_PG_USER:-sluice}
password=${SLUICE_PG_PASSWORD:-sluice}
db=${SLUICE_PG_DB:-sluice}
url="postgres://$user:$password@127.0.0.1:$port/$db"
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
caller="$PWD"
cd /
as_postgres() { runuser -u postgres -- "$@"; }   # initdb and postgres refuse to run as root
# shellcheck source=scripts/services/common.sh
. "$(dirname "$self")/common.sh"

case "${1:-start}" in
url) echo "$url"; exit 0 ;;
run)
  shift
  cd "$caller"
  if started=$("$self" start); then
    trap '"$self" stop' EXIT
    SLUICE_TEST_POSTGRES="$started" "$@"
    exit $?
  fi
  echo "postgres: not started; running without it" >&2
  exec "$@" ;;
halt)
  # Stops the server and keeps its data: `start` brings it back as it was.
  if [ -f "$dir/data/postmaster.pid" ]; then as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
  echo "postgres: halted (data kept in $dir)" >&2
  exit 0 ;;
restart)
  close_inherited
  [ -f "$dir/data/postmaster.pid" ] || { echo "postgres: not running (nothing in $dir)" >&2; exit 1; }
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 30 restart >/dev/null
  echo "postgres: restarted" >&2
  exit 0 ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true; fi
  rm -rf "$dir"
  echo "postgres: stopped" >&2
  exit 0 ;;
start) ;;
*) echo "usage: $0 start|stop|halt|restart|url|run CMD…" >&2; exit 2 ;;
esac

[ "$(id -u)" = 0 ] || { echo "postgres: must run as root (it starts the server as the postgres user)" >&2; exit 1; }
if [ ! -x "$bin/initdb" ]; then
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit)" ]; then
    apt-get update -q -o DPkg::Lock::Timeout=600 >&2
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 \
    postgresql-15 postgresql-client-15 >&2
fi
install -d -o postgres -g postgres -m 0700 "$dir"
if [ ! -f "$dir/data/PG_VERSION" ]; then
  as_postgres "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$dir/initdb.log"
fi
if ! as_postgres "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  close_inherited
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
fi
as_postgres psql -X -q -h "$dir" -p "$port" -d postgres -v ON_ERROR_STOP=1 -v u="$user" -v pw="$password" -v db="$db" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'u') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'u', :'pw') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'u') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
PGPASSWORD=$password psql -X -tA -h 127.0.0.1 -p "$port" -U "$user" -d "$db" -c 'SELECT 1' >/dev/null
echo "postgres: ready on 127.0.0.1:$port (data in $dir)" >&2
echo "$url"
