#!/usr/bin/env bash
# Stop the moto server started by start-moto.sh <statedir>.
set -euo pipefail
[[ $# -ge 1 ]] || { echo "usage: $0 <statedir>" >&2; exit 2; }
PIDF=$1/pid
# A live process, not a zombie (in a container without an init that reaps, the stopped server lingers as one).
alive() { [[ -r /proc/$1/stat ]] && [[ $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) != Z ]]; }
[[ -f $PIDF ]] || exit 0
PID=$(cat "$PIDF")
if alive "$PID"; then
  kill "$PID"
  for _ in $(seq 1 100); do alive "$PID" || break; sleep 0.1; done
  kill -9 "$PID" 2>/dev/null || true
fi
rm -f "$PIDF"
