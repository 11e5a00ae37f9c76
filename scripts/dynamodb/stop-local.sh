#!/usr/bin/env bash
# Stop the DynamoDB Local started by start-local.sh <statedir>.
set -euo pipefail
[[ $# -ge 1 ]] || { echo "usage: $0 <statedir>" >&2; exit 2; }
PIDF=$1/pid
[[ -f $PIDF ]] || exit 0
PID=$(cat "$PIDF")
if kill -0 "$PID" 2>/dev/null; then
  kill "$PID"
  for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$PID" 2>/dev/null || true
fi
rm -f "$PIDF"
