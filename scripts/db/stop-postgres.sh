#!/usr/bin/env bash
# Stop the PostgreSQL server started by start-postgres.sh (pg_ctl stop -m fast).
# Usage: scripts/db/stop-postgres.sh <datadir>      (no-op if it is not running)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[[ $# -eq 1 ]] || die "usage: $0 <datadir>"
[[ -d $1 ]] || die "no such datadir: $1"
DIR=$(abs_dir "$1")
PGBIN=$(compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -1) || die "PostgreSQL not installed"
cd /
if [[ -f $DIR/postmaster.pid ]] && pid_alive "$(head -n 1 "$DIR/postmaster.pid")" &&
   runuser -u postgres -- "$PGBIN/pg_ctl" status -D "$DIR" >/dev/null; then
  runuser -u postgres -- "$PGBIN/pg_ctl" stop -D "$DIR" -m fast -w -t 60 >&2
else
  log "not running"
fi
