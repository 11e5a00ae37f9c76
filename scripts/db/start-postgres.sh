#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for tests, on 127.0.0.1 only.
# Usage: scripts/db/start-postgres.sh <datadir> [port]
#   port defaults to the one saved in <datadir>/port by the last start, else 55432.
# If <datadir> is empty, initdb creates a cluster there (owned by the `postgres`
# user; PostgreSQL refuses to run as root): trust auth for the unix socket
# (in <datadir>) and 127.0.0.1/32 only, fsync on. Starts it with pg_ctl (log:
# <datadir>/server.log), waits until ready, and ensures the role mltrack/mltrack
# (SUPERUSER, CREATEDB). Already running: just prints the URI.
# Last stdout line: postgresql://mltrack:mltrack@127.0.0.1:<port>/postgres
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[[ $# -ge 1 ]] || die "usage: $0 <datadir> [port]"
DIR=$(abs_dir "$1")
PGBIN=$(compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -1) || true
[[ -x $PGBIN/initdb ]] || die "PostgreSQL server not installed (run scripts/db/install.sh)"
cd /  # the postgres user may not be able to read the caller's cwd
as_pg() { runuser -u postgres -- "$@"; }
uri() { echo "postgresql://mltrack:mltrack@127.0.0.1:$1/postgres"; }

if [[ -f $DIR/postmaster.pid ]]; then
  PID=$(head -n 1 "$DIR/postmaster.pid")
  if pid_alive "$PID" && as_pg "$PGBIN/pg_ctl" status -D "$DIR" >/dev/null; then
    PORT=$(sed -n 4p "$DIR/postmaster.pid")
    log "already running on port $PORT"
    uri "$PORT"; exit 0
  fi
  # crashed/killed: postgres refuses to start while the old pid still exists
  wait_gone "$PID" || die "stale postmaster $PID in $DIR/postmaster.pid does not go away"
fi

PORT=${2:-$(saved_port "$DIR" 55432)}
check_port_free "$PORT"
check_socket_path "$DIR/.s.PGSQL.$PORT"
chown postgres:postgres "$DIR"
check_user_access postgres "$DIR"

if [[ ! -f $DIR/PG_VERSION ]]; then
  [[ -z $(ls -A "$DIR") ]] || die "$DIR is neither empty nor a PostgreSQL cluster"
  log "initdb $DIR"
  out=$(as_pg "$PGBIN/initdb" -D "$DIR" -U postgres -E UTF8 --locale=C.UTF-8 \
          --auth-local=trust --auth-host=trust 2>&1) || die "initdb failed: $out"
  cat >"$DIR/pg_hba.conf" <<HBA
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
HBA
  cat >>"$DIR/postgresql.conf" <<CONF

# --- scripts/db/start-postgres.sh (port is passed with -p at start) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
fsync = on
synchronous_commit = on
full_page_writes = on
CONF
  echo "$out" >>"$DIR/server.log"
  chown postgres:postgres "$DIR/server.log"
fi
echo "$PORT" >"$DIR/port"

log "starting on 127.0.0.1:$PORT (log: $DIR/server.log)"
as_pg "$PGBIN/pg_ctl" start -D "$DIR" -l "$DIR/server.log" -w -t 60 -o "-p $PORT" >&2 ||
  { tail -n 20 "$DIR/server.log" >&2; die "PostgreSQL did not start"; }

"$PGBIN/psql" -h "$DIR" -p "$PORT" -U postgres -d postgres -qX -v ON_ERROR_STOP=1 >&2 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mltrack') THEN CREATE ROLE mltrack LOGIN; END IF;
END $$;
ALTER ROLE mltrack WITH LOGIN SUPERUSER CREATEDB PASSWORD 'mltrack';
SQL
uri "$PORT"
