#!/usr/bin/env bash
# Create the Python virtualenv used by the MLflow compatibility tests (test/compat).
#
# Idempotent: if .venv already holds the pinned mlflow (and the other pinned
# packages), nothing is installed. Only PyPI is needed.
#
# Env:
#   PYTHON       python interpreter to create the venv with (default: python3)
#   VENV_DIR     venv location (default: <repo>/.venv)
#   FORCE_SETUP  set to 1 to reinstall even if the venv looks complete
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV_DIR="${VENV_DIR:-$ROOT/.venv}"

# Pinned versions (resolved together on PyPI for CPython 3.11). mlflow 3.18.0 is
# listed on PyPI but its mlflow-skinny==3.18.0 dependency is not served, so
# 3.17.2 is the newest installable release.
MLFLOW_VERSION="3.17.2"
REQUIREMENTS=(
  "mlflow==${MLFLOW_VERSION}"
  "scikit-learn==1.9.1"
  "pandas==3.1.1"
  "pytest==9.2.0"
)

VPY="$VENV_DIR/bin/python"

installed_ok() {
  [[ -x "$VPY" ]] || return 1
  "$VPY" - "${REQUIREMENTS[@]}" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version, PackageNotFoundError
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
from importlib.metadata import version
names = ["mlflow", "mlflow-skinny", "scikit-learn", "pandas", "numpy", "pytest", "requests"]
print("  python " + __import__("sys").version.split()[0])
for n in names:
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

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "setup-python: '$PYTHON' not found; install Python >= 3.10 (with the venv module)" >&2
  exit 1
fi

if [[ ! -x "$VPY" ]]; then
  echo "setup-python: creating virtualenv at $VENV_DIR ($("$PYTHON" --version 2>&1))"
  rm -rf "$VENV_DIR"
  if ! "$PYTHON" -m venv "$VENV_DIR"; then
    rm -rf "$VENV_DIR"
    echo "setup-python: '$PYTHON -m venv' failed; on Debian/Ubuntu install the python3-venv package" >&2
    exit 1
  fi
fi

echo "setup-python: installing ${REQUIREMENTS[*]}"
"$VPY" -m pip install --disable-pip-version-check --quiet "${REQUIREMENTS[@]}"

if ! installed_ok; then
  echo "setup-python: installation finished but pinned versions are not all present" >&2
  print_installed >&2
  exit 1
fi

echo "setup-python: installed:"
print_installed
