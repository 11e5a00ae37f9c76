#!/usr/bin/env bash
# Start a throw-away MariaDB server for tests, on 127.0.0.1 only, with TLS.
# Usage: scripts/db/start-mariadb.sh <datadir> [port]
#   port defaults to the one saved in <datadir>/port by the last start, else 53306.
# Layout of <datadir> (owned by the `mysql` user):
#   data/         the MariaDB data directory (mariadb-install-db on first start;
#                 a subdir so that tls/ does not show up as a database)
#   tls/          ca.pem, server-cert.pem/-key.pem (SAN 127.0.0.1, localhost),
#                 client-cert.pem/-key.pem, all signed by the CA; made once
#   server.log, mysqld.sock, mysqld.pid, port
# Users: root@localhost (unix socket auth, i.e. OS root); mltrack/mltrack @127.0.0.1
# and @localhost with ALL ON *.* WITH GRANT OPTION; mltrack_tls/mltrack, same
# grants, REQUIRE X509 (client cert from tls/). Already running: prints the URI.
# Last stdout line: mysql://mltrack:mltrack@127.0.0.1:<port>/mysql
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[[ $# -ge 1 ]] || die "usage: $0 <datadir> [port]"
DIR=$(abs_dir "$1")
MYSQLD=$(command -v mariadbd || command -v mysqld || ls /usr/sbin/mariadbd 2>/dev/null) ||
  die "MariaDB server not installed (run scripts/db/install.sh)"
SOCK=$DIR/mysqld.sock PIDF=$DIR/mysqld.pid TLS=$DIR/tls
uri() { echo "mysql://mltrack:mltrack@127.0.0.1:$1/mysql"; }
running() { [[ -f $PIDF ]] && pid_alive "$(cat "$PIDF")"; }
admin() { mariadb-admin --no-defaults --socket="$SOCK" -uroot "$@"; }

if running; then
  PORT=$(saved_port "$DIR" 53306)
  log "already running on port $PORT"
  uri "$PORT"; exit 0
fi

PORT=${2:-$(saved_port "$DIR" 53306)}
check_port_free "$PORT"
check_socket_path "$SOCK"
chown mysql:mysql "$DIR"
check_user_access mysql "$DIR"

if [[ ! -d $DIR/data/mysql ]]; then
  [[ ! -e $DIR/data ]] || [[ -z $(ls -A "$DIR/data") ]] || die "$DIR/data is neither empty nor a MariaDB datadir"
  log "mariadb-install-db $DIR/data"
  out=$(mariadb-install-db --no-defaults --user=mysql --datadir="$DIR/data" \
          --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve 2>&1) || die "mariadb-install-db failed: $out"
  echo "$out" >>"$DIR/server.log"
fi

if [[ ! -f $TLS/client-key.pem ]]; then
  log "generating TLS CA and certificates in $TLS"
  mkdir -p "$TLS"
  ( cd "$TLS"
    ssl() { openssl "$@" 2>>"$DIR/server.log"; }
    ssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=mltrack-test-ca \
      -keyout ca-key.pem -out ca.pem
    sign() { # name CN extensions
      ssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$1-key.pem" -out "$1.csr"
      ssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
        -out "$1-cert.pem" -extfile <(printf 'basicConstraints=CA:FALSE\n%s\n' "$3")
      rm "$1.csr"
    }
    sign server 127.0.0.1 'subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth'
    sign client mltrack_tls 'extendedKeyUsage=clientAuth'
    openssl verify -CAfile ca.pem server-cert.pem client-cert.pem >&2 )
fi
echo "$PORT" >"$DIR/port"
touch "$DIR/server.log"  # must exist and be mysql's: mariadbd reopens it after dropping root
chown -R mysql:mysql "$DIR"
chmod 600 "$TLS"/*-key.pem

log "starting on 127.0.0.1:$PORT (log: $DIR/server.log)"
setsid "$MYSQLD" --no-defaults --user=mysql --datadir="$DIR/data" \
  --bind-address=127.0.0.1 --port="$PORT" --socket="$SOCK" --pid-file="$PIDF" \
  --log-error="$DIR/server.log" --skip-name-resolve \
  --character-set-server=utf8mb4 \
  --ssl-ca="$TLS/ca.pem" --ssl-cert="$TLS/server-cert.pem" --ssl-key="$TLS/server-key.pem" \
  </dev/null >>"$DIR/server.log" 2>&1 &
MPID=$!
for _ in $(seq 300); do
  admin --connect-timeout=1 ping >/dev/null 2>&1 && break
  pid_alive "$MPID" || { tail -n 20 "$DIR/server.log" >&2; die "mariadbd exited during startup"; }
  sleep 0.2
done
admin ping >/dev/null 2>&1 || { tail -n 20 "$DIR/server.log" >&2; die "MariaDB not ready after 60 s"; }

mariadb --no-defaults --socket="$SOCK" -uroot <<'SQL'
CREATE OR REPLACE USER 'mltrack'@'127.0.0.1' IDENTIFIED BY 'mltrack';
CREATE OR REPLACE USER 'mltrack'@'localhost' IDENTIFIED BY 'mltrack';
CREATE OR REPLACE USER 'mltrack_tls'@'127.0.0.1' IDENTIFIED BY 'mltrack' REQUIRE X509;
CREATE OR REPLACE USER 'mltrack_tls'@'localhost' IDENTIFIED BY 'mltrack' REQUIRE X509;
GRANT ALL PRIVILEGES ON *.* TO 'mltrack'@'127.0.0.1', 'mltrack'@'localhost',
  'mltrack_tls'@'127.0.0.1', 'mltrack_tls'@'localhost' WITH GRANT OPTION;
SQL
uri "$PORT"
