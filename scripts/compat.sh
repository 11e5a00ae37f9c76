#!/usr/bin/env bash
# Run the MLflow client compatibility tests (test/compat) against a live server.
#
#   bash scripts/compat.sh [pytest args...]
#
# COMPAT_TARGET=mltrack (default; needs `npm run build` first) or COMPAT_TARGET=mlflow (MLflow's own
# server from .venv, to check that the tests encode MLflow's real behaviour).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash "$ROOT/scripts/setup-python.sh"

export COMPAT_TARGET="${COMPAT_TARGET:-mltrack}"
export PYTHONDONTWRITEBYTECODE=1
echo "compat: running test/compat against COMPAT_TARGET=$COMPAT_TARGET"

status=0
# COMPAT_BACKENDS="sqlite postgres mysql" runs the suite once per backend (mltrack only); postgres and mysql use a
# fresh database on the servers named by MLTRACK_TEST_POSTGRES_URI / MLTRACK_TEST_MYSQL_URI (see .ci/run).
for backend in ${COMPAT_BACKENDS:-sqlite}; do
  unset COMPAT_BACKEND_STORE_URI
  db="compat_$$_$RANDOM"
  case "$backend" in
    sqlite) ;;
    postgres)
      psql -q "$MLTRACK_TEST_POSTGRES_URI" -c "CREATE DATABASE $db"
      export COMPAT_BACKEND_STORE_URI="${MLTRACK_TEST_POSTGRES_URI%/*}/$db" ;;
    mysql)
      hostport="${MLTRACK_TEST_MYSQL_URI#*@}"; hostport="${hostport%%/*}"
      mariadb -h "${hostport%:*}" -P "${hostport#*:}" -u mltrack -pmltrack \
        -e "CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
      export COMPAT_BACKEND_STORE_URI="${MLTRACK_TEST_MYSQL_URI%/*}/$db" ;;
    *) echo "compat: unknown backend $backend" >&2; exit 2 ;;
  esac
  echo "compat: backend $backend"
  "$ROOT/.venv/bin/python" -m pytest "$ROOT/test/compat" -q "$@" || status=$?
  [[ $status -ne 0 ]] && break
done

if [[ $status -eq 5 ]]; then
  echo "compat: FAILED - pytest collected no tests (exit 5); check the arguments and test/compat" >&2
  exit 1
fi
if [[ $status -ne 0 ]]; then
  echo "compat: FAILED (pytest exit code $status, COMPAT_TARGET=$COMPAT_TARGET)" >&2
else
  echo "compat: passed (COMPAT_TARGET=$COMPAT_TARGET)"
fi
exit $status
