"""Shared helpers for the compatibility tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import contextlib
import os
import time
import uuid

import pytest

TARGET = os.environ.get("COMPAT_TARGET", "mltrack").strip().lower() or "mltrack"

# Longest a single client call that fails with a client error may take. A 5xx (or 429) would make
# the client retry with exponential backoff (minutes with the default settings); a correct 4xx
# answers at once.
FAST_ERROR_S = 5.0

mltrack_only = pytest.mark.mltrack_only


def unique(prefix: str = "compat") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def now_ms() -> int:
    return int(time.time() * 1000)


@contextlib.contextmanager
def expect_mlflow_error(error_code: str, max_seconds: float = FAST_ERROR_S):
    """Assert that the block raises MlflowException with ``error_code``, and does so quickly.

    Slowness means the server answered with a status the client retries (5xx/429), or hung.
    """
    from mlflow.exceptions import MlflowException

    start = time.monotonic()
    with pytest.raises(MlflowException) as info:
        yield info
    elapsed = time.monotonic() - start
    assert info.value.error_code == error_code, (
        f"expected {error_code}, got {info.value.error_code}: {info.value}"
    )
    assert elapsed < max_seconds, f"error took {elapsed:.1f}s (server error + client retries?)"
