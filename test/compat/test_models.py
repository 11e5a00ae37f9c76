"""MLflow 3 logged models: sklearn log_model, load via runs:/ and models:/<model_id>, search/get."""

from types import SimpleNamespace

import mlflow
import numpy as np
import pandas as pd
import pytest
from compat_helpers import expect_mlflow_error, unique
from mlflow import MlflowClient
from mlflow.entities import LoggedModelStatus
from sklearn.linear_model import LogisticRegression

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]})
Y = np.array([0, 0, 0, 1, 1, 1])
# Explicit requirements: skip the slow requirement inference (it loads the model in a subprocess).
REQS = ["scikit-learn", "pandas", "numpy"]


def tiny_model():
    return LogisticRegression().fit(X, Y)


@pytest.fixture(scope="module")
def logged(server_url):
    """One run with a logged sklearn model (shared by the read-only tests of this module)."""
    client = MlflowClient(tracking_uri=server_url)
    mlflow.set_tracking_uri(server_url)
    exp_name = unique("models")
    exp_id = mlflow.set_experiment(exp_name).experiment_id
    model = tiny_model()
    with mlflow.start_run() as run:
        mlflow.log_params({"C": 1.0, "solver": "lbfgs"})
        mlflow.log_metric("train_acc", 0.83, step=0)
        info = mlflow.sklearn.log_model(model, name="clf", pip_requirements=REQS, tags={"stage": "test"})
    return SimpleNamespace(
        client=client, exp_id=exp_id, run_id=run.info.run_id, info=info, expected=model.predict(X)
    )


def test_log_model_returns_model_info(logged):
    info = logged.info
    assert info.model_id.startswith("m-") and len(info.model_id) == 34
    assert info.model_uri == f"models:/{info.model_id}"
    assert info.run_id == logged.run_id
    assert "sklearn" in info.flavors and "python_function" in info.flavors


def test_get_logged_model(logged):
    m = logged.client.get_logged_model(logged.info.model_id)
    assert m.model_id == logged.info.model_id
    assert m.name == "clf"
    assert m.experiment_id == logged.exp_id
    assert m.source_run_id == logged.run_id
    assert m.status == LoggedModelStatus.READY
    assert m.artifact_location == f"mlflow-artifacts:/{logged.exp_id}/models/{m.model_id}/artifacts"
    assert m.creation_timestamp > 0 and m.last_updated_timestamp >= m.creation_timestamp
    assert m.params == {"C": "1.0", "solver": "lbfgs"}
    assert m.tags["stage"] == "test"
    # The run's metrics at log time are linked to the model.
    assert {mt.key: mt.value for mt in m.metrics} == {"train_acc": 0.83}
    assert m.metrics[0].run_id == logged.run_id


def test_run_outputs_link_the_model(logged):
    run = logged.client.get_run(logged.run_id)
    assert [o.model_id for o in run.outputs.model_outputs] == [logged.info.model_id]


def test_load_model_via_runs_uri(logged):
    model = mlflow.pyfunc.load_model(f"runs:/{logged.run_id}/clf")
    assert list(model.predict(X)) == list(logged.expected)


def test_load_model_via_model_id(logged):
    model = mlflow.pyfunc.load_model(f"models:/{logged.info.model_id}")
    assert list(model.predict(X)) == list(logged.expected)
    sk = mlflow.sklearn.load_model(logged.info.model_uri)
    assert list(sk.predict(X)) == list(logged.expected)
    assert sk.get_params()["C"] == 1.0


def test_model_artifacts(logged, tmp_path):
    m = logged.client.get_logged_model(logged.info.model_id)
    files = {f.path.rsplit("/", 1)[-1] for f in mlflow.artifacts.list_artifacts(artifact_uri=m.artifact_location)}
    assert {"MLmodel", "requirements.txt", "conda.yaml", "python_env.yaml"} <= files
    assert any(p.startswith("model.") for p in files)
    mlmodel = mlflow.artifacts.load_text(f"{m.artifact_location}/MLmodel")
    assert logged.info.model_id in mlmodel and "sklearn" in mlmodel
    local = mlflow.artifacts.download_artifacts(m.artifact_location, dst_path=str(tmp_path))
    assert any(p.name == "MLmodel" for p in tmp_path.rglob("*")), local


def test_search_logged_models(logged, client):
    found = client.search_logged_models([logged.exp_id])
    assert [m.model_id for m in found] == [logged.info.model_id]
    found = client.search_logged_models([logged.exp_id], filter_string="name = 'clf'")
    assert [m.model_id for m in found] == [logged.info.model_id]
    assert client.search_logged_models([logged.exp_id], filter_string="name = 'other'") == []
    found = client.search_logged_models([logged.exp_id], filter_string=f"source_run_id = '{logged.run_id}'")
    assert [m.model_id for m in found] == [logged.info.model_id]
    found = client.search_logged_models([logged.exp_id], filter_string="metrics.train_acc > 0.5")
    assert [m.model_id for m in found] == [logged.info.model_id]
    assert client.search_logged_models([logged.exp_id], filter_string="metrics.train_acc > 0.9") == []
    found = client.search_logged_models([logged.exp_id], filter_string="params.solver = 'lbfgs'")
    assert [m.model_id for m in found] == [logged.info.model_id]
    found = client.search_logged_models([logged.exp_id], filter_string="tags.stage = 'test'")
    assert [m.model_id for m in found] == [logged.info.model_id]
    # Fluent variant, as a list.
    fluent = mlflow.search_logged_models(experiment_ids=[logged.exp_id], output_format="list")
    assert [m.model_id for m in fluent] == [logged.info.model_id]


def test_search_logged_models_order_and_paging(experiment_id, client):
    ids = []
    for i, acc in enumerate([0.5, 0.9, 0.7]):
        with mlflow.start_run():
            mlflow.log_metric("acc", acc)
            info = mlflow.sklearn.log_model(tiny_model(), name=f"m{i}", pip_requirements=REQS)
            ids.append(info.model_id)

    newest_first = client.search_logged_models([experiment_id])
    assert [m.model_id for m in newest_first] == list(reversed(ids))

    by_acc = client.search_logged_models(
        [experiment_id], order_by=[{"field_name": "metrics.acc", "ascending": False}]
    )
    assert [m.model_id for m in by_acc] == [ids[1], ids[2], ids[0]]
    by_name = client.search_logged_models([experiment_id], order_by=[{"field_name": "name", "ascending": True}])
    assert [m.name for m in by_name] == ["m0", "m1", "m2"]

    page1 = client.search_logged_models(
        [experiment_id], max_results=2, order_by=[{"field_name": "name", "ascending": True}]
    )
    assert [m.name for m in page1] == ["m0", "m1"]
    assert page1.token
    page2 = client.search_logged_models(
        [experiment_id], max_results=2, order_by=[{"field_name": "name", "ascending": True}], page_token=page1.token
    )
    assert [m.name for m in page2] == ["m2"]
    assert not page2.token


def test_logged_model_tags_and_delete(experiment_id, client):
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(tiny_model(), name="tagged", pip_requirements=REQS)
    mid = info.model_id
    client.set_logged_model_tags(mid, {"a": "1", "b": "2"})
    assert {k: v for k, v in client.get_logged_model(mid).tags.items() if k in ("a", "b")} == {"a": "1", "b": "2"}
    client.delete_logged_model_tag(mid, "a")
    tags = client.get_logged_model(mid).tags
    assert "a" not in tags and tags["b"] == "2"

    client.delete_logged_model(mid)
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_logged_model(mid)
    assert client.search_logged_models([experiment_id]) == []


def test_logged_model_errors(experiment_id, client):
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_logged_model("m-00000000000000000000000000000000")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.search_logged_models([experiment_id], filter_string="name = ")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.search_logged_models([experiment_id], filter_string="bogus.key = 'x'")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        mlflow.create_external_model(name="bad/name")
    with pytest.raises(mlflow.exceptions.MlflowException):
        mlflow.pyfunc.load_model("models:/m-00000000000000000000000000000000")


def test_external_model_lifecycle(experiment_id, client):
    """initialize_logged_model / finalize: the PENDING -> READY flow without artifacts."""
    m = mlflow.initialize_logged_model(name="ext", tags={"t": "v"}, model_type="agent")
    assert m.status == LoggedModelStatus.PENDING
    assert m.model_type == "agent" and m.experiment_id == experiment_id
    done = client.finalize_logged_model(m.model_id, LoggedModelStatus.READY)
    assert done.status == LoggedModelStatus.READY
    assert client.get_logged_model(m.model_id).status == LoggedModelStatus.READY
    ext = mlflow.create_external_model(name="ext2")
    assert client.get_logged_model(ext.model_id).status == LoggedModelStatus.READY
