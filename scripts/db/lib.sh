# shellcheck shell=bash
# Shared helpers for scripts/db/*.sh (sourced, not executed).
# Conventions: messages go to stderr; the connection URI is the last stdout line.

log() { echo "[$(basename "$0")] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $EUID -eq 0 ]] || die "run as root (the scripts switch to the postgres/mysql users themselves)"

# Absolute path of a directory, created if missing.
abs_dir() { mkdir -p "$1" && (cd "$1" && pwd -P); }

# True if something accepts TCP connections on 127.0.0.1:$1
# (a listener on 0.0.0.0 or 127.0.0.1 would make our bind fail).
port_in_use() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

check_port_free() {
  [[ $1 =~ ^[0-9]+$ ]] || die "invalid port '$1'"
  ! port_in_use "$1" || die "port 127.0.0.1:$1 is already in use (pick another port: $0 <datadir> <port>)"
}

# Unix sockets are limited to 107 bytes; both servers put theirs in the datadir.
check_socket_path() {
  (( ${#1} <= 100 )) || die "socket path '$1' is too long for a unix socket; use a shorter datadir"
}

# The server user must be able to reach the datadir (e.g. `mktemp -d` parents are 0700).
check_user_access() { # user dir
  runuser -u "$1" -- test -w "$2" ||
    die "user '$1' cannot write $2: every parent directory must be searchable (chmod o+x), e.g. use a dir under /tmp created with mkdir, not under /root"
}

# Saved port of a datadir (written by start-*.sh), or the given default.
saved_port() { cat "$1/port" 2>/dev/null || echo "$2"; }

# A killed daemon stays a zombie until PID 1 reaps it (seen ~1 s here), and
# `kill -0` / pg_ctl status count zombies as alive: look at the process state.
pid_alive() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) && [[ -n $st && $st != Z ]]
}
wait_gone() { # pid [seconds=20]: wait until the pid (or its zombie) has disappeared
  local i
  for ((i = 0; i < ${2:-20} * 10; i++)); do [[ -e /proc/$1 ]] || return 0; sleep 0.1; done
  return 1
}
