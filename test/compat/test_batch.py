"""MlflowClient.log_batch: contents, client-side splitting, server limits, errors, atomicity."""

import math

import mlflow
import requests
from compat_helpers import expect_mlflow_error, mltrack_only, now_ms
from mlflow.entities import Metric, Param, RunTag


def rest_store(client):
    """The client's RestStore: sends one log-batch request as given (no client-side splitting)."""
    return client._tracking_client.store


def test_log_batch(experiment_id, client):
    run = client.create_run(experiment_id)
    rid = run.info.run_id
    ts = now_ms()
    client.log_batch(
        rid,
        metrics=[Metric("m1", 1.0, ts, 0), Metric("m1", 2.0, ts + 1, 1), Metric("m2", -3.5, ts, 7)],
        params=[Param("p1", "a"), Param("p2", "b")],
        tags=[RunTag("t1", "x"), RunTag("t2", "")],
    )
    data = client.get_run(rid).data
    assert data.metrics == {"m1": 2.0, "m2": -3.5}
    assert data.params == {"p1": "a", "p2": "b"}
    assert data.tags["t1"] == "x" and data.tags["t2"] == ""
    history = client.get_metric_history(rid, "m1")
    assert [(m.value, m.step, m.timestamp) for m in history] == [(1.0, 0, ts), (2.0, 1, ts + 1)]

    # Same params again: accepted (no-op); tags are upserted.
    client.log_batch(rid, params=[Param("p1", "a")], tags=[RunTag("t1", "y")])
    data = client.get_run(rid).data
    assert data.params["p1"] == "a" and data.tags["t1"] == "y"

    # An empty batch is a no-op.
    client.log_batch(rid)


def test_log_batch_non_finite_metrics(experiment_id, client):
    run = client.create_run(experiment_id)
    rid = run.info.run_id
    ts = now_ms()
    client.log_batch(rid, metrics=[Metric("a", math.nan, ts, 0), Metric("b", math.inf, ts, 0)])
    metrics = client.get_run(rid).data.metrics
    assert math.isnan(metrics["a"])
    assert metrics["b"] == math.inf or metrics["b"] > 1e308


def test_fluent_batch_calls(experiment_id, client):
    with mlflow.start_run() as run:
        mlflow.log_params({f"p{i}": i for i in range(250)})
        mlflow.set_tags({f"t{i}": i for i in range(150)})
        mlflow.log_metrics({f"m{i}": float(i) for i in range(1200)}, step=2)
    data = client.get_run(run.info.run_id).data
    assert len(data.params) == 250 and data.params["p249"] == "249"
    assert len([k for k in data.tags if k.startswith("t")]) == 150
    assert len(data.metrics) == 1200 and data.metrics["m1199"] == 1199.0


def test_client_splits_large_batches(experiment_id, client):
    run = client.create_run(experiment_id)
    rid = run.info.run_id
    ts = now_ms()
    client.log_batch(
        rid,
        metrics=[Metric(f"m{i % 10}", float(i), ts + i, i) for i in range(1500)],
        params=[Param(f"p{i}", str(i)) for i in range(150)],
        tags=[RunTag(f"t{i}", str(i)) for i in range(150)],
    )
    data = client.get_run(rid).data
    assert len(data.params) == 150
    assert len([k for k in data.tags if k.startswith("t")]) == 150
    assert data.metrics["m9"] == 1499.0
    assert len(client.get_metric_history(rid, "m0")) == 150


def test_server_batch_limits(experiment_id, client):
    """One request over the limits is refused as a whole (INVALID_PARAMETER_VALUE)."""
    run = client.create_run(experiment_id)
    rid = run.info.run_id
    store = rest_store(client)
    ts = now_ms()

    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        store.log_batch(rid, [Metric(f"m{i}", 1.0, ts, 0) for i in range(1001)], [], [])
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        store.log_batch(rid, [], [Param(f"p{i}", "v") for i in range(101)], [])
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        store.log_batch(rid, [], [], [RunTag(f"t{i}", "v") for i in range(101)])
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):  # 1001 entities in total
        store.log_batch(
            rid,
            [Metric(f"m{i}", 1.0, ts, 0) for i in range(901)],
            [Param(f"p{i}", "v") for i in range(50)],
            [RunTag(f"t{i}", "v") for i in range(50)],
        )
    data = client.get_run(rid).data
    assert data.metrics == {} and data.params == {}
    assert not any(k.startswith("t") for k in data.tags)

    # Exactly at the limits: accepted.
    store.log_batch(rid, [Metric(f"m{i}", 1.0, ts, 0) for i in range(1000)], [], [])
    store.log_batch(
        rid,
        [Metric(f"n{i}", 1.0, ts, 0) for i in range(800)],
        [Param(f"p{i}", "v") for i in range(100)],
        [RunTag(f"t{i}", "v") for i in range(100)],
    )
    data = client.get_run(rid).data
    assert len(data.metrics) == 1800 and len(data.params) == 100


def test_log_batch_errors(experiment_id, client):
    run = client.create_run(experiment_id)
    rid = run.info.run_id
    ts = now_ms()
    client.log_param(rid, "fixed", "1")

    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.log_batch("0123456789abcdef0123456789abcdef", metrics=[Metric("m", 1.0, ts, 0)])

    # Changing a param inside a batch: refused, and nothing from the batch is applied.
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.log_batch(
            rid,
            metrics=[Metric("m_conflict", 1.0, ts, 0)],
            params=[Param("new_param", "x"), Param("fixed", "2")],
            tags=[RunTag("tag_conflict", "x")],
        )
    # Duplicate keys with different values inside one batch.
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        rest_store(client).log_batch(rid, [], [Param("dup", "1"), Param("dup", "2")], [])
    # Invalid keys anywhere in the batch.
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.log_batch(rid, metrics=[Metric("ok", 1.0, ts, 0), Metric("a//b", 1.0, ts, 0)])
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.log_batch(rid, metrics=[Metric("ok", 1.0, ts, 0)], tags=[RunTag("a//b", "x")])
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.log_batch(rid, metrics=[Metric("ok", 1.0, ts, 0)], params=[Param("/abs", "x")])
    # Invalid metric timestamp.
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.log_batch(rid, metrics=[Metric("ok", 1.0, -5, 0)])

    data = client.get_run(rid).data
    assert data.params == {"fixed": "1"}
    assert data.metrics == {}
    assert "tag_conflict" not in data.tags


def test_log_batch_missing_fields_raw(experiment_id, client, server_url):
    run = client.create_run(experiment_id)
    url = f"{server_url}/api/2.0/mlflow/runs/log-batch"
    rid = run.info.run_id
    for body in (
        {"run_id": rid, "metrics": [{"key": "m", "value": 1.0}]},  # no timestamp
        {"run_id": rid, "metrics": [{"key": "m", "timestamp": 1}]},  # no value
        {"run_id": rid, "metrics": [{"value": 1.0, "timestamp": 1}]},  # no key
        {"run_id": rid, "params": [{"value": "v"}]},  # no key
        {"metrics": [{"key": "m", "value": 1.0, "timestamp": 1}]},  # no run_id
    ):
        r = requests.post(url, json=body, timeout=10)
        assert r.status_code == 400, (body, r.status_code, r.text)
        assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert client.get_run(rid).data.metrics == {}


@mltrack_only
def test_log_batch_is_atomic(experiment_id, client, server_url):
    """A batch fails or succeeds as a whole.

    MLflow commits params and metrics before tags and before logged-model metrics, each in its own
    transaction: a metric that names an unknown logged model fails the request (BAD_REQUEST from a
    foreign-key error) after the params and metrics were already stored.
    """
    run = client.create_run(experiment_id)
    rid = run.info.run_id
    body = {
        "run_id": rid,
        "params": [{"key": "atomic_param", "value": "1"}],
        "metrics": [
            {"key": "atomic_metric", "value": 1.0, "timestamp": now_ms(), "step": 0},
            {
                "key": "model_metric",
                "value": 2.0,
                "timestamp": now_ms(),
                "step": 0,
                "model_id": "m-00000000000000000000000000000000",
            },
        ],
        "tags": [{"key": "atomic_tag", "value": "x"}],
    }
    r = requests.post(f"{server_url}/api/2.0/mlflow/runs/log-batch", json=body, timeout=10)
    assert r.status_code < 500, r.text
    data = client.get_run(rid).data
    visible = ["atomic_param" in data.params, "atomic_metric" in data.metrics, "atomic_tag" in data.tags]
    if r.status_code == 200:
        assert visible == [True, True, True]
    else:
        assert "error_code" in r.json()
        assert visible == [False, False, False], f"partial batch applied: {visible}"
