#!/usr/bin/env bash
# Start moto's server (a DynamoDB emulator among others) on 127.0.0.1 in the background, installing it first.
# Usage: scripts/dynamodb/start-moto.sh <statedir> [port=58100]
#   statedir holds pid, port, lock and server.log; moto keeps its data in memory (gone when stopped).
# Already running: just prints the endpoint. Last stdout line: http://127.0.0.1:<port>
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[[ $# -ge 1 ]] || { echo "usage: $0 <statedir> [port]" >&2; exit 2; }
STATE=$1; PORT=${2:-58100}
mkdir -p "$STATE"
# A live process, not a zombie (in a container without an init that reaps, a dead server can linger as one).
alive() { [[ -r /proc/$1/stat ]] && [[ $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) != Z ]]; }
# Several test workers may ask at once: one starts it, the others wait for the lock and find it running.
exec 9>"$STATE/lock"
flock 9
if [[ -f $STATE/pid ]] && alive "$(cat "$STATE/pid")"; then
  echo "http://127.0.0.1:$(cat "$STATE/port")"; exit 0
fi
MOTO_DIR=$("$HERE/install-moto.sh" | tail -n1)
# 9>&-: the server must not inherit the lock, or it would hold it for as long as it runs.
nohup "$MOTO_DIR/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$STATE/server.log" 2>&1 9>&- &
echo $! >"$STATE/pid"; echo "$PORT" >"$STATE/port"
deadline=$((SECONDS + 60))
while ((SECONDS < deadline)); do
  alive "$(cat "$STATE/pid")" || { cat "$STATE/server.log" >&2; rm -f "$STATE/pid"; exit 1; }
  # Ready when this server has bound the port (its log says so; a port taken by another process makes it exit
  # instead) and moto's API answers.
  if grep -q "Running on http://127.0.0.1:$PORT" "$STATE/server.log" 2>/dev/null &&
    "$MOTO_DIR/bin/python" - "$PORT" 9>&- 2>/dev/null <<'PY'
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
  then
    echo "http://127.0.0.1:$PORT"; exit 0
  fi
  sleep 0.1
done
echo "start-moto: moto_server did not start in 60 s" >&2; cat "$STATE/server.log" >&2; exit 1
