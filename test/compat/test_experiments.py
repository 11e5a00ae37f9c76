"""Experiments: set_experiment, create/get/rename/delete/restore, experiment tags."""

import time

import mlflow
import pytest
from compat_helpers import FAST_ERROR_S, expect_mlflow_error, mltrack_only, unique
from mlflow.entities import ViewType


def test_set_experiment_creates_then_reuses(exp_name, client):
    assert client.get_experiment_by_name(exp_name) is None

    exp = mlflow.set_experiment(exp_name)
    assert exp.name == exp_name
    assert exp.lifecycle_stage == "active"
    assert isinstance(exp.experiment_id, str) and exp.experiment_id

    again = mlflow.set_experiment(exp_name)
    assert again.experiment_id == exp.experiment_id

    by_id = mlflow.set_experiment(experiment_id=exp.experiment_id)
    assert by_id.name == exp_name

    fetched = client.get_experiment_by_name(exp_name)
    assert fetched.experiment_id == exp.experiment_id


def test_experiment_fields(exp_name, client):
    exp_id = client.create_experiment(exp_name)
    exp = client.get_experiment(exp_id)
    assert exp.experiment_id == exp_id
    assert exp.name == exp_name
    assert exp.lifecycle_stage == "active"
    # Served artifacts (the default): experiment artifacts live behind the artifact proxy.
    assert exp.artifact_location == f"mlflow-artifacts:/{exp_id}"
    assert exp.creation_time > 0
    assert exp.last_update_time >= exp.creation_time
    assert exp.tags == {}


def test_default_experiment_exists(client):
    exp = client.get_experiment("0")
    assert exp.name == "Default"
    assert exp.lifecycle_stage == "active"
    assert client.get_experiment_by_name("Default").experiment_id == "0"

    with mlflow.start_run(experiment_id="0") as run:
        assert run.info.experiment_id == "0"
    assert client.get_run(run.info.run_id).info.artifact_uri.startswith("mlflow-artifacts:/0/")


def test_start_run_uses_active_experiment(experiment_id):
    with mlflow.start_run() as run:
        assert run.info.experiment_id == experiment_id


def test_create_experiment_with_tags(exp_name, client):
    exp_id = client.create_experiment(exp_name, tags={"team": "ml", "mlflow.note.content": "hello"})
    assert client.get_experiment(exp_id).tags == {"team": "ml", "mlflow.note.content": "hello"}


def test_duplicate_experiment_name(exp_name, client):
    client.create_experiment(exp_name)
    with expect_mlflow_error("RESOURCE_ALREADY_EXISTS"):
        client.create_experiment(exp_name)
    with expect_mlflow_error("RESOURCE_ALREADY_EXISTS"):
        mlflow.create_experiment(exp_name)


def test_name_of_deleted_experiment_stays_taken(exp_name, client):
    exp_id = client.create_experiment(exp_name)
    client.delete_experiment(exp_id)
    with expect_mlflow_error("RESOURCE_ALREADY_EXISTS"):
        client.create_experiment(exp_name)
    # The client refuses to activate a deleted experiment (after looking it up by name).
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        mlflow.set_experiment(exp_name)
    # Lookup by name still finds it.
    assert client.get_experiment_by_name(exp_name).lifecycle_stage == "deleted"


def test_empty_experiment_name_rejected(client):
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.create_experiment("")


def test_missing_experiment(client):
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_experiment("987654321")
    assert client.get_experiment_by_name(unique("no-such-experiment")) is None
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.delete_experiment("987654321")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.restore_experiment("987654321")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.set_experiment_tag("987654321", "k", "v")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.create_run("987654321")


def test_rename_experiment(exp_name, client):
    exp_id = client.create_experiment(exp_name)
    new_name = exp_name + "-renamed"
    client.rename_experiment(exp_id, new_name)
    assert client.get_experiment(exp_id).name == new_name
    assert client.get_experiment_by_name(new_name).experiment_id == exp_id
    assert client.get_experiment_by_name(exp_name) is None
    # The old name is free again.
    other = client.create_experiment(exp_name)
    assert other != exp_id


def test_rename_experiment_errors(exp_name, client):
    a = client.create_experiment(exp_name)
    client.create_experiment(exp_name + "-b")
    # MLflow surfaces the UNIQUE violation as BAD_REQUEST (an uncaught IntegrityError, HTTP 400);
    # RESOURCE_ALREADY_EXISTS (also HTTP 400) is the deliberate code. The client does not branch
    # on either for a rename, so both are accepted.
    from mlflow.exceptions import MlflowException

    start = time.monotonic()
    with pytest.raises(MlflowException) as info:
        client.rename_experiment(a, exp_name + "-b")
    assert info.value.error_code in ("BAD_REQUEST", "RESOURCE_ALREADY_EXISTS"), str(info.value)
    assert info.value.get_http_status_code() == 400
    assert time.monotonic() - start < FAST_ERROR_S
    assert client.get_experiment(a).name == exp_name
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.rename_experiment("987654321", unique("x"))
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.rename_experiment(a, "")


@mltrack_only
def test_rename_deleted_experiment_is_a_client_error(exp_name, client):
    """MLflow answers INVALID_STATE with HTTP 500 here (so the client retries); mltrack gives a 4xx."""
    from mlflow.exceptions import MlflowException

    exp_id = client.create_experiment(exp_name)
    client.delete_experiment(exp_id)
    with pytest.raises(MlflowException) as info:
        client.rename_experiment(exp_id, exp_name + "-x")
    assert info.value.error_code in ("INVALID_PARAMETER_VALUE", "INVALID_STATE", "BAD_REQUEST")
    assert info.value.get_http_status_code() < 500
    assert client.get_experiment(exp_id).name == exp_name


def test_delete_and_restore_experiment(exp_name, client):
    exp_id = client.create_experiment(exp_name)
    run_a = client.create_run(exp_id)
    run_b = client.create_run(exp_id)
    client.delete_run(run_b.info.run_id)

    client.delete_experiment(exp_id)
    exp = client.get_experiment(exp_id)  # deleted experiments can still be read
    assert exp.lifecycle_stage == "deleted"
    # Deleting an experiment deletes its runs.
    assert client.get_run(run_a.info.run_id).info.lifecycle_stage == "deleted"

    active = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY)]
    deleted = [e.experiment_id for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)]
    everything = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    assert exp_id not in active
    assert exp_id in deleted
    assert exp_id in everything and "0" in everything

    # Deleting again, or writing to it, is refused.
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.delete_experiment(exp_id)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.create_run(exp_id)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.set_experiment_tag(exp_id, "k", "v")

    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "active"
    assert client.get_run(run_a.info.run_id).info.lifecycle_stage == "active"
    assert exp_id in [e.experiment_id for e in client.search_experiments()]
    mlflow.set_experiment(exp_name)  # usable again
    # Restoring an active experiment is refused.
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.restore_experiment(exp_id)


def test_experiment_tags(exp_name, client):
    exp_id = client.create_experiment(exp_name)
    client.set_experiment_tag(exp_id, "k1", "v1")
    mlflow.set_experiment(exp_name)
    mlflow.set_experiment_tags({"k2": "v2", "k3": 3})
    assert client.get_experiment(exp_id).tags == {"k1": "v1", "k2": "v2", "k3": "3"}

    client.set_experiment_tag(exp_id, "k1", "changed")  # upsert
    assert client.get_experiment(exp_id).tags["k1"] == "changed"

    client.delete_experiment_tag(exp_id, "k2")
    assert client.get_experiment(exp_id).tags == {"k1": "changed", "k3": "3"}
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.delete_experiment_tag(exp_id, "k2")


@pytest.mark.parametrize("key", ["a//b", "/abs", "a/../b", "bad key!", "x" * 251])
def test_experiment_tag_bad_key(exp_name, client, key):
    exp_id = client.create_experiment(exp_name)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.set_experiment_tag(exp_id, key, "v")
    assert client.get_experiment(exp_id).tags == {}
