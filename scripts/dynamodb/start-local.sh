#!/usr/bin/env bash
# Start DynamoDB Local on 127.0.0.1 in the background (installing it first if needed).
# Usage: scripts/dynamodb/start-local.sh <statedir> [port=58000] [--persist]
#   statedir holds pid, port and log (and the database files with --persist; in memory otherwise).
# Already running: just prints the endpoint. Last stdout line: http://127.0.0.1:<port>
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[[ $# -ge 1 ]] || { echo "usage: $0 <statedir> [port] [--persist]" >&2; exit 2; }
STATE=$1; PORT=${2:-58000}; PERSIST=${3:-}
mkdir -p "$STATE"
# Several test workers may ask at once: one starts it, the others wait for the lock and find it running.
exec 9>"$STATE/lock"
flock 9
if [[ -f $STATE/pid ]] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
  echo "http://127.0.0.1:$(cat "$STATE/port")"; exit 0
fi
HOME_DIR=$("$HERE/install-local.sh" | tail -n1)
ARGS=("$PORT")
[[ $PERSIST == --persist ]] && ARGS+=("$STATE/db") && mkdir -p "$STATE/db"
nohup java -Djava.library.path="$HOME_DIR/lib" -cp "$HOME_DIR/classes:$HOME_DIR/lib/*" LoopbackDynamoDBLocal \
  "${ARGS[@]}" >"$STATE/server.log" 2>&1 9>&- &
echo $! >"$STATE/pid"; echo "$PORT" >"$STATE/port"
for _ in $(seq 1 200); do
  if grep -q "listening on 127.0.0.1:$PORT" "$STATE/server.log" 2>/dev/null; then
    echo "http://127.0.0.1:$PORT"; exit 0
  fi
  kill -0 "$(cat "$STATE/pid")" 2>/dev/null || { cat "$STATE/server.log" >&2; exit 1; }
  sleep 0.1
done
echo "start-local: DynamoDB Local did not start in 20 s" >&2; cat "$STATE/server.log" >&2; exit 1
