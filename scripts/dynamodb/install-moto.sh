#!/usr/bin/env bash
# Install moto's server (`moto[server]` from PyPI) into its own virtualenv.
# Usage: scripts/dynamodb/install-moto.sh [dir]   (default ${MLTRACK_MOTO_HOME:-$HOME/.cache/mltrack/moto-<version>})
# Needs Python >= 3.9 with venv ($PYTHON, default python3). Idempotent: a complete installation is kept (it is
# marked complete only after pip succeeded); concurrent callers wait on a lock. Prints the dir last.
#
# Its own venv, not the mlflow one of scripts/setup-python.sh: moto[server] pins nothing but pulls boto3, Flask,
# Werkzeug, cryptography, pydantic ... which mlflow also depends on, and the compatibility tests must run on the
# versions mlflow resolves alone; a versioned dir also lets every worktree share one installation.
set -euo pipefail
MOTO_VERSION=5.2.5
DIR=${1:-${MLTRACK_MOTO_HOME:-$HOME/.cache/mltrack/moto-$MOTO_VERSION}}
PYTHON=${PYTHON:-python3}
mkdir -p "$(dirname "$DIR")"
exec 8>"$DIR.lock"
flock 8
if [[ $(cat "$DIR/.installed" 2>/dev/null) != "moto[server]==$MOTO_VERSION" ]]; then
  command -v "$PYTHON" >/dev/null 2>&1 || { echo "install-moto: '$PYTHON' not found; set PYTHON" >&2; exit 1; }
  "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' ||
    { echo "install-moto: $("$PYTHON" --version 2>&1) is too old; moto $MOTO_VERSION needs Python >= 3.9" >&2; exit 1; }
  echo "install-moto: installing moto[server]==$MOTO_VERSION from PyPI into $DIR" >&2
  rm -rf "$DIR"
  "$PYTHON" -m venv "$DIR" >&2 ||
    { rm -rf "$DIR"; echo "install-moto: '$PYTHON -m venv' failed; on Debian install python3-venv" >&2; exit 1; }
  "$DIR/bin/python" -m pip install --disable-pip-version-check --quiet "moto[server]==$MOTO_VERSION" >&2
  echo "moto[server]==$MOTO_VERSION" >"$DIR/.installed"
fi
echo "$DIR"
