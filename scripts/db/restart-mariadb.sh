#!/usr/bin/env bash
# Restart the MariaDB server of <datadir> (clean shutdown, then start on the saved port).
# Usage: scripts/db/restart-mariadb.sh <datadir>
# Last stdout line: mysql://mltrack:mltrack@127.0.0.1:<port>/mysql
set -euo pipefail
HERE=$(dirname "$0")
[[ $# -eq 1 ]] || { echo "usage: $0 <datadir>" >&2; exit 1; }
"$HERE/stop-mariadb.sh" "$1"
"$HERE/start-mariadb.sh" "$1"
