#!/usr/bin/env bash
# Stop the MariaDB server started by start-mariadb.sh: mariadb-admin shutdown,
# then wait (up to 60 s, then SIGTERM, then SIGKILL) until the process is gone.
# Usage: scripts/db/stop-mariadb.sh <datadir>      (no-op if it is not running)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[[ $# -eq 1 ]] || die "usage: $0 <datadir>"
[[ -d $1 ]] || die "no such datadir: $1"
DIR=$(abs_dir "$1")
PIDF=$DIR/mysqld.pid
PID=$(cat "$PIDF" 2>/dev/null) || true
if [[ -z $PID ]] || ! pid_alive "$PID"; then log "not running"; exit 0; fi

mariadb-admin --no-defaults --socket="$DIR/mysqld.sock" -uroot shutdown >&2 || kill -TERM "$PID" || true
for i in $(seq 1200); do
  pid_alive "$PID" || { log "stopped"; exit 0; }
  (( i == 600 )) && { log "still running after 60 s; sending SIGTERM"; kill -TERM "$PID" || true; }
  sleep 0.1
done
log "still running after 120 s; sending SIGKILL"; kill -KILL "$PID" || true
