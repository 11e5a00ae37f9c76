#!/usr/bin/env bash
# Restart the PostgreSQL server of <datadir> (stop -m fast, then start on the saved port).
# Usage: scripts/db/restart-postgres.sh <datadir>
# Last stdout line: postgresql://mltrack:mltrack@127.0.0.1:<port>/postgres
set -euo pipefail
HERE=$(dirname "$0")
[[ $# -eq 1 ]] || { echo "usage: $0 <datadir>" >&2; exit 1; }
"$HERE/stop-postgres.sh" "$1"
"$HERE/start-postgres.sh" "$1"
