#!/usr/bin/env bash
# Create the Python virtualenv used by the MLflow compatibility tests (test/compat).
#
# Idempotent: if the venv already holds the pinned mlflow (and the other pinned packages),
# nothing is installed. Only PyPI is needed.
#
# Env:
#   PYTHON       interpreter to create the venv with (default: python3; needs >= 3.10 and venv)
#   VENV_DIR     venv location (default: <repo>/.venv)
#   FORCE_SETUP  set to 1 to run pip even if the venv looks complete
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV_DIR="${VENV_DIR:-$ROOT/.venv}"
VPY="$VENV_DIR/bin/python"

# mlflow 3.18.0 is listed on PyPI but its mlflow-skinny==3.18.0 dependency is not served, so
# 3.17.2 is the newest installable release. The other pins resolve together with it on PyPI;
# scikit-learn 1.9 and pandas 3 need Python >= 3.11, so Python 3.10 gets the last releases that
# support it.
MLFLOW_VERSION="3.17.2"

requirements() { # $1: python interpreter
  if "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    echo "mlflow==${MLFLOW_VERSION} scikit-learn==1.9.1 pandas==3.1.1 pytest==9.2.0"
  else
    echo "mlflow==${MLFLOW_VERSION} scikit-learn==1.7.2 pandas==2.3.3 pytest==9.2.0"
  fi
}

installed_ok() {
  [[ -x "$VPY" ]] || return 1
  # shellcheck disable=SC2046
  "$VPY" - $(requirements "$VPY") <<'EOF' >/dev/null 2>&1
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

print_installed() {
  "$VPY" - <<'EOF'
import sys
from importlib.metadata import version
print(f"  python {sys.version.split()[0]} ({sys.executable})")
for n in ["mlflow", "mlflow-skinny", "scikit-learn", "pandas", "numpy", "pytest", "requests"]:
    try:
        print(f"  {n}=={version(n)}")
    except Exception:
        print(f"  {n}: not installed")
EOF
}

if [[ "${FORCE_SETUP:-0}" != "1" ]] && installed_ok; then
  echo "setup-python: $VENV_DIR already has mlflow==${MLFLOW_VERSION}; nothing to do"
  print_installed
  exit 0
fi

if [[ ! -x "$VPY" ]]; then
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "setup-python: '$PYTHON' not found; install Python >= 3.10 (with venv) or set PYTHON" >&2
    exit 1
  fi
  if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
    echo "setup-python: $("$PYTHON" --version 2>&1) is too old; mlflow ${MLFLOW_VERSION} needs Python >= 3.10" >&2
    exit 1
  fi
  echo "setup-python: creating virtualenv at $VENV_DIR ($("$PYTHON" --version 2>&1))"
  rm -rf "$VENV_DIR"
  if ! "$PYTHON" -m venv "$VENV_DIR"; then
    rm -rf "$VENV_DIR"
    echo "setup-python: '$PYTHON -m venv' failed; on Debian/Ubuntu install the python3-venv package" >&2
    exit 1
  fi
fi

read -r -a REQS <<<"$(requirements "$VPY")"
echo "setup-python: installing ${REQS[*]}"
"$VPY" -m pip install --disable-pip-version-check --quiet "${REQS[@]}"

if ! installed_ok; then
  echo "setup-python: installation finished but the pinned versions are not all present" >&2
  print_installed >&2
  exit 1
fi

echo "setup-python: installed:"
print_installed
