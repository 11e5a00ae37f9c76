#!/usr/bin/env bash
# Installs the benchmark peers (benchmarks reference §6.0) from PyPI, one virtualenv each, so their pins never
# collide:
#   mlflow     the official MLflow tracking server (same release as the compatibility tests) + psycopg2-binary
#   fml        FastTrackML (the wheel carries the static `fml` Go binary)
#   mlflow-go  mlflow-go-backend (Go server that proxies what it lacks to the Python server it pulls in)
#
# Idempotent: a venv whose pinned packages are present is left alone. Prints one line per peer:
#   <name> <executable> <versions>
#
# Env:
#   PEERS_DIR  where the venvs live (default ~/.cache/mltrack/peers)
#   PYTHON     interpreter for the venvs (default python3, >= 3.10)
#   PEERS      which peers to install (default "mlflow fml mlflow-go")
set -euo pipefail

PEERS_DIR="${PEERS_DIR:-$HOME/.cache/mltrack/peers}"
PYTHON="${PYTHON:-python3}"
PEERS="${PEERS:-mlflow fml mlflow-go}"

MLFLOW_VERSION="3.17.2"
PSYCOPG2_VERSION="2.9.13"
FML_VERSION="0.6.0"
MLFLOW_GO_VERSION="0.2.2"
# mlflow-go-backend 0.2.2 asks for mlflow>=2.19 but imports mlflow.entities.TraceInfoV2, which only the 3.0/3.1
# releases export (pip would pick the newest mlflow, where the import fails at start-up); mlflow 3.1 imports
# FallbackAsyncAdaptedQueuePool, which SQLAlchemy 2.1 removed.
MLFLOW_FOR_GO_VERSION="3.1.4"

requirements() {
  case "$1" in
    mlflow) echo "mlflow==${MLFLOW_VERSION} psycopg2-binary==${PSYCOPG2_VERSION}" ;;
    fml) echo "fasttrackml==${FML_VERSION}" ;;
    mlflow-go) echo "mlflow-go-backend==${MLFLOW_GO_VERSION} mlflow==${MLFLOW_FOR_GO_VERSION} sqlalchemy==2.0.58" ;;
    *) echo "setup-peers: unknown peer '$1'" >&2; exit 2 ;;
  esac
}

executable() {
  case "$1" in
    mlflow) echo "$PEERS_DIR/mlflow/bin/mlflow" ;;
    fml) echo "$PEERS_DIR/fml/bin/fml" ;;
    mlflow-go) echo "$PEERS_DIR/mlflow-go/bin/mlflow-go" ;;
  esac
}

installed_ok() { # $1 peer
  local py="$PEERS_DIR/$1/bin/python"
  [[ -x "$py" && -x "$(executable "$1")" ]] || return 1
  # shellcheck disable=SC2046
  "$py" - $(requirements "$1") <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import PackageNotFoundError, version
for req in sys.argv[1:]:
    name, want = req.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
EOF
}

versions() { # $1 peer: the versions that matter, as pip resolved them
  "$PEERS_DIR/$1/bin/python" - <<'EOF'
from importlib.metadata import version, PackageNotFoundError
out = []
for n in ["mlflow", "mlflow-skinny", "fasttrackml", "mlflow-go-backend", "psycopg2-binary"]:
    try:
        out.append(f"{n}=={version(n)}")
    except PackageNotFoundError:
        pass
print(" ".join(out))
EOF
}

mkdir -p "$PEERS_DIR"
for peer in $PEERS; do
  venv="$PEERS_DIR/$peer"
  if ! installed_ok "$peer"; then
    echo "setup-peers: installing $(requirements "$peer") into $venv" >&2
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv"
    # shellcheck disable=SC2046
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet $(requirements "$peer") >&2
    installed_ok "$peer" || { echo "setup-peers: $peer did not install as pinned" >&2; exit 1; }
  fi
  if [[ "$peer" == mlflow-go ]]; then
    # The manylinux wheel ships its Go library as libmlflow-go-backend.dylib, but on Linux the loader looks for
    # libmlflow-go-backend.so (and otherwise tries to build it with go + zig); the file is a Linux ELF library.
    lib=$("$venv/bin/python" -c 'import mlflow_go_backend, os; print(os.path.dirname(mlflow_go_backend.__file__))')
    [[ -e "$lib/libmlflow-go-backend.so" ]] || ln -s libmlflow-go-backend.dylib "$lib/libmlflow-go-backend.so"
  fi
  echo "$peer $(executable "$peer") $(versions "$peer")"
done
