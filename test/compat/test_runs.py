"""Runs, params, metrics and tags through the fluent API and MlflowClient."""

import math
import sys
import time

import mlflow
import pytest
from compat_helpers import expect_mlflow_error, now_ms
from mlflow.entities import Metric, RunStatus, ViewType

MISSING_RUN = "0123456789abcdef0123456789abcdef"


def is_pos_inf(v):
    # MLflow's SQL store returns +inf as the largest finite double; a server may also keep inf.
    return v == math.inf or v == sys.float_info.max


def is_neg_inf(v):
    return v == -math.inf or v == -sys.float_info.max


def test_start_run_and_end_run(experiment_id, client):
    before = now_ms()
    with mlflow.start_run(run_name="my-run", description="a description") as run:
        info = run.info
        assert info.status == "RUNNING"
        assert info.experiment_id == experiment_id
        assert info.run_name == "my-run"
        assert info.lifecycle_stage == "active"
        assert len(info.run_id) == 32 and info.run_id == info.run_id.lower()
        assert info.artifact_uri == f"mlflow-artifacts:/{experiment_id}/{info.run_id}/artifacts"
        assert info.end_time is None
        assert before - 5000 <= info.start_time <= now_ms() + 5000
        assert mlflow.active_run().info.run_id == info.run_id
        tags = run.data.tags
        assert tags["mlflow.runName"] == "my-run"
        assert tags["mlflow.note.content"] == "a description"
        assert "mlflow.user" in tags and "mlflow.source.name" in tags
        assert tags["mlflow.source.type"] == "LOCAL"
    assert mlflow.active_run() is None

    done = client.get_run(info.run_id)
    assert done.info.status == "FINISHED"
    assert done.info.end_time is not None and done.info.end_time >= done.info.start_time
    assert done.info.user_id == tags["mlflow.user"]


def test_end_run_with_status(experiment_id, client):
    run = mlflow.start_run()
    mlflow.end_run(status="KILLED")
    assert client.get_run(run.info.run_id).info.status == "KILLED"

    with pytest.raises(ZeroDivisionError):
        with mlflow.start_run() as failing:
            1 / 0  # noqa: B018
    assert client.get_run(failing.info.run_id).info.status == "FAILED"


def test_random_run_name(experiment_id, client):
    with mlflow.start_run() as run:
        pass
    name = client.get_run(run.info.run_id).info.run_name
    assert name and len(name) <= 20
    assert client.get_run(run.info.run_id).data.tags["mlflow.runName"] == name


def test_nested_runs(experiment_id, client):
    with mlflow.start_run(run_name="parent") as parent:
        with mlflow.start_run(run_name="child", nested=True) as child:
            assert mlflow.active_run().info.run_id == child.info.run_id
            with mlflow.start_run(nested=True) as grandchild:
                pass
        assert mlflow.active_run().info.run_id == parent.info.run_id
    other = mlflow.start_run(parent_run_id=parent.info.run_id)
    mlflow.end_run()

    tags = lambda r: client.get_run(r.info.run_id).data.tags  # noqa: E731
    assert tags(child)["mlflow.parentRunId"] == parent.info.run_id
    assert tags(grandchild)["mlflow.parentRunId"] == child.info.run_id
    assert tags(other)["mlflow.parentRunId"] == parent.info.run_id
    assert "mlflow.parentRunId" not in tags(parent)

    children = client.search_runs(
        [experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'", order_by=["start_time ASC"]
    )
    assert [r.info.run_id for r in children] == [child.info.run_id, other.info.run_id]


def test_resume_run(experiment_id, client):
    with mlflow.start_run() as run:
        mlflow.log_param("p", "1")
    assert client.get_run(run.info.run_id).info.status == "FINISHED"
    with mlflow.start_run(run_id=run.info.run_id, tags={"resumed": "yes"}) as again:
        assert again.info.run_id == run.info.run_id
        assert client.get_run(run.info.run_id).info.status == "RUNNING"
        mlflow.log_metric("m", 1.0)
    resumed = client.get_run(run.info.run_id)
    assert resumed.info.status == "FINISHED"
    assert resumed.data.params == {"p": "1"}
    assert resumed.data.metrics == {"m": 1.0}
    assert resumed.data.tags["resumed"] == "yes"


def test_get_run_errors(client):
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_run(MISSING_RUN)
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        mlflow.get_run(MISSING_RUN)
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.log_metric(MISSING_RUN, "m", 1.0)
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.log_param(MISSING_RUN, "p", "v")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.set_tag(MISSING_RUN, "t", "v")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.delete_run(MISSING_RUN)
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.restore_run(MISSING_RUN)
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.set_terminated(MISSING_RUN)


# --- params ---------------------------------------------------------------------------------------


def test_params(experiment_id, client):
    with mlflow.start_run() as run:
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"layers": 3, "name": "resnet", "flag": True, "none": None, "path/like key": "x"})
        assert mlflow.log_param("lr", 0.01) == 0.01  # same value again: no-op
    params = client.get_run(run.info.run_id).data.params
    assert params == {
        "lr": "0.01",
        "layers": "3",
        "name": "resnet",
        "flag": "True",
        "none": "None",
        "path/like key": "x",
    }


def test_changing_a_param_is_refused(experiment_id, client):
    with mlflow.start_run() as run:
        mlflow.log_param("p", "a")
        with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
            mlflow.log_param("p", "b")
        with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
            mlflow.log_params({"p": "c", "q": "1"})
        with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
            client.log_param(run.info.run_id, "p", "d")
    assert client.get_run(run.info.run_id).data.params["p"] == "a"


def test_long_param_and_tag_values_are_truncated(experiment_id, client):
    with mlflow.start_run() as run:
        mlflow.log_param("long", "x" * 7000)
        mlflow.set_tag("long", "y" * 9000)
        mlflow.log_params({"long2": "z" * 7000})
        mlflow.log_param("long", "x" * 7000)  # the same (truncated) value again is fine
    data = client.get_run(run.info.run_id).data
    assert data.params["long"] == "x" * 6000
    assert data.params["long2"] == "z" * 6000
    assert data.tags["long"] == "y" * 8000


@pytest.mark.parametrize("key", ["a//b", "/abs", "./a", "a/", "a/../b", "bad key!", "x" * 251])
def test_bad_keys_are_refused(experiment_id, client, key):
    run = client.create_run(experiment_id)
    rid = run.info.run_id
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.log_param(rid, key, "v")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.log_metric(rid, key, 1.0)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.set_tag(rid, key, "v")
    data = client.get_run(rid).data
    assert data.params == {} and data.metrics == {}
    assert key not in data.tags


def test_keys_with_allowed_characters(experiment_id, client):
    key = "a-b_c.d e:f/g/ünï"
    with mlflow.start_run() as run:
        mlflow.log_param(key, "1")
        mlflow.log_metric(key, 2.0)
        mlflow.set_tag(key, "3")
    data = client.get_run(run.info.run_id).data
    assert data.params[key] == "1" and data.metrics[key] == 2.0 and data.tags[key] == "3"


# --- metrics --------------------------------------------------------------------------------------


def test_metrics_steps_timestamps_and_history(experiment_id, client):
    with mlflow.start_run() as run:
        mlflow.log_metric("loss", 0.9, step=0, timestamp=1000)
        mlflow.log_metric("loss", 0.5, step=1, timestamp=2000)
        mlflow.log_metric("loss", 0.7, step=2, timestamp=1500)
        mlflow.log_metrics({"acc": 0.1, "f1": 0.2}, step=3)
        mlflow.log_metric("int_metric", 3)
    rid = run.info.run_id
    data = client.get_run(rid).data
    # The run shows the latest value per key: highest step wins.
    assert data.metrics == {"loss": 0.7, "acc": 0.1, "f1": 0.2, "int_metric": 3.0}

    history = client.get_metric_history(rid, "loss")
    # Ordered by timestamp, then step, then value.
    assert [(m.timestamp, m.step, m.value) for m in history] == [(1000, 0, 0.9), (1500, 2, 0.7), (2000, 1, 0.5)]
    assert all(m.key == "loss" for m in history)

    acc = client.get_metric_history(rid, "acc")
    assert len(acc) == 1 and acc[0].step == 3 and acc[0].value == 0.1
    assert abs(acc[0].timestamp - now_ms()) < 60_000

    assert client.get_metric_history(rid, "never-logged") == []


def test_latest_metric_uses_step_then_timestamp_then_value(experiment_id, client):
    run = client.create_run(experiment_id)
    rid = run.info.run_id
    client.log_metric(rid, "m", 5.0, timestamp=100, step=10)
    client.log_metric(rid, "m", 9.0, timestamp=999, step=2)  # lower step: not the latest
    assert client.get_run(rid).data.metrics["m"] == 5.0
    client.log_metric(rid, "m", 6.0, timestamp=200, step=10)  # same step, later timestamp
    assert client.get_run(rid).data.metrics["m"] == 6.0
    client.log_metric(rid, "m", 7.0, timestamp=200, step=10)  # same step and timestamp, larger value
    assert client.get_run(rid).data.metrics["m"] == 7.0
    client.log_metric(rid, "m", 1.0, timestamp=200, step=10)  # smaller value: not the latest
    assert client.get_run(rid).data.metrics["m"] == 7.0
    assert len(client.get_metric_history(rid, "m")) == 5


def test_identical_metric_points_are_deduplicated(experiment_id, client):
    run = client.create_run(experiment_id)
    rid = run.info.run_id
    for _ in range(3):
        client.log_metric(rid, "m", 1.5, timestamp=1234, step=1)
    client.log_batch(rid, metrics=[Metric("m", 1.5, 1234, 1)])
    history = client.get_metric_history(rid, "m")
    assert [(m.value, m.timestamp, m.step) for m in history] == [(1.5, 1234, 1)]


def test_nan_and_infinite_metrics(experiment_id, client):
    with mlflow.start_run() as run:
        mlflow.log_metric("nan", float("nan"))
        mlflow.log_metric("pinf", float("inf"))
        mlflow.log_metric("ninf", float("-inf"))
        mlflow.log_metrics({"bnan": math.nan, "binf": math.inf})
        mlflow.log_metric("series", 1.0, step=0)
        mlflow.log_metric("series", math.nan, step=1)
        mlflow.log_metric("series", -math.inf, step=2)
        mlflow.log_metric("zero", 0.0)
        mlflow.log_metric("neg", -1.5e-300)
        mlflow.log_metric("big", 1.0e300)
    rid = run.info.run_id
    metrics = client.get_run(rid).data.metrics
    assert math.isnan(metrics["nan"]) and math.isnan(metrics["bnan"])
    assert is_pos_inf(metrics["pinf"]) and is_pos_inf(metrics["binf"])
    assert is_neg_inf(metrics["ninf"])
    assert is_neg_inf(metrics["series"])
    assert metrics["zero"] == 0.0 and metrics["neg"] == -1.5e-300 and metrics["big"] == 1.0e300

    series = client.get_metric_history(rid, "series")
    values = [m.value for m in sorted(series, key=lambda m: m.step)]
    assert values[0] == 1.0 and math.isnan(values[1]) and is_neg_inf(values[2])


def test_invalid_metric_values(experiment_id, client):
    run = client.create_run(experiment_id)
    rid = run.info.run_id
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.log_metric(rid, "m", None)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.log_metric(rid, "m", 1.0, timestamp=-1)
    with pytest.raises((TypeError, ValueError, mlflow.exceptions.MlflowException)):
        client.log_metric(rid, "m", "not-a-number")
    assert client.get_run(rid).data.metrics == {}


# --- tags -----------------------------------------------------------------------------------------


def test_tags_set_upsert_delete(experiment_id, client):
    with mlflow.start_run() as run:
        mlflow.set_tag("k1", "v1")
        mlflow.set_tags({"k2": "v2", "k3": 3})
        mlflow.set_tag("k1", "changed")
        mlflow.delete_tag("k2")
        with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
            mlflow.delete_tag("k2")
    rid = run.info.run_id
    tags = client.get_run(rid).data.tags
    assert tags["k1"] == "changed" and tags["k3"] == "3" and "k2" not in tags

    client.set_tag(rid, "k4", "")
    assert client.get_run(rid).data.tags["k4"] == ""
    client.delete_tag(rid, "k4")
    assert "k4" not in client.get_run(rid).data.tags
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.delete_tag(rid, "never-set")


def test_run_name_tag_and_update_run(experiment_id, client):
    run = client.create_run(experiment_id, run_name="first")
    rid = run.info.run_id
    assert run.info.run_name == "first"

    client.update_run(rid, name="second")
    got = client.get_run(rid)
    assert got.info.run_name == "second" and got.data.tags["mlflow.runName"] == "second"
    assert got.info.status == "RUNNING"

    client.set_tag(rid, "mlflow.runName", "third")
    got = client.get_run(rid)
    assert got.info.run_name == "third"

    client.update_run(rid, status="KILLED")
    got = client.get_run(rid)
    assert got.info.status == "KILLED" and got.info.run_name == "third"

    client.update_run(rid, status="RUNNING", name="fourth")
    got = client.get_run(rid)
    assert got.info.status == "RUNNING" and got.info.run_name == "fourth"

    client.set_terminated(rid, status="FAILED", end_time=got.info.start_time + 10)
    got = client.get_run(rid)
    assert got.info.status == "FAILED" and got.info.end_time == got.info.start_time + 10
    assert RunStatus.is_terminated(RunStatus.from_string(got.info.status))


def test_run_name_and_tag_conflict(experiment_id, client):
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.create_run(experiment_id, run_name="a", tags={"mlflow.runName": "b"})
    run = client.create_run(experiment_id, run_name="same", tags={"mlflow.runName": "same"})
    assert run.info.run_name == "same"


# --- delete / restore -----------------------------------------------------------------------------


def test_delete_and_restore_run(experiment_id, client):
    keep = client.create_run(experiment_id)
    run = client.create_run(experiment_id)
    rid = run.info.run_id
    client.log_param(rid, "p", "1")

    client.delete_run(rid)
    got = client.get_run(rid)  # deleted runs can still be read
    assert got.info.lifecycle_stage == "deleted"
    assert got.data.params == {"p": "1"}

    def ids(view):
        return {r.info.run_id for r in client.search_runs([experiment_id], run_view_type=view)}

    assert ids(ViewType.ACTIVE_ONLY) == {keep.info.run_id}
    assert ids(ViewType.DELETED_ONLY) == {rid}
    assert ids(ViewType.ALL) == {rid, keep.info.run_id}
    assert {r.info.run_id for r in mlflow.search_runs([experiment_id], output_format="list")} == {
        keep.info.run_id
    }

    # Any write to a deleted run is refused.
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.log_metric(rid, "m", 1.0)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.log_param(rid, "q", "1")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.set_tag(rid, "t", "1")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.log_batch(rid, metrics=[Metric("m", 1.0, now_ms(), 0)])
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.update_run(rid, status="FINISHED")

    client.restore_run(rid)
    assert client.get_run(rid).info.lifecycle_stage == "active"
    client.log_metric(rid, "m", 1.0)
    assert ids(ViewType.ACTIVE_ONLY) == {rid, keep.info.run_id}


def test_delete_run_twice_is_allowed(experiment_id, client):
    run = client.create_run(experiment_id)
    client.delete_run(run.info.run_id)
    client.delete_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"


def test_calls_are_fast(experiment_id, client):
    """A burst of ordinary calls: each answers quickly (no server-side stalls or retries)."""
    run = client.create_run(experiment_id)
    rid = run.info.run_id
    for i in range(20):
        start = time.monotonic()
        client.log_metric(rid, "m", float(i), step=i)
        client.set_tag(rid, f"t{i}", str(i))
        client.get_run(rid)
        assert time.monotonic() - start < 2.0
    assert len(client.get_metric_history(rid, "m")) == 20
