"""Black-box compatibility tests: the official `mlflow` Python client against a live server.

The server under test is chosen by the environment variable COMPAT_TARGET:

* ``mltrack`` (default): ``node bin/mltrack.js server ...`` run with the Node 24 binary from
  ``node_modules/.bin/node`` (needs a prior ``npm run build``);
* ``mlflow``: MLflow's own ``mlflow server`` from the same virtualenv, used to check that the
  tests encode MLflow's real behaviour.

One server is started per test session, on a free 127.0.0.1 port, with a fresh SQLite database
and artifact directory in a temp directory. Tests isolate themselves with unique experiment names
(fixture ``exp_name`` / ``experiment_id``).

Tests marked ``@pytest.mark.mltrack_only`` encode behaviour where mltrack is specified to do better
than MLflow (atomic log-batch, no 5xx for client errors, JSON 404s); they are skipped for
COMPAT_TARGET=mlflow.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

# --- client settings: must be in place before mlflow reads them ---------------------------------
# A misbehaving server (5xx, hang) must fail fast instead of being retried for minutes.
os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
# No telemetry / no background noise from the client.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.pop("MLFLOW_EXPERIMENT_NAME", None)
os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
os.environ.pop("MLFLOW_RUN_ID", None)

from compat_helpers import TARGET, unique  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
if TARGET not in ("mltrack", "mlflow"):
    raise pytest.UsageError(f"COMPAT_TARGET must be 'mltrack' or 'mlflow', got {TARGET!r}")

STARTUP_TIMEOUT_S = float(os.environ.get("COMPAT_STARTUP_TIMEOUT", "60"))


def pytest_collection_modifyitems(config, items):
    # COMPAT_RUN_MLTRACK_ONLY=1 runs them against MLflow anyway, to see them fail there.
    if TARGET != "mlflow" or os.environ.get("COMPAT_RUN_MLTRACK_ONLY") == "1":
        return
    skip = pytest.mark.skip(reason="mltrack-specific behaviour (COMPAT_TARGET=mlflow)")
    for item in items:
        if "mltrack_only" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config):
    return f"compat target: {TARGET}"


# Tail of the server's output, kept when the server is stopped; shown if anything failed.
_SERVER_LOG_TAIL: list[str] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _SERVER_LOG_TAIL and (terminalreporter.stats.get("failed") or terminalreporter.stats.get("error")):
        terminalreporter.section(f"server output (tail, COMPAT_TARGET={TARGET})")
        for chunk in _SERVER_LOG_TAIL:
            terminalreporter.write_line(chunk)


# --- server process -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_command(port: int, tmp: Path) -> list[str]:
    common = [
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backend-store-uri",
        os.environ.get("COMPAT_BACKEND_STORE_URI") or f"sqlite:///{tmp}/mlflow.db",
        "--artifacts-destination",
        f"{tmp}/mlartifacts",
    ]
    if TARGET == "mlflow":
        mlflow_bin = Path(sys.executable).parent / "mlflow"
        if not mlflow_bin.exists():
            found = shutil.which("mlflow")
            if not found:
                pytest.exit("COMPAT_TARGET=mlflow but no `mlflow` executable next to python", 2)
            mlflow_bin = Path(found)
        return [str(mlflow_bin), "server", *common, "--workers", "1"]

    node = REPO_ROOT / "node_modules" / ".bin" / "node"
    entry = REPO_ROOT / "bin" / "mltrack.js"
    if not node.exists():
        pytest.exit(f"{node} not found: run `npm ci` first (Node 24 comes from the `node` devDependency)", 2)
    if not (REPO_ROOT / "dist").exists():
        pytest.exit(f"{REPO_ROOT / 'dist'} not found: run `npm run build` first", 2)
    return [str(node), str(entry), "server", *common]


def _read_tail(path: Path, limit: int = 8000) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-limit:].decode("utf-8", "replace")


def _stop(proc: subprocess.Popen, grace_s: float = 5.0) -> None:
    """SIGTERM the server's process group, then SIGKILL whatever is left after `grace_s`.

    The server runs in its own process group (start_new_session=True), so the workers that
    `mlflow server` spawns (uvicorn, job runner) are stopped with it.
    """
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            pass
    # Stragglers in the group (or the main process itself if it ignored SIGTERM).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def server_url():
    """Start the server under test; yield its base URL (also set as MLFLOW_TRACKING_URI)."""
    import requests

    tmp = Path(tempfile.mkdtemp(prefix=f"compat-{TARGET}-"))
    port = _free_port()
    cmd = _server_command(port, tmp)
    url = f"http://127.0.0.1:{port}"
    stdout_path = tmp / "server.stdout.log"
    stderr_path = tmp / "server.stderr.log"
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    # Webhook tests deliver to a receiver on 127.0.0.1 (test_webhooks.py), which needs both settings.
    env.setdefault("MLFLOW_WEBHOOK_ALLOWED_SCHEMES", "http,https")
    env.setdefault("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "true")
    env.setdefault("MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES", "0")
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            cmd, cwd=tmp, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        last_error = "no response"
        while True:
            if proc.poll() is not None:
                pytest.exit(
                    f"server exited with code {proc.returncode} during startup\n"
                    f"command: {' '.join(cmd)}\n--- stderr ---\n{_read_tail(stderr_path)}\n"
                    f"--- stdout ---\n{_read_tail(stdout_path)}",
                    3,
                )
            try:
                r = requests.get(f"{url}/health", timeout=2)
                if r.status_code == 200:
                    break
                last_error = f"HTTP {r.status_code}"
            except requests.RequestException as e:  # not listening yet
                last_error = repr(e)
            if time.monotonic() > deadline:
                _stop(proc)
                pytest.exit(
                    f"server did not answer GET /health with 200 within {STARTUP_TIMEOUT_S:.0f}s "
                    f"(last: {last_error})\ncommand: {' '.join(cmd)}\n--- stderr ---\n"
                    f"{_read_tail(stderr_path)}\n--- stdout ---\n{_read_tail(stdout_path)}",
                    3,
                )
            time.sleep(0.2)

        old_uri = os.environ.get("MLFLOW_TRACKING_URI")
        os.environ["MLFLOW_TRACKING_URI"] = url
        import mlflow

        mlflow.set_tracking_uri(url)
        try:
            yield url
        finally:
            if old_uri is None:
                os.environ.pop("MLFLOW_TRACKING_URI", None)
            else:
                os.environ["MLFLOW_TRACKING_URI"] = old_uri
    finally:
        _stop(proc)
        _SERVER_LOG_TAIL[:] = [
            f"command: {' '.join(cmd)}",
            "--- stderr ---",
            _read_tail(stderr_path, 6000),
            "--- stdout ---",
            _read_tail(stdout_path, 6000),
        ]
        if os.environ.get("COMPAT_KEEP_TMP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"\ncompat: kept server directory {tmp}")


@pytest.fixture(autouse=True)
def _tracking(server_url):
    """Every test talks to the session server and ends without an active run."""
    import mlflow

    mlflow.set_tracking_uri(server_url)
    yield
    while mlflow.active_run() is not None:
        mlflow.end_run()


# --- fixtures for tests -----------------------------------------------------------------------------


@pytest.fixture
def exp_name(request) -> str:
    """A unique experiment name for this test."""
    base = request.node.name.split("[")[0].replace("test_", "", 1)[:40]
    return unique(base)


@pytest.fixture
def experiment_id(exp_name) -> str:
    """A fresh experiment, made the active one with mlflow.set_experiment."""
    import mlflow

    return mlflow.set_experiment(exp_name).experiment_id


@pytest.fixture
def client(server_url):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=server_url)
