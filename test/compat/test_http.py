"""Raw HTTP checks: health/version, unknown routes, content types, error shape, no 5xx on bad input."""

import json
import time

import mlflow
import pytest
import requests
from compat_helpers import TARGET, mltrack_only, unique
from mlflow.exceptions import MlflowException
from packaging.version import Version

API = "/api/2.0/mlflow"
JSON = {"Content-Type": "application/json"}


def test_health(server_url):
    r = requests.get(f"{server_url}/health", timeout=5)
    assert r.status_code == 200
    assert r.text.strip() == "OK"


def test_version(server_url):
    r = requests.get(f"{server_url}/version", timeout=5)
    assert r.status_code == 200
    version = Version(r.text.strip())  # the client parses it with packaging.Version
    if TARGET == "mlflow":
        assert str(version) == mlflow.__version__


def test_unknown_route_is_404(server_url):
    for method, path in [
        ("GET", f"{API}/no-such-endpoint"),
        ("POST", f"{API}/runs/no-such-action"),
        ("GET", "/api/2.0/no-such-api"),
        ("GET", "/ajax-api/2.0/mlflow/no-such-endpoint"),
    ]:
        r = requests.request(method, server_url + path, json={}, timeout=5)
        assert r.status_code == 404, (method, path, r.status_code)
        # The client maps a non-JSON 404 to ENDPOINT_NOT_FOUND; a JSON one must say so itself.
        if "json" in r.headers.get("Content-Type", ""):
            assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"


@mltrack_only
def test_unknown_route_is_json_endpoint_not_found(server_url):
    for path in [f"{API}/no-such-endpoint", "/api/2.0/no-such-api", "/ajax-api/2.0/mlflow/nope"]:
        r = requests.get(server_url + path, timeout=5)
        assert r.status_code == 404
        assert r.headers["Content-Type"].startswith("application/json")
        body = r.json()
        assert body["error_code"] == "ENDPOINT_NOT_FOUND"
        assert isinstance(body.get("message"), str)


def test_post_requires_json_content_type(server_url):
    body = json.dumps({"name": unique("ct")})
    for headers in ({}, {"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}):
        r = requests.post(f"{server_url}{API}/experiments/create", data=body, headers=headers, timeout=5)
        assert r.status_code == 400, (headers, r.status_code, r.text)
        assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    # Nothing was created by the refused requests.
    r = requests.get(
        f"{server_url}{API}/experiments/get-by-name", params={"experiment_name": json.loads(body)["name"]}, timeout=5
    )
    assert r.status_code == 404
    # Parameters after the media type are fine.
    r = requests.post(
        f"{server_url}{API}/experiments/create",
        data=body,
        headers={"Content-Type": "application/json; charset=utf-8"},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    assert isinstance(r.json()["experiment_id"], str)


def test_json_responses_and_error_shape(server_url):
    r = requests.get(f"{server_url}{API}/experiments/get", params={"experiment_id": "0"}, timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    exp = r.json()["experiment"]
    assert exp["experiment_id"] == "0" and exp["name"] == "Default" and exp["lifecycle_stage"] == "active"

    r = requests.get(f"{server_url}{API}/experiments/get", params={"experiment_id": "987654321"}, timeout=5)
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["error_code"] == "RESOURCE_DOES_NOT_EXIST" and isinstance(body["message"], str)

    r = requests.post(f"{server_url}{API}/experiments/create", json={"name": "Default"}, timeout=5)
    assert r.status_code == 400
    assert r.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"


def test_ajax_api_alias(server_url):
    r = requests.get(f"{server_url}/ajax-api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}, timeout=5)
    assert r.status_code == 200
    assert r.json()["experiment"]["name"] == "Default"


def test_wire_format_basics(server_url):
    name = unique("wire")
    r = requests.post(f"{server_url}{API}/experiments/create", json={"name": name}, timeout=5)
    exp_id = r.json()["experiment_id"]
    # int64 fields may be sent as numbers or numeric strings; run_uuid is a legacy alias of run_id.
    r = requests.post(
        f"{server_url}{API}/runs/create", json={"experiment_id": exp_id, "start_time": "1700000000000"}, timeout=5
    )
    assert r.status_code == 200, r.text
    info = r.json()["run"]["info"]
    assert int(info["start_time"]) == 1700000000000 and info["status"] == "RUNNING"
    rid = info["run_id"]
    r = requests.post(
        f"{server_url}{API}/runs/log-metric",
        json={"run_uuid": rid, "key": "m", "value": "NaN", "timestamp": 5, "step": "2"},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    assert r.json() == {}
    r = requests.get(f"{server_url}{API}/metrics/get-history", params={"run_id": rid, "metric_key": "m"}, timeout=5)
    (m,) = r.json()["metrics"]
    assert m["value"] == "NaN" and int(m["step"]) == 2 and int(m["timestamp"]) == 5
    # Enum names on input; unknown JSON fields are ignored.
    r = requests.post(
        f"{server_url}{API}/runs/update",
        json={"run_id": rid, "status": "FINISHED", "end_time": 1700000000500, "unknown_field": 1},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    assert r.json()["run_info"]["status"] == "FINISHED"
    # GET with repeated query keys for lists.
    r = requests.get(
        f"{server_url}{API}/experiments/search", params={"max_results": 1000, "filter": f"name = '{name}'"}, timeout=5
    )
    assert [e["experiment_id"] for e in r.json()["experiments"]] == [exp_id]


def _bad_requests(server_url):
    """Client mistakes that MLflow itself answers with a 4xx and an MLflow error body."""
    name = unique("bad")
    exp_id = requests.post(f"{server_url}{API}/experiments/create", json={"name": name}, timeout=5).json()[
        "experiment_id"
    ]
    rid = requests.post(f"{server_url}{API}/runs/create", json={"experiment_id": exp_id}, timeout=5).json()["run"][
        "info"
    ]["run_id"]
    return [
        ("POST", "/experiments/create", "{not json"),
        ("POST", "/experiments/create", {}),
        ("POST", "/experiments/create", {"name": 5}),
        ("POST", "/experiments/create", {"name": "x" * 600}),
        ("POST", "/experiments/create", {"name": unique("f"), "artifact_location": "file:///tmp/x#frag"}),
        ("GET", "/experiments/get", None),
        ("GET", "/experiments/get?experiment_id=not-a-number", None),
        ("GET", "/runs/get", None),
        ("GET", "/runs/get?run_id=does-not-exist", None),
        ("POST", "/runs/create", {"experiment_id": "not-a-number"}),
        ("POST", "/runs/create", {"experiment_id": exp_id, "start_time": "soon"}),
        ("POST", "/runs/log-metric", {"run_id": rid, "key": "m", "value": "abc", "timestamp": 1}),
        ("POST", "/runs/log-metric", {"run_id": rid, "key": "m", "value": 1.0}),
        ("POST", "/runs/log-metric", {"run_id": rid, "key": "a//b", "value": 1.0, "timestamp": 1}),
        ("POST", "/runs/log-parameter", {"run_id": rid, "key": "k" * 251, "value": "v"}),
        ("POST", "/runs/log-batch", {"run_id": rid, "metrics": "nope"}),
        ("POST", "/runs/search", {"experiment_ids": [exp_id], "filter": "metrics.m > 1 OR metrics.m < 0"}),
        ("POST", "/runs/search", {"experiment_ids": [exp_id], "max_results": 0}),
        ("POST", "/runs/search", {"experiment_ids": [exp_id], "page_token": "garbage"}),
        ("POST", "/experiments/search", {"max_results": 0}),
        ("POST", "/experiments/search", {"max_results": 10, "order_by": ["bogus"]}),
        ("GET", f"/metrics/get-history?run_id={rid}", None),
        ("POST", "/experiments/update", {"experiment_id": exp_id, "new_name": ""}),
        ("POST", "/runs/delete", {}),
        ("POST", "/logged-models", {"experiment_id": exp_id, "name": "a/b"}),
        ("GET", "/logged-models/m-doesnotexist", None),
        ("POST", "/logged-models/search", {"experiment_ids": [exp_id], "filter": "bogus ="}),
    ]


def _send(server_url, method, path, body):
    url = server_url + API + path
    if body is None:
        return requests.request(method, url, timeout=10)
    data = body if isinstance(body, str) else json.dumps(body)
    return requests.request(method, url, data=data, headers=JSON, timeout=10)


def test_bad_input_gives_4xx_with_error_code(server_url):
    failures = []
    for method, path, body in _bad_requests(server_url):
        start = time.monotonic()
        r = _send(server_url, method, path, body)
        elapsed = time.monotonic() - start
        ok = 400 <= r.status_code < 500 and elapsed < 5
        try:
            ok = ok and isinstance(r.json().get("error_code"), str)
        except ValueError:
            ok = False
        if not ok:
            failures.append((method, path, str(body)[:60], r.status_code, r.text[:120]))
    assert not failures, "\n".join(map(str, failures))


@mltrack_only
def test_no_5xx_where_mlflow_fails(server_url):
    """Inputs on which MLflow 3.17.2 answers 500 (so its client retries); mltrack must answer 4xx."""
    name = unique("bad5")
    exp_id = requests.post(f"{server_url}{API}/experiments/create", json={"name": name}, timeout=5).json()[
        "experiment_id"
    ]
    rid = requests.post(f"{server_url}{API}/runs/create", json={"experiment_id": exp_id}, timeout=5).json()["run"][
        "info"
    ]["run_id"]
    gone = requests.post(f"{server_url}{API}/experiments/create", json={"name": name + "-gone"}, timeout=5).json()[
        "experiment_id"
    ]
    requests.post(f"{server_url}{API}/experiments/delete", json={"experiment_id": gone}, timeout=5)
    cases = [
        ("POST", "/experiments/create", "[1, 2]"),  # JSON, but not an object
        ("POST", "/experiments/create", '"just a string"'),
        ("GET", "/experiments/get?experiment_id=99999999999999999999999", None),  # out of int64 range
        ("POST", "/runs/log-batch", {"run_id": rid, "metrics": [1, 2]}),
        ("POST", "/runs/search", {"experiment_ids": [exp_id], "order_by": ["metrics.m ASC", "metrics.m DESC"]}),
        ("POST", "/experiments/update", {"experiment_id": gone, "new_name": name + "-renamed"}),
    ]
    failures = []
    for method, path, body in cases:
        r = _send(server_url, method, path, body)
        try:
            has_code = isinstance(r.json().get("error_code"), str)
        except ValueError:
            has_code = False
        if not (400 <= r.status_code < 500 and has_code):
            failures.append((method, path, str(body)[:60], r.status_code, r.text[:120]))
    assert not failures, "\n".join(map(str, failures))


def test_client_errors_are_not_retried(experiment_id, client, monkeypatch):
    """With retries enabled (as users have them), client errors still come back at once.

    Two retries with backoff factor 4: a retried status (5xx/429) would cost >= 8 s.
    """
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "4")
    run = client.create_run(experiment_id)
    rid = run.info.run_id
    client.log_param(rid, "p", "1")
    calls = [
        lambda: client.get_run("0123456789abcdef0123456789abcdef"),
        lambda: client.get_experiment("987654321"),
        lambda: client.create_experiment("Default"),
        lambda: client.log_param(rid, "p", "2"),
        lambda: client.log_metric(rid, "a//b", 1.0),
        lambda: client.search_runs([experiment_id], "metrics.x >"),
        lambda: client.search_runs([experiment_id], page_token="garbage"),
        lambda: client.delete_tag(rid, "missing"),
        lambda: client.get_logged_model("m-00000000000000000000000000000000"),
    ]
    for call in calls:
        start = time.monotonic()
        with pytest.raises(MlflowException) as info:
            call()
        elapsed = time.monotonic() - start
        assert elapsed < 4, f"{info.value.error_code} took {elapsed:.1f}s"
        assert info.value.error_code != "INTERNAL_ERROR", str(info.value)
