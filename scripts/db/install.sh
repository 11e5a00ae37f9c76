#!/usr/bin/env bash
# Install PostgreSQL server, MariaDB server (+ clients) and openssl from Debian packages.
# Usage: scripts/db/install.sh            (as root; no arguments)
# Idempotent: installs only what is missing of postgresql (initdb), mariadb-server
# (mariadbd, mariadb-install-db, mariadb client) and openssl; else does nothing.
# The distro services are NOT started: a temporary /usr/sbin/policy-rc.d that
# exits 101 makes invoke-rc.d skip them during the install (removed afterwards
# unless one existed before). Servers are started per datadir by start-*.sh.
# `apt-get update` runs only if the install fails without it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Only the missing packages: naming an installed one makes apt upgrade it (and its libs).
PKGS=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || PKGS+=(postgresql)
{ [[ -x /usr/sbin/mariadbd ]] && command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null; } ||
  PKGS+=(mariadb-server)  # pulls in mariadb-client
command -v openssl >/dev/null || PKGS+=(openssl)
if [[ ${#PKGS[@]} -eq 0 ]]; then log "already installed"; exit 0; fi

export DEBIAN_FRONTEND=noninteractive
POLICY=/usr/sbin/policy-rc.d
if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$POLICY" && chmod 755 "$POLICY"
  trap 'rm -f "$POLICY"' EXIT
fi

apt_install() { apt-get install -y --no-install-recommends -o Dpkg::Use-Pty=0 "${PKGS[@]}" >&2; }
log "installing ${PKGS[*]}"
if ! apt_install; then
  log "install failed; running apt-get update and retrying"
  apt-get update >&2
  apt_install
fi
log "done"
