"""search_runs / mlflow.search_runs / search_experiments: filters, ordering, paging, errors."""

import math
from types import SimpleNamespace

import mlflow
import pandas as pd
import pytest
from compat_helpers import expect_mlflow_error, unique
from mlflow import MlflowClient
from mlflow.entities import ViewType

BASE_TS = 1_700_000_000_000


@pytest.fixture(scope="module")
def runs(server_url):
    """One experiment with five active runs and one deleted run, fixed start times."""
    client = MlflowClient(tracking_uri=server_url)
    exp_name = unique("search")
    exp_id = client.create_experiment(exp_name)
    spec = [
        # name, metrics, params, tags
        ("alpha", {"acc": 0.9, "loss": 0.1}, {"model": "rf", "lr": "0.1"}, {"team": "A", "env": "Prod"}),
        ("beta", {"acc": 0.7, "loss": math.nan}, {"model": "RF", "lr": "0.01"}, {"team": "B", "env": "prod"}),
        ("gamma", {"acc": math.nan}, {"model": "lr"}, {"team": "A"}),
        ("Alpha-2", {"loss": 0.5}, {"model": "svm"}, {"team": "C", "env": "dev"}),
        ("delta", {"acc": 0.8}, {}, {}),
    ]
    ids = []
    for i, (name, metrics, params, tags) in enumerate(spec):
        run = client.create_run(exp_id, start_time=BASE_TS + i * 1000, run_name=name, tags=tags)
        rid = run.info.run_id
        for k, v in metrics.items():
            client.log_metric(rid, k, v, timestamp=BASE_TS, step=0)
        for k, v in params.items():
            client.log_param(rid, k, v)
        ids.append(rid)
    client.set_terminated(ids[4], status="FINISHED", end_time=BASE_TS + 10_000)
    deleted = client.create_run(exp_id, start_time=BASE_TS + 9000, run_name="deleted-run")
    client.log_metric(deleted.info.run_id, "acc", 1.0)
    client.log_param(deleted.info.run_id, "model", "rf")
    client.delete_run(deleted.info.run_id)
    return SimpleNamespace(exp_id=exp_id, exp_name=exp_name, ids=ids, deleted=deleted.info.run_id)


def names(runs, result):
    by_id = dict(zip(runs.ids, ["alpha", "beta", "gamma", "Alpha-2", "delta"]))
    by_id[runs.deleted] = "deleted-run"
    return [by_id[r.info.run_id] for r in result]


def search(client, runs, filter_string="", order_by=None, **kw):
    return client.search_runs([runs.exp_id], filter_string, order_by=order_by, **kw)


def names_set(client, runs, filter_string):
    return set(names(runs, search(client, runs, filter_string)))


def test_default_order_is_start_time_desc(client, runs):
    assert names(runs, search(client, runs)) == ["delta", "Alpha-2", "gamma", "beta", "alpha"]
    assert names(runs, search(client, runs, order_by=["start_time ASC"])) == [
        "alpha",
        "beta",
        "gamma",
        "Alpha-2",
        "delta",
    ]


def test_run_contents_in_search_results(client, runs):
    (alpha,) = search(client, runs, "attributes.run_name = 'alpha'")
    assert alpha.info.run_id == runs.ids[0]
    assert alpha.info.experiment_id == runs.exp_id
    assert alpha.info.start_time == BASE_TS
    assert alpha.data.metrics == {"acc": 0.9, "loss": 0.1}
    assert alpha.data.params == {"model": "rf", "lr": "0.1"}
    assert alpha.data.tags["team"] == "A" and alpha.data.tags["mlflow.runName"] == "alpha"


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("metrics.acc > 0.75", {"alpha", "delta"}),
        ("metrics.acc >= 0.7", {"alpha", "beta", "delta"}),
        ("metrics.acc = 0.9", {"alpha"}),
        ("metrics.acc != 0.9", {"beta", "gamma", "delta"}),  # runs without the metric never match
        # NaN (gamma's acc, beta's loss) compares like IEEE NaN: it matches only "!=".
        ("metrics.loss <= 0.5", {"alpha", "Alpha-2"}),
        ("metrics.loss != 0.1", {"beta", "Alpha-2"}),
        ("metrics.acc <= 0", set()),
        ("metrics.acc = 0", set()),
        ("metrics.acc > -1", {"alpha", "beta", "delta"}),
        ("metrics.acc < 0.85 AND metrics.acc > 0.75", {"delta"}),
        ("metric.acc > 0.85", {"alpha"}),
        ("metrics.`acc` > 0.85", {"alpha"}),
        ("`metrics`.acc > 0.85", {"alpha"}),
        ("metrics.unknown > 0", set()),
    ],
)
def test_metric_filters(client, runs, filter_string, expected):
    assert names_set(client, runs, filter_string) == expected


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("params.model = 'rf'", {"alpha"}),  # case-sensitive
        ('params.model = "rf"', {"alpha"}),
        ("params.model != 'rf'", {"beta", "gamma", "Alpha-2"}),  # runs without the param never match
        ("params.model LIKE 'r%'", {"alpha"}),
        ("params.model LIKE '%F'", {"beta"}),
        ("params.model ILIKE 'rf'", {"alpha", "beta"}),
        ("params.model ILIKE '_f'", {"alpha", "beta"}),
        ("params.model like 's%'", {"Alpha-2"}),
        ("param.lr = '0.01'", {"beta"}),
        ("parameter.lr = '0.1'", {"alpha"}),
        ("parameters.lr = '0.1'", {"alpha"}),
        ('params."model" = \'svm\'', {"Alpha-2"}),
        ("params.`model` = 'lr'", {"gamma"}),
        ("params.missing = 'x'", set()),
    ],
)
def test_param_filters(client, runs, filter_string, expected):
    assert names_set(client, runs, filter_string) == expected


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("tags.team = 'A'", {"alpha", "gamma"}),
        ("tag.team = 'B'", {"beta"}),
        ("tags.team != 'A'", {"beta", "Alpha-2"}),
        ("tags.env = 'prod'", {"beta"}),
        ("tags.env LIKE 'P%'", {"alpha"}),
        ("tags.env ILIKE 'prod'", {"alpha", "beta"}),
        ("tags.env ILIKE '%O%'", {"alpha", "beta"}),
        ("tags.`mlflow.runName` = 'gamma'", {"gamma"}),
        ('tags."team" = "C"', {"Alpha-2"}),
    ],
)
def test_tag_filters(client, runs, filter_string, expected):
    assert names_set(client, runs, filter_string) == expected


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("attributes.run_name = 'alpha'", {"alpha"}),
        ("run_name = 'alpha'", {"alpha"}),
        ("attributes.run_name LIKE 'Alpha%'", {"Alpha-2"}),
        ("attributes.run_name ILIKE 'alpha%'", {"alpha", "Alpha-2"}),
        ("attributes.`Run name` = 'beta'", {"beta"}),
        ("attributes.status = 'FINISHED'", {"delta"}),
        ("attribute.status = 'RUNNING'", {"alpha", "beta", "gamma", "Alpha-2"}),
        ("attr.status != 'RUNNING'", {"delta"}),
        ("run.status = 'FINISHED'", {"delta"}),
        (f"attributes.start_time > {BASE_TS + 2500}", {"Alpha-2", "delta"}),
        (f"attributes.start_time >= {BASE_TS + 2000} AND attributes.start_time < {BASE_TS + 4000}", {"gamma", "Alpha-2"}),
        (f"attributes.created = {BASE_TS + 1000}", {"beta"}),
        (f"attributes.end_time = {BASE_TS + 10_000}", {"delta"}),
        ("attributes.user_id = 'no-such-user'", set()),
        ("attributes.artifact_uri LIKE 'mlflow-artifacts:/%'", {"alpha", "beta", "gamma", "Alpha-2", "delta"}),
        ("metrics.acc > 0.5 AND params.model ILIKE 'rf' AND tags.team = 'B'", {"beta"}),
        ("metrics.acc > 0.5 and params.model ilike 'RF'", {"alpha", "beta"}),
    ],
)
def test_attribute_and_combined_filters(client, runs, filter_string, expected):
    assert names_set(client, runs, filter_string) == expected


def test_run_id_in_filter(client, runs):
    a, b, c = runs.ids[0], runs.ids[2], runs.ids[4]
    assert names_set(client, runs, f"attributes.run_id IN ('{a}', '{b}')") == {"alpha", "gamma"}
    assert names_set(client, runs, f"attributes.run_id = '{c}'") == {"delta"}
    assert names_set(client, runs, f"run_id IN ('{a}')") == {"alpha"}
    assert names_set(client, runs, f"attributes.run_id NOT IN ('{a}', '{b}')") == {"beta", "Alpha-2", "delta"}
    # The deleted run only shows with the right view type.
    found = search(client, runs, f"attributes.run_id IN ('{a}', '{runs.deleted}')", run_view_type=ViewType.ALL)
    assert set(names(runs, found)) == {"alpha", "deleted-run"}


def test_view_types(client, runs):
    assert names(runs, search(client, runs, run_view_type=ViewType.DELETED_ONLY)) == ["deleted-run"]
    assert len(search(client, runs, run_view_type=ViewType.ALL)) == 6
    assert len(search(client, runs, run_view_type=ViewType.ACTIVE_ONLY)) == 5


def test_order_by_metric_nan_and_missing_last(client, runs):
    # Values first, then NaN, then runs without the metric; in both directions.
    assert names(runs, search(client, runs, order_by=["metrics.acc DESC"])) == [
        "alpha",
        "delta",
        "beta",
        "gamma",
        "Alpha-2",
    ]
    assert names(runs, search(client, runs, order_by=["metrics.acc ASC"])) == [
        "beta",
        "delta",
        "alpha",
        "gamma",
        "Alpha-2",
    ]
    assert names(runs, search(client, runs, order_by=["metrics.`acc`"])) == [
        "beta",
        "delta",
        "alpha",
        "gamma",
        "Alpha-2",
    ]
    # loss: alpha 0.1, Alpha-2 0.5, beta NaN, others missing (ties broken by start_time DESC).
    assert names(runs, search(client, runs, order_by=["metrics.loss ASC"])) == [
        "alpha",
        "Alpha-2",
        "beta",
        "delta",
        "gamma",
    ]


def test_order_by_params_tags_attributes(client, runs):
    # Binary string order; runs without the param sort last.
    assert names(runs, search(client, runs, order_by=["params.model ASC"])) == [
        "beta",
        "gamma",
        "alpha",
        "Alpha-2",
        "delta",
    ]
    assert names(runs, search(client, runs, order_by=["params.model DESC"]))[:4] == [
        "Alpha-2",
        "alpha",
        "gamma",
        "beta",
    ]
    assert names(runs, search(client, runs, order_by=["tags.team ASC", "start_time ASC"]))[:4] == [
        "alpha",
        "gamma",
        "beta",
        "Alpha-2",
    ]
    assert names(runs, search(client, runs, order_by=["attributes.run_name DESC"])) == [
        "gamma",
        "delta",
        "beta",
        "alpha",
        "Alpha-2",
    ]
    assert names(runs, search(client, runs, order_by=["status ASC", "start_time DESC"])) == [
        "delta",
        "Alpha-2",
        "gamma",
        "beta",
        "alpha",
    ]


def test_paging(client, runs):
    seen = []
    token = None
    pages = 0
    while True:
        page = search(client, runs, order_by=["start_time ASC"], max_results=2, page_token=token)
        assert len(page) <= 2
        seen.extend(names(runs, page))
        pages += 1
        token = page.token
        if not token:
            break
        assert pages < 10
    assert seen == ["alpha", "beta", "gamma", "Alpha-2", "delta"]

    first = search(client, runs, order_by=["start_time ASC"], max_results=3)
    assert first.token
    second = search(client, runs, order_by=["start_time ASC"], max_results=3, page_token=first.token)
    assert names(runs, second) == ["Alpha-2", "delta"]
    assert not second.token

    everything = search(client, runs, max_results=50)
    assert len(everything) == 5 and not everything.token


def test_pandas_search_runs(runs):
    df = mlflow.search_runs([runs.exp_id], order_by=["start_time ASC"])
    assert isinstance(df, pd.DataFrame)
    assert list(df["run_id"]) == runs.ids
    for col in ("experiment_id", "status", "artifact_uri", "start_time", "end_time"):
        assert col in df.columns
    for col in ("metrics.acc", "metrics.loss", "params.model", "params.lr", "tags.team", "tags.mlflow.runName"):
        assert col in df.columns
    assert list(df["tags.mlflow.runName"]) == ["alpha", "beta", "gamma", "Alpha-2", "delta"]
    assert df["metrics.acc"][0] == 0.9
    assert math.isnan(df["metrics.acc"][2])
    assert pd.isna(df["metrics.acc"][3])  # missing metric
    assert df["params.model"][1] == "RF"
    assert pd.isna(df["params.model"][4])
    assert df["status"][4] == "FINISHED"

    filtered = mlflow.search_runs(
        experiment_names=[runs.exp_name], filter_string="params.model ILIKE 'rf'", order_by=["metrics.acc DESC"]
    )
    assert list(filtered["run_id"]) == [runs.ids[0], runs.ids[1]]

    limited = mlflow.search_runs([runs.exp_id], max_results=2, order_by=["start_time DESC"])
    assert list(limited["run_id"]) == [runs.ids[4], runs.ids[3]]

    as_list = mlflow.search_runs([runs.exp_id], output_format="list", filter_string="tags.team = 'A'")
    assert {r.info.run_id for r in as_list} == {runs.ids[0], runs.ids[2]}

    deleted = mlflow.search_runs([runs.exp_id], run_view_type=ViewType.DELETED_ONLY)
    assert list(deleted["run_id"]) == [runs.deleted]

    empty = mlflow.search_runs([runs.exp_id], filter_string="metrics.acc > 100")
    assert len(empty) == 0


def test_search_runs_several_experiments(client, runs, exp_name):
    other = client.create_experiment(exp_name)
    r = client.create_run(other, start_time=BASE_TS + 500)
    client.log_param(r.info.run_id, "model", "rf")
    found = client.search_runs([runs.exp_id, other], "params.model = 'rf'", order_by=["start_time ASC"])
    assert [x.info.run_id for x in found] == [runs.ids[0], r.info.run_id]
    assert [x.info.experiment_id for x in found] == [runs.exp_id, other]
    df = mlflow.search_runs(experiment_names=[runs.exp_name, exp_name], filter_string="params.model = 'rf'")
    assert set(df["run_id"]) == {runs.ids[0], r.info.run_id}


@pytest.mark.parametrize(
    "filter_string",
    [
        "metrics.acc >",
        "metrics.acc > 0.5 OR metrics.acc < 0.1",
        "params.model = rf",  # unquoted string
        "params.model > 'a'",  # bad operator for params
        "metrics.acc > 'a'",  # string for a metric
        "foo.bar = 'x'",  # unknown entity type
        "attributes.experiment_id = '1'",  # not searchable
        "attributes.run_id IN ()",
        "(metrics.acc > 0.5)",
    ],
)
def test_bad_filter_syntax(client, runs, filter_string):
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        search(client, runs, filter_string)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        mlflow.search_runs([runs.exp_id], filter_string=filter_string)


@pytest.mark.parametrize("order_by", ["metrics.acc SIDEWAYS", "foo.bar ASC", "attributes.experiment_id", "dataset.name"])
def test_bad_order_by(client, runs, order_by):
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        search(client, runs, order_by=[order_by])


def test_bad_paging_arguments(client, runs):
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        search(client, runs, page_token="not-a-token")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        search(client, runs, max_results=50001)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.search_runs(["not-an-id"])


# --- experiments ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def experiments(server_url):
    client = MlflowClient(tracking_uri=server_url)
    prefix = unique("sexp")
    ids = {}
    for suffix, tags in [("a", {"kind": "x"}), ("B", {"kind": "y"}), ("c", {"kind": "x", "extra": "1"}), ("d", {})]:
        ids[suffix] = client.create_experiment(f"{prefix}-{suffix}", tags=tags)
    client.delete_experiment(ids["d"])
    return SimpleNamespace(prefix=prefix, ids=ids)


def exp_suffixes(experiments, result):
    by_id = {v: k for k, v in experiments.ids.items()}
    return [by_id[e.experiment_id] for e in result if e.experiment_id in by_id]


def test_search_experiments_filters(client, experiments):
    p = experiments.prefix

    def found(filter_string, **kw):
        return sorted(exp_suffixes(experiments, client.search_experiments(filter_string=filter_string, **kw)))

    assert found(f"name LIKE '{p}-%'") == ["B", "a", "c"]
    assert found(f"attribute.name = '{p}-a'") == ["a"]
    assert found(f"name != '{p}-a' AND name LIKE '{p}%'") == ["B", "c"]
    assert found(f"name LIKE '{p}-b'") == []
    assert found(f"name ILIKE '{p}-b'") == ["B"]
    assert found(f"name LIKE '{p}%' AND tags.kind = 'x'") == ["a", "c"]
    assert found(f"name LIKE '{p}%' AND tag.extra = '1'") == ["c"]
    assert found(f"name LIKE '{p}%' AND tags.kind ILIKE 'Y'") == ["B"]
    assert found(f"name LIKE '{p}%' AND tags.kind != 'x'") == ["B"]
    assert found(f"name LIKE '{p}%'", view_type=ViewType.ALL) == ["B", "a", "c", "d"]
    assert found(f"name LIKE '{p}%'", view_type=ViewType.DELETED_ONLY) == ["d"]
    created = client.get_experiment(experiments.ids["a"]).creation_time
    assert found(f"name LIKE '{p}%' AND creation_time >= {created}") == ["B", "a", "c"]
    assert found(f"name LIKE '{p}%' AND creation_time < {created}") == []
    assert "a" in found(f"name LIKE '{p}%' AND last_update_time >= {created}")


def test_search_experiments_order_and_paging(client, experiments):
    p = experiments.prefix
    flt = f"name LIKE '{p}-%'"
    asc = client.search_experiments(filter_string=flt, order_by=["name ASC"])
    assert exp_suffixes(experiments, asc) == ["B", "a", "c"]  # binary order: 'B' < 'a'
    desc = client.search_experiments(filter_string=flt, order_by=["name DESC"])
    assert exp_suffixes(experiments, desc) == ["c", "a", "B"]
    by_id = client.search_experiments(filter_string=flt, order_by=["experiment_id DESC"])
    assert exp_suffixes(experiments, by_id) == ["c", "B", "a"]
    default = client.search_experiments(filter_string=flt)  # creation_time DESC by default
    assert exp_suffixes(experiments, default) == ["c", "B", "a"]

    page1 = client.search_experiments(filter_string=flt, order_by=["name ASC"], max_results=2)
    assert exp_suffixes(experiments, page1) == ["B", "a"]
    assert page1.token
    page2 = client.search_experiments(
        filter_string=flt, order_by=["name ASC"], max_results=2, page_token=page1.token
    )
    assert exp_suffixes(experiments, page2) == ["c"]
    assert not page2.token

    # The fluent API pages through everything by itself.
    fluent = mlflow.search_experiments(filter_string=flt, order_by=["name ASC"])
    assert exp_suffixes(experiments, fluent) == ["B", "a", "c"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filter_string": "attributes.name = 'x'"},  # 'attributes.' is not accepted for experiments
        {"filter_string": "name = "},
        {"filter_string": "name = 'a' OR name = 'b'"},
        {"filter_string": "metrics.x > 1"},
        {"order_by": ["bogus ASC"]},
        {"page_token": "garbage"},
        {"max_results": 50001},
    ],
)
def test_search_experiments_errors(client, kwargs):
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.search_experiments(**kwargs)
