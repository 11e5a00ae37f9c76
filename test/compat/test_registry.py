"""Model registry: register/log with registered_model_name, load via models:/ URIs, aliases, tags and
descriptions, stages, get_latest_versions, search (filters, order, paging), rename, delete, errors.

The flows and the expected answers are MLflow 3.17.2's (checked with COMPAT_TARGET=mlflow).
"""

import json
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import mlflow
import numpy as np
import pandas as pd
import pytest
from compat_helpers import expect_mlflow_error, mltrack_only, unique
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion, RegisteredModel
from mlflow.entities.model_registry.model_version_status import ModelVersionStatus
from mlflow.exceptions import MlflowException
from sklearn.linear_model import LogisticRegression

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]})
Y = np.array([0, 0, 0, 1, 1, 1])
# Explicit requirements: skip the slow requirement inference (it loads the model in a subprocess).
REQS = ["scikit-learn", "pandas", "numpy"]
READY = ModelVersionStatus.to_string(ModelVersionStatus.READY)


def tiny_model(C: float = 1.0):
    return LogisticRegression(C=C).fit(X, Y)


def new_model(client: MlflowClient, prefix: str = "reg", **kwargs) -> str:
    """Create a registered model with a unique name; return the name."""
    name = unique(prefix)
    rm = client.create_registered_model(name, **kwargs)
    assert isinstance(rm, RegisteredModel) and rm.name == name
    return name


def add_versions(client: MlflowClient, name: str, count: int, **kwargs) -> list[ModelVersion]:
    """Create `count` versions with distinct non-local sources (no artifacts needed)."""
    out = []
    for _ in range(count):
        out.append(client.create_model_version(name, f"s3://compat-bucket/{name}/{unique('src')}", **kwargs))
        time.sleep(0.005)  # distinct millisecond timestamps for the timestamp orderings
    return out


def versions(result) -> list[str]:
    return [mv.version for mv in result]


def stages(client: MlflowClient, name: str) -> dict[str, str]:
    """version -> current_stage of every live version of `name`."""
    return {mv.version: mv.current_stage for mv in client.search_model_versions(f"name = '{name}'")}


# --- logging and registering real models ------------------------------------------------------------


@pytest.fixture(scope="module")
def registered(server_url):
    """Two sklearn models logged with registered_model_name (versions 1 and 2), plus a model saved the
    pre-MLflow-3 way (run artifacts with an MLmodel) and registered from its runs:/ URI (version 3)."""
    client = MlflowClient(tracking_uri=server_url)
    mlflow.set_tracking_uri(server_url)
    exp_id = mlflow.set_experiment(unique("registry")).experiment_id
    name = unique("clf")
    runs, infos, models = [], [], []
    for C in (1.0, 0.01):
        model = tiny_model(C)
        with mlflow.start_run() as run:
            info = mlflow.sklearn.log_model(model, name="model", pip_requirements=REQS, registered_model_name=name)
        runs.append(run.info.run_id)
        infos.append(info)
        models.append(model)
    classic = tiny_model(0.5)
    with mlflow.start_run() as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.sklearn.save_model(classic, f"{tmp}/m", pip_requirements=REQS)
        mlflow.log_artifacts(f"{tmp}/m", artifact_path="classic")
    classic_mv = mlflow.register_model(f"runs:/{run.info.run_id}/classic", name)
    return SimpleNamespace(
        client=client,
        exp_id=exp_id,
        name=name,
        runs=runs,
        infos=infos,
        expected=[m.predict(X) for m in models],
        classic_run=run.info.run_id,
        classic_artifact_uri=run.info.artifact_uri,
        classic_mv=classic_mv,
        classic_expected=classic.predict(X),
    )


def test_log_model_with_registered_model_name(registered):
    client, name = registered.client, registered.name
    assert [i.registered_model_version for i in registered.infos] == ["1", "2"]
    for i, (info, run_id) in enumerate(zip(registered.infos, registered.runs), start=1):
        mv = client.get_model_version(name, str(i))
        assert mv.name == name
        assert mv.version == str(i)
        assert mv.status == READY
        assert mv.current_stage == "None"
        assert mv.run_id == run_id
        # MLflow 3: the version points at the logged model, not at the run's artifacts.
        assert mv.source == f"models:/{info.model_id}"
        assert mv.creation_timestamp > 0 and mv.last_updated_timestamp >= mv.creation_timestamp
        assert mv.description in ("", None)
        assert mv.tags == {} and mv.aliases == []
    rm = client.get_registered_model(name)
    assert rm.name == name
    assert rm.creation_timestamp <= rm.last_updated_timestamp
    assert rm.aliases == {} and rm.tags == {}
    # latest_versions: the highest live version per stage (all are in stage None here).
    assert [(mv.version, mv.current_stage) for mv in rm.latest_versions] == [("3", "None")]


def test_register_model_from_run_with_classic_artifacts(registered):
    mv = registered.classic_mv
    assert mv.version == "3"
    assert mv.status == READY
    assert mv.run_id == registered.classic_run
    assert mv.source == f"{registered.classic_artifact_uri}/classic"


def test_register_model_from_runs_uri_of_logged_model(registered, client):
    """runs:/<id>/<name> where the run has no such artifacts: the client finds the logged model."""
    name = unique("fromrun")
    info = registered.infos[0]
    mv = mlflow.register_model(f"runs:/{registered.runs[0]}/model", name)
    assert (mv.name, mv.version, mv.status) == (name, "1", READY)
    assert mv.source == f"models:/{info.model_id}"
    assert mv.run_id == registered.runs[0]
    # The name exists now: register_model tolerates RESOURCE_ALREADY_EXISTS and adds version 2.
    mv2 = mlflow.register_model(f"models:/{info.model_id}", name)
    assert (mv2.version, mv2.status, mv2.source) == ("2", READY, f"models:/{info.model_id}")
    assert mv2.run_id == registered.runs[0]  # defaults to the logged model's source run
    assert versions(client.search_model_versions(f"name = '{name}'", order_by=["version_number ASC"])) == ["1", "2"]


def test_register_links_logged_model(registered):
    m = registered.client.get_logged_model(registered.infos[0].model_id)
    links = json.loads(m.tags["mlflow.modelVersions"])
    assert any(d["name"] == registered.name and str(d["version"]) == "1" for d in links), links


def test_get_model_version_download_uri(registered):
    client, name = registered.client, registered.name
    for version, info in (("1", registered.infos[0]), ("2", registered.infos[1])):
        artifact_location = client.get_logged_model(info.model_id).artifact_location
        assert client.get_model_version_download_uri(name, version) == artifact_location
    assert client.get_model_version_download_uri(name, "3") == registered.classic_mv.source
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version_download_uri(name, "99")


def test_load_by_version_and_predict(registered):
    name = registered.name
    model = mlflow.pyfunc.load_model(f"models:/{name}/1")
    assert list(model.predict(X)) == list(registered.expected[0])
    assert model.metadata.model_id == registered.infos[0].model_id
    sk = mlflow.sklearn.load_model(f"models:/{name}/2")
    assert sk.get_params()["C"] == 0.01
    assert list(sk.predict(X)) == list(registered.expected[1])
    classic = mlflow.pyfunc.load_model(f"models:/{name}/3")
    assert list(classic.predict(X)) == list(registered.classic_expected)


def test_load_by_alias_latest_and_model_id(registered):
    client, name = registered.client, registered.name
    client.set_registered_model_alias(name, "champion", "2")
    try:
        model = mlflow.pyfunc.load_model(f"models:/{name}@champion")
        assert model.metadata.model_id == registered.infos[1].model_id
        assert list(model.predict(X)) == list(registered.expected[1])
    finally:
        client.delete_registered_model_alias(name, "champion")
    latest = mlflow.sklearn.load_model(f"models:/{name}/latest")
    assert latest.get_params()["C"] == 0.5  # version 3 (the classic one)
    by_id = mlflow.pyfunc.load_model(f"models:/{registered.infos[0].model_id}")
    assert list(by_id.predict(X)) == list(registered.expected[0])
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        mlflow.pyfunc.load_model(f"models:/{name}/42")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        mlflow.pyfunc.load_model(f"models:/{name}@no-such-alias")


def test_load_by_stage(client, experiment_id):
    name = unique("staged")
    infos = []
    for C in (1.0, 0.01):
        with mlflow.start_run():
            infos.append(
                mlflow.sklearn.log_model(tiny_model(C), name="m", pip_requirements=REQS, registered_model_name=name)
            )
    assert [i.registered_model_version for i in infos] == ["1", "2"]
    client.transition_model_version_stage(name, "1", "Production")
    prod = mlflow.pyfunc.load_model(f"models:/{name}/Production")
    assert prod.metadata.model_id == infos[0].model_id
    latest = mlflow.pyfunc.load_model(f"models:/{name}/latest")
    assert latest.metadata.model_id == infos[1].model_id
    with pytest.raises(MlflowException):  # nothing in Staging
        mlflow.pyfunc.load_model(f"models:/{name}/Staging")


# --- aliases -------------------------------------------------------------------------------------------


def test_aliases(client):
    name = new_model(client, "alias")
    add_versions(client, name, 3)
    client.set_registered_model_alias(name, "champion", "1")
    client.set_registered_model_alias(name, "challenger", "1")
    assert client.get_registered_model(name).aliases == {"champion": "1", "challenger": "1"}
    assert sorted(client.get_model_version(name, "1").aliases) == ["challenger", "champion"]
    mv = client.get_model_version_by_alias(name, "champion")
    assert (mv.name, mv.version) == (name, "1")
    assert sorted(mv.aliases) == ["challenger", "champion"]

    # Setting an existing alias moves it.
    client.set_registered_model_alias(name, "champion", "2")
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    assert client.get_model_version(name, "1").aliases == ["challenger"]
    assert client.get_model_version(name, "2").aliases == ["champion"]
    assert client.get_registered_model(name).aliases == {"champion": "2", "challenger": "1"}

    client.delete_registered_model_alias(name, "challenger")
    assert client.get_registered_model(name).aliases == {"champion": "2"}
    assert client.get_model_version(name, "1").aliases == []
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.get_model_version_by_alias(name, "challenger")
    # Deleting an alias that does not exist is fine.
    client.delete_registered_model_alias(name, "challenger")

    # "latest" (any case) resolves to the highest version without being set.
    assert client.get_model_version_by_alias(name, "latest").version == "3"
    assert client.get_model_version_by_alias(name, "LaTeSt").version == "3"


def test_alias_errors(client):
    name = new_model(client, "aliaserr")
    add_versions(client, name, 2)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.get_model_version_by_alias(name, "unknown")
    for reserved in ("latest", "LATEST", "v1", "V2", "v10"):
        with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
            client.set_registered_model_alias(name, reserved, "1")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.set_registered_model_alias(name, "champion", "99")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.set_registered_model_alias(unique("missing"), "champion", "1")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version_by_alias(unique("missing"), "champion")
    # Aliases that merely look like reserved ones are fine.
    client.set_registered_model_alias(name, "v1-candidate", "1")
    client.set_registered_model_alias(name, "latest_good", "2")
    assert client.get_registered_model(name).aliases == {"v1-candidate": "1", "latest_good": "2"}


# --- tags and descriptions -------------------------------------------------------------------------


def test_registered_model_tags_and_description(client):
    name = new_model(client, "rmtags", tags={"team": "a", "owner": "x"}, description="first")
    rm = client.get_registered_model(name)
    assert rm.tags == {"team": "a", "owner": "x"}
    assert rm.description == "first"

    client.set_registered_model_tag(name, "team", "b")  # overwrite
    client.set_registered_model_tag(name, "extra", "1")
    client.delete_registered_model_tag(name, "owner")
    client.delete_registered_model_tag(name, "never-set")  # a missing tag is fine
    assert client.get_registered_model(name).tags == {"team": "b", "extra": "1"}

    before = client.get_registered_model(name).last_updated_timestamp
    time.sleep(0.01)
    updated = client.update_registered_model(name, description="second")
    assert updated.name == name and updated.description == "second"
    rm = client.get_registered_model(name)
    assert rm.description == "second"
    assert rm.last_updated_timestamp > before

    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.set_registered_model_tag(name, "bad key!", "v")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.set_registered_model_tag(unique("missing"), "k", "v")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.update_registered_model(unique("missing"), description="x")


def test_model_version_tags_and_description(client):
    name = new_model(client, "mvtags")
    mv = client.create_model_version(
        name, "s3://compat-bucket/mvtags/1", tags={"k1": "v1", "k2": "v2"}, description="initial"
    )
    assert mv.version == "1"
    assert mv.tags == {"k1": "v1", "k2": "v2"}
    assert mv.description == "initial"

    client.set_model_version_tag(name, "1", "k1", "changed")
    client.set_model_version_tag(name, "1", "k3", "v3")
    client.delete_model_version_tag(name, "1", "k2")
    client.delete_model_version_tag(name, "1", "never-set")  # a missing tag is fine
    assert client.get_model_version(name, "1").tags == {"k1": "changed", "k3": "v3"}

    updated = client.update_model_version(name, "1", description="updated")
    assert (updated.version, updated.description) == ("1", "updated")
    assert client.get_model_version(name, "1").description == "updated"

    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.set_model_version_tag(name, "1", "bad key!", "v")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.set_model_version_tag(name, "7", "k", "v")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.update_model_version(name, "7", description="x")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.update_model_version(name, "one", description="x")


# --- stages and latest versions ------------------------------------------------------------------------


def test_transition_stage_and_archive_existing(client):
    name = new_model(client, "stage")
    add_versions(client, name, 4)
    mv = client.transition_model_version_stage(name, "1", "Production")
    assert (mv.version, mv.current_stage) == ("1", "Production")
    # Any case is accepted and canonicalised.
    assert client.transition_model_version_stage(name, "2", "staging").current_stage == "Staging"
    assert client.transition_model_version_stage(name, "3", "PRODUCTION").current_stage == "Production"
    assert stages(client, name) == {"1": "Production", "2": "Staging", "3": "Production", "4": "None"}

    # archive_existing_versions moves the others in the target stage (only) to Archived.
    mv = client.transition_model_version_stage(name, "4", "Production", archive_existing_versions=True)
    assert mv.current_stage == "Production"
    assert stages(client, name) == {"1": "Archived", "2": "Staging", "3": "Archived", "4": "Production"}

    # Without it, versions can share a stage.
    client.transition_model_version_stage(name, "1", "Staging", archive_existing_versions=False)
    assert stages(client, name) == {"1": "Staging", "2": "Staging", "3": "Archived", "4": "Production"}
    client.transition_model_version_stage(name, "1", "None")
    assert client.get_model_version(name, "1").current_stage == "None"


def test_transition_stage_errors(client):
    name = new_model(client, "stageerr")
    add_versions(client, name, 1)
    for bad in ("Bogus", "prod", "Deleted_Internal"):
        with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
            client.transition_model_version_stage(name, "1", bad)
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.transition_model_version_stage(name, "5", "Staging")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.transition_model_version_stage(name, "x1", "Staging")
    assert client.get_model_version(name, "1").current_stage == "None"


@mltrack_only
def test_archive_existing_into_non_active_stage_is_a_client_error(client):
    """MLflow 3.17.2 answers 500 INTERNAL_ERROR (a plain MlflowException in the store), so its client
    would retry; mltrack must refuse it with a 4xx."""
    name = new_model(client, "archerr")
    add_versions(client, name, 2)
    for target in ("Archived", "None"):
        with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
            client.transition_model_version_stage(name, "1", target, archive_existing_versions=True)
    assert stages(client, name) == {"1": "None", "2": "None"}


def test_get_latest_versions(client):
    name = new_model(client, "latest")
    assert client.get_latest_versions(name) == []
    add_versions(client, name, 5)
    client.transition_model_version_stage(name, "1", "Production")
    client.transition_model_version_stage(name, "2", "Production")
    client.transition_model_version_stage(name, "3", "Staging")
    client.transition_model_version_stage(name, "4", "Archived")

    def latest(stages_=None):
        return sorted((mv.version, mv.current_stage) for mv in client.get_latest_versions(name, stages_))

    # No stages: the latest version of every stage.
    assert latest() == [("2", "Production"), ("3", "Staging"), ("4", "Archived"), ("5", "None")]
    assert latest(["Production"]) == [("2", "Production")]
    assert latest(["production"]) == [("2", "Production")]
    assert latest(["Staging", "None"]) == [("3", "Staging"), ("5", "None")]
    assert latest(["Archived"]) == [("4", "Archived")]
    rm = client.get_registered_model(name)
    assert sorted((mv.version, mv.current_stage) for mv in rm.latest_versions) == latest()

    # The highest live version counts: deleting version 5 leaves no version in stage None.
    client.delete_model_version(name, "5")
    assert latest(["None"]) == []
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.get_latest_versions(name, ["Bogus"])
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_latest_versions(unique("missing"))


# --- search registered models -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def rm_family(server_url):
    """Four registered models sharing a unique prefix, created in the order b, a, C, d."""
    client = MlflowClient(tracking_uri=server_url)
    prefix = unique("fam")
    names = {}
    for suffix, team in (("b", "x"), ("a", "x"), ("C", "y"), ("d", "y")):
        names[suffix] = f"{prefix}-{suffix}"
        client.create_registered_model(names[suffix], tags={"team": team, "kind": f"k-{suffix}"})
        time.sleep(0.01)
    return SimpleNamespace(client=client, prefix=prefix, names=names)


def rm_names(result) -> list[str]:
    return [rm.name for rm in result]


def test_search_registered_models_filters(rm_family):
    c, p, n = rm_family.client, rm_family.prefix, rm_family.names
    everything = [n["C"], n["a"], n["b"], n["d"]]  # default order: name ASC (binary, so "C" < "a")
    assert rm_names(c.search_registered_models(f"name LIKE '{p}-%'")) == everything
    assert rm_names(c.search_registered_models(f"name = '{n['a']}'")) == [n["a"]]
    assert rm_names(c.search_registered_models(f"attribute.name = '{n['a']}'")) == [n["a"]]
    assert rm_names(c.search_registered_models(f"name LIKE '{p}-%' AND name != '{n['a']}'")) == [
        n["C"],
        n["b"],
        n["d"],
    ]
    # LIKE is case-sensitive, ILIKE is not.
    assert rm_names(c.search_registered_models(f"name LIKE '{p}-c'")) == []
    assert rm_names(c.search_registered_models(f"name ILIKE '{p}-c'")) == [n["C"]]
    assert rm_names(c.search_registered_models(f"name ILIKE '{p.upper()}-%'")) == everything
    assert rm_names(c.search_registered_models(f"name LIKE '{p}-_'")) == everything
    # Tags, several clauses all required.
    assert rm_names(c.search_registered_models(f"name LIKE '{p}-%' AND tags.team = 'y'")) == [n["C"], n["d"]]
    assert rm_names(c.search_registered_models(f"name LIKE '{p}-%' AND tags.team = 'x' AND tags.kind = 'k-a'")) == [
        n["a"]
    ]
    assert rm_names(c.search_registered_models(f"name LIKE '{p}-%' AND tags.kind LIKE 'k-%'")) == everything
    assert rm_names(c.search_registered_models(f"name LIKE '{p}-%' AND tags.kind ILIKE 'K-C'")) == [n["C"]]
    assert rm_names(c.search_registered_models(f"name LIKE '{p}-%' AND tags.team != 'x'")) == [n["C"], n["d"]]
    assert rm_names(c.search_registered_models(f"name LIKE '{p}-%' AND tags.`team` = \"x\"")) == [n["a"], n["b"]]
    assert c.search_registered_models(f"name LIKE '{p}-%' AND tags.nope = 'x'") == []
    # Fluent API.
    assert rm_names(mlflow.search_registered_models(filter_string=f"name LIKE '{p}-%'")) == everything


def test_search_registered_models_order_and_paging(rm_family):
    c, p, n = rm_family.client, rm_family.prefix, rm_family.names
    f = f"name LIKE '{p}-%'"
    assert rm_names(c.search_registered_models(f, order_by=["name DESC"])) == [n["d"], n["b"], n["a"], n["C"]]
    created = [n["b"], n["a"], n["C"], n["d"]]
    assert rm_names(c.search_registered_models(f, order_by=["timestamp DESC"])) == created[::-1]
    assert rm_names(c.search_registered_models(f, order_by=["last_updated_timestamp ASC"])) == created

    page1 = c.search_registered_models(f, max_results=3)
    assert rm_names(page1) == [n["C"], n["a"], n["b"]]
    assert page1.token
    page2 = c.search_registered_models(f, max_results=3, page_token=page1.token)
    assert rm_names(page2) == [n["d"]]
    assert not page2.token
    # A page that ends exactly at the end has no token.
    exact = c.search_registered_models(f, max_results=4)
    assert len(exact) == 4 and not exact.token
    # Paging with an ordering.
    page1 = c.search_registered_models(f, max_results=2, order_by=["name DESC"])
    page2 = c.search_registered_models(f, max_results=2, order_by=["name DESC"], page_token=page1.token)
    assert rm_names(page1) + rm_names(page2) == [n["d"], n["b"], n["a"], n["C"]]
    assert not page2.token
    # The fluent API follows the pages itself.
    assert len(mlflow.search_registered_models(filter_string=f, max_results=3)) == 3


def test_search_registered_models_errors(rm_family):
    c = rm_family.client
    for bad in ("bogus = 'x'", "name = x", "name = 'a' OR name = 'b'", "name > 'a'", "tags.team > 'x'"):
        with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
            c.search_registered_models(bad)
    for bad in (["bogus"], ["creation_timestamp DESC"], ["name SIDEWAYS"]):
        with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
            c.search_registered_models(order_by=bad)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        c.search_registered_models(page_token="not-a-token")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        c.search_registered_models(max_results=1001)


# --- search model versions ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mv_family(server_url):
    """Two models: `main` with versions 1..4 from two runs, `other` with one version."""
    client = MlflowClient(tracking_uri=server_url)
    exp_id = client.create_experiment(unique("mvsearch"))
    run_a = client.create_run(exp_id).info.run_id
    run_b = client.create_run(exp_id).info.run_id
    prefix = unique("mvfam")
    main, other = f"{prefix}-Main", f"{prefix}-other"
    client.create_registered_model(main)
    client.create_registered_model(other)
    sources = {}
    for i, run_id in enumerate([run_a, run_b, run_a, run_b], start=1):
        sources[str(i)] = f"s3://compat-bucket/{prefix}/v{i}"
        client.create_model_version(main, sources[str(i)], run_id=run_id, tags={"parity": "odd" if i % 2 else "even"})
        time.sleep(0.01)
    client.create_model_version(other, f"s3://compat-bucket/{prefix}/other", run_id=run_a)
    return SimpleNamespace(
        client=client, prefix=prefix, main=main, other=other, run_a=run_a, run_b=run_b, sources=sources
    )


def test_search_model_versions_filters(mv_family):
    c, main, other = mv_family.client, mv_family.main, mv_family.other
    asc = ["version_number ASC"]

    def s(f):
        return sorted((mv.name, int(mv.version)) for mv in c.search_model_versions(f))

    assert s(f"name = '{main}'") == [(main, 1), (main, 2), (main, 3), (main, 4)]
    assert s(f"name LIKE '{mv_family.prefix}-%'") == s(f"name = '{main}'") + [(other, 1)]
    assert s(f"name LIKE '{mv_family.prefix}-main'") == []
    assert s(f"name ILIKE '{mv_family.prefix}-main'") == s(f"name = '{main}'")
    assert s(f"name LIKE '{mv_family.prefix}-%' AND name != '{main}'") == [(other, 1)]
    assert s(f"run_id = '{mv_family.run_a}'") == [(main, 1), (main, 3), (other, 1)]
    assert s(f"name = '{main}' AND run_id = '{mv_family.run_b}'") == [(main, 2), (main, 4)]
    assert s(f"run_id IN ('{mv_family.run_b}', '{'0' * 32}')") == [(main, 2), (main, 4)]
    assert s(f"name = '{main}' AND run_id != '{mv_family.run_a}'") == [(main, 2), (main, 4)]
    assert s(f"name = '{main}' AND version_number = 3") == [(main, 3)]
    assert s(f"name = '{main}' AND version_number > 2") == [(main, 3), (main, 4)]
    assert s(f"name = '{main}' AND version_number <= 2") == [(main, 1), (main, 2)]
    assert s(f"name = '{main}' AND version_number != 1 AND version_number < 4") == [(main, 2), (main, 3)]
    assert s(f"name = '{main}' AND version_number >= 4") == [(main, 4)]
    assert s(f"name = '{main}' AND tags.parity = 'even'") == [(main, 2), (main, 4)]
    assert s(f"name = '{main}' AND tags.parity LIKE 'o%'") == [(main, 1), (main, 3)]
    assert s(f"source_path = '{mv_family.sources['2']}'") == [(main, 2)]
    assert s(f"source_path LIKE '{mv_family.sources['2'][:-1]}%'") == [(main, 1), (main, 2), (main, 3), (main, 4)]
    # Every model version carries the registered-model-level fields.
    mv = c.search_model_versions(f"name = '{main}' AND version_number = 2")[0]
    assert mv.run_id == mv_family.run_b and mv.source == mv_family.sources["2"] and mv.tags == {"parity": "even"}
    assert mv.status == READY and mv.current_stage == "None"
    # Fluent API.
    fluent = mlflow.search_model_versions(filter_string=f"name = '{main}'", order_by=asc)
    assert versions(fluent) == ["1", "2", "3", "4"]


def test_search_model_versions_order_and_paging(mv_family):
    c, main = mv_family.client, mv_family.main
    f = f"name = '{main}'"
    # Default: last_updated_timestamp DESC (then name ASC, version DESC).
    assert versions(c.search_model_versions(f)) == ["4", "3", "2", "1"]
    assert versions(c.search_model_versions(f, order_by=["version_number ASC"])) == ["1", "2", "3", "4"]
    assert versions(c.search_model_versions(f, order_by=["version_number DESC"])) == ["4", "3", "2", "1"]
    assert versions(c.search_model_versions(f, order_by=["creation_timestamp ASC"])) == ["1", "2", "3", "4"]
    assert versions(c.search_model_versions(f, order_by=["last_updated_timestamp DESC"])) == ["4", "3", "2", "1"]
    both = c.search_model_versions(f"name LIKE '{mv_family.prefix}-%'", order_by=["name DESC", "version_number ASC"])
    assert [(mv.name, mv.version) for mv in both] == [(mv_family.other, "1")] + [(main, v) for v in "1234"]

    page1 = c.search_model_versions(f, max_results=3, order_by=["version_number ASC"])
    assert versions(page1) == ["1", "2", "3"] and page1.token
    page2 = c.search_model_versions(f, max_results=3, order_by=["version_number ASC"], page_token=page1.token)
    assert versions(page2) == ["4"] and not page2.token
    exact = c.search_model_versions(f, max_results=4)
    assert len(exact) == 4 and not exact.token


def test_search_model_versions_errors(mv_family):
    c = mv_family.client
    bad_filters = (
        "bogus = 'x'",
        "name = x",
        f"name = '{mv_family.main}' OR version_number = 1",
        "version_number LIKE '1'",
    )
    for bad in bad_filters:
        with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
            c.search_model_versions(bad)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        c.search_model_versions(f"name = '{mv_family.main}'", order_by=["bogus"])
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        c.search_model_versions(f"name = '{mv_family.main}'", page_token="not-a-token")


# --- rename and delete ------------------------------------------------------------------------------


def test_rename_registered_model(client):
    name = new_model(client, "rename", tags={"t": "1"}, description="d")
    add_versions(client, name, 2)
    client.set_registered_model_alias(name, "champion", "2")
    client.set_model_version_tag(name, "1", "vt", "x")
    new_name = unique("renamed")
    client.rename_registered_model(name, new_name)

    rm = client.get_registered_model(new_name)
    assert (rm.name, rm.tags, rm.description) == (new_name, {"t": "1"}, "d")
    assert rm.aliases == {"champion": "2"}
    assert sorted((mv.name, mv.version) for mv in client.search_model_versions(f"name = '{new_name}'")) == [
        (new_name, "1"),
        (new_name, "2"),
    ]
    assert client.get_model_version(new_name, "1").tags == {"vt": "x"}
    assert client.get_model_version_by_alias(new_name, "champion").version == "2"
    assert client.search_model_versions(f"name = '{name}'") == []
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model(name)
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version(name, "1")
    # New versions continue the numbering under the new name.
    assert client.create_model_version(new_name, "s3://compat-bucket/renamed/3").version == "3"

    with expect_mlflow_error("RESOURCE_ALREADY_EXISTS"):
        client.rename_registered_model(new_name, new_model(client, "taken"))
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.rename_registered_model(unique("missing"), unique("x"))


def test_delete_model_version_is_soft(client):
    name = new_model(client, "delmv")
    add_versions(client, name, 3)
    client.set_registered_model_alias(name, "gone", "3")
    client.delete_model_version(name, "2")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version(name, "2")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version_download_uri(name, "2")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.delete_model_version(name, "2")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.set_model_version_tag(name, "2", "k", "v")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.set_registered_model_alias(name, "x", "2")
    assert sorted(versions(client.search_model_versions(f"name = '{name}'"))) == ["1", "3"]

    # Deleting the highest version drops its aliases; its number is never reused.
    client.delete_model_version(name, "3")
    assert client.get_registered_model(name).aliases == {}
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.get_model_version_by_alias(name, "gone")
    assert [mv.version for mv in client.get_registered_model(name).latest_versions] == ["1"]
    assert client.get_model_version_by_alias(name, "latest").version == "1"
    assert client.create_model_version(name, "s3://compat-bucket/delmv/4").version == "4"
    assert sorted(versions(client.search_model_versions(f"name = '{name}'"))) == ["1", "4"]


def test_delete_registered_model(client):
    name = new_model(client, "delrm", tags={"a": "b"})
    add_versions(client, name, 2)
    client.set_registered_model_alias(name, "champion", "1")
    client.delete_registered_model(name)
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model(name)
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version(name, "1")
    assert client.search_model_versions(f"name = '{name}'") == []
    assert client.search_registered_models(f"name = '{name}'") == []
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.delete_registered_model(name)
    # A hard delete: the name can be reused, versions start at 1 again, nothing is inherited.
    client.create_registered_model(name)
    assert client.create_model_version(name, "s3://compat-bucket/delrm/again").version == "1"
    rm = client.get_registered_model(name)
    assert rm.tags == {} and rm.aliases == {}


# --- errors ---------------------------------------------------------------------------------------------


def test_registry_errors(client):
    name = new_model(client, "err")
    add_versions(client, name, 1)
    missing = unique("missing")
    with expect_mlflow_error("RESOURCE_ALREADY_EXISTS"):
        client.create_registered_model(name)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.create_registered_model("")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model(missing)
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.delete_registered_model(missing)
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.create_model_version(missing, "s3://compat-bucket/x")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version(name, "2")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version(missing, "1")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.delete_model_version(name, "2")
    for bad_version in ("abc", "1.5", "one"):
        with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
            client.get_model_version(name, bad_version)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.get_model_version_download_uri(name, "abc")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.delete_model_version(name, "abc")
    # Source validation: no `..` in a remote source; a local source needs the run that contains it.
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.create_model_version(name, "s3://compat-bucket/a/../b")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.create_model_version(name, "/tmp/some/local/model")
    # Nothing was created by the refused requests.
    assert versions(client.search_model_versions(f"name = '{name}'")) == ["1"]


def test_local_source_must_be_inside_the_run(client, experiment_id):
    name = new_model(client, "localsrc")
    run = client.create_run(experiment_id)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.create_model_version(name, str(Path(tempfile.gettempdir()) / "elsewhere"), run_id=run.info.run_id)
    assert client.search_model_versions(f"name = '{name}'") == []


# --- concurrency -----------------------------------------------------------------------------------------


def test_concurrent_create_model_version(server_url):
    """Concurrent creates on one model: versions are exactly 1..N, no gaps, no duplicates."""
    n_threads = 24
    name = new_model(MlflowClient(tracking_uri=server_url), "conc")
    barrier = threading.Barrier(n_threads)

    def create(i: int) -> str:
        client = MlflowClient(tracking_uri=server_url)
        barrier.wait(timeout=30)
        return client.create_model_version(name, f"s3://compat-bucket/conc/{i}").version

    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        got = list(pool.map(create, range(n_threads)))
    assert sorted(int(v) for v in got) == list(range(1, n_threads + 1))
    listed = MlflowClient(tracking_uri=server_url).search_model_versions(f"name = '{name}'")
    assert sorted(int(mv.version) for mv in listed) == list(range(1, n_threads + 1))
    assert {mv.status for mv in listed} == {READY}
