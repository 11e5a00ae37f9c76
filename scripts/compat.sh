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
"$ROOT/.venv/bin/python" -m pytest "$ROOT/test/compat" -q "$@" || status=$?

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
