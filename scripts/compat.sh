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
# dynamodb (DynamoDB Local) and dynamodb-moto (moto's server) use a fresh table on MLTRACK_TEST_DYNAMODB_ENDPOINT /
# MLTRACK_TEST_MOTO_ENDPOINT, or on the emulator scripts/dynamodb starts when the variable is unset; the server
# creates the table, and it is deleted after the run.
drop_dynamodb_table() { # $1: endpoint, $2: table
  "$ROOT/node_modules/.bin/node" --input-type=module - "$1" "$2" <<'EOF' || echo "compat: could not delete table $2" >&2
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
const [endpoint, TableName] = process.argv.slice(2);
const local = { accessKeyId: 'local', secretAccessKey: 'local' };
const ddb = new DynamoDBClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1',
  ...(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE ? {} : { credentials: local }) });
try { await ddb.send(new DeleteTableCommand({ TableName })); } catch (e) { if (e.name !== 'ResourceNotFoundException') throw e; }
EOF
}

for backend in ${COMPAT_BACKENDS:-sqlite}; do
  unset COMPAT_BACKEND_STORE_URI
  dynamo_endpoint=""
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
    dynamodb)
      dynamo_endpoint="${MLTRACK_TEST_DYNAMODB_ENDPOINT:-$(bash scripts/dynamodb/start-local.sh /tmp/mltrack-db/dynamodb-local 58000 | tail -n1)}"
      export COMPAT_BACKEND_STORE_URI="dynamodb://$dynamo_endpoint/$db" ;;
    dynamodb-moto)
      dynamo_endpoint="${MLTRACK_TEST_MOTO_ENDPOINT:-$(bash scripts/dynamodb/start-moto.sh /tmp/mltrack-db/moto 58100 | tail -n1)}"
      export COMPAT_BACKEND_STORE_URI="dynamodb://$dynamo_endpoint/$db" ;;
    *) echo "compat: unknown backend $backend" >&2; exit 2 ;;
  esac
  echo "compat: backend $backend"
  if [[ $backend == dynamodb-moto ]]; then
    # moto copies the whole table for every item of a TransactWriteItems, so one table for the whole session grows
    # slow enough to hit the client's timeouts: one fresh table (and server) per test file instead.
    for f in "$ROOT"/test/compat/test_*.py; do
      table="${db}_$(basename "$f" .py | tr -c 'A-Za-z0-9_\n' _)"
      export COMPAT_BACKEND_STORE_URI="dynamodb://$dynamo_endpoint/$table"
      "$ROOT/.venv/bin/python" -m pytest "$f" -q "$@" || status=$?
      drop_dynamodb_table "$dynamo_endpoint" "$table"
      [[ $status -ne 0 ]] && break
    done
  else
    "$ROOT/.venv/bin/python" -m pytest "$ROOT/test/compat" -q "$@" || status=$?
    [[ -z $dynamo_endpoint ]] || drop_dynamodb_table "$dynamo_endpoint" "$db"
  fi
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
