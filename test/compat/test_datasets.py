"""Dataset inputs: mlflow.data.from_pandas + log_input, run.inputs, dataset search filters."""

import json

import mlflow
import pandas as pd
from compat_helpers import expect_mlflow_error

DF = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [0.5, 0.25, 0.125, 0.0625], "label": [0.0, 1.0, 0.0, 1.0]})


def make_dataset(name="train-data", df=DF):
    return mlflow.data.from_pandas(df, source="s3://bucket/path/train.parquet", name=name, targets="label")


def inputs_by_name(run):
    return {i.dataset.name: i for i in run.inputs.dataset_inputs}


def test_log_input_pandas_dataset(experiment_id, client):
    ds = make_dataset()
    with mlflow.start_run() as run:
        mlflow.log_input(ds, context="training", tags={"split": "train"})
    got = client.get_run(run.info.run_id)
    (inp,) = got.inputs.dataset_inputs
    d = inp.dataset
    assert d.name == "train-data"
    assert d.digest == ds.digest and len(d.digest) <= 36
    assert d.source_type == "s3"
    assert json.loads(d.source) == {"uri": "s3://bucket/path/train.parquet"}
    assert json.loads(d.schema)["mlflow_colspec"][0]["name"] == "x"
    assert json.loads(d.profile)["num_rows"] == 4
    tags = {t.key: t.value for t in inp.tags}
    assert tags == {"mlflow.data.context": "training", "split": "train"}

    # The dataset can be rebuilt from what the server returned.
    source = mlflow.data.get_source(inp)
    assert source.uri == "s3://bucket/path/train.parquet"


def test_log_inputs_several_and_dedup(experiment_id, client):
    train = make_dataset("train")
    evald = make_dataset("eval", DF.head(2))
    with mlflow.start_run() as run:
        mlflow.log_input(train, context="training")
        mlflow.log_input(evald, context="eval")
        mlflow.log_input(train, context="training")  # same (name, digest): not duplicated
    got = inputs_by_name(client.get_run(run.info.run_id))
    assert set(got) == {"train", "eval"}
    assert len(client.get_run(run.info.run_id).inputs.dataset_inputs) == 2
    assert got["eval"].dataset.digest == evald.digest != train.digest
    ctx = {n: {t.key: t.value for t in i.tags}["mlflow.data.context"] for n, i in got.items()}
    assert ctx == {"train": "training", "eval": "eval"}

    # The same dataset in another run.
    with mlflow.start_run() as other:
        mlflow.log_input(train, context="validation")
    (inp,) = client.get_run(other.info.run_id).inputs.dataset_inputs
    assert inp.dataset.digest == train.digest
    assert {t.key: t.value for t in inp.tags}["mlflow.data.context"] == "validation"


def test_client_log_inputs(experiment_id, client):
    from mlflow.entities import DatasetInput, InputTag

    ds = make_dataset("via-client")
    run = client.create_run(experiment_id)
    client.log_inputs(
        run.info.run_id,
        [DatasetInput(ds._to_mlflow_entity(), tags=[InputTag("mlflow.data.context", "testing")])],
    )
    (inp,) = client.get_run(run.info.run_id).inputs.dataset_inputs
    assert inp.dataset.name == "via-client"
    assert [(t.key, t.value) for t in inp.tags] == [("mlflow.data.context", "testing")]


def test_search_runs_by_dataset(experiment_id, client):
    a, b = make_dataset("ds-a"), make_dataset("ds-b", DF.head(3))
    with mlflow.start_run() as r1:
        mlflow.log_input(a, context="training")
    with mlflow.start_run() as r2:
        mlflow.log_input(b, context="eval")
        mlflow.log_input(a, context="eval")
    with mlflow.start_run() as r3:
        pass

    def found(flt):
        return {r.info.run_id for r in client.search_runs([experiment_id], flt)}

    assert found("dataset.name = 'ds-a'") == {r1.info.run_id, r2.info.run_id}
    assert found("datasets.name = 'ds-b'") == {r2.info.run_id}
    assert found(f"dataset.digest = '{b.digest}'") == {r2.info.run_id}
    assert found("dataset.context = 'training'") == {r1.info.run_id}
    assert found("dataset.name LIKE 'ds-%' AND dataset.context = 'eval'") == {r2.info.run_id}
    assert found("dataset.name IN ('ds-b', 'nope')") == {r2.info.run_id}
    assert found("dataset.name = 'missing'") == set()
    assert r3.info.run_id not in found("dataset.name ILIKE 'DS-%'")


def test_metric_with_dataset(experiment_id, client):
    ds = make_dataset("scored")
    with mlflow.start_run() as run:
        mlflow.log_input(ds, context="eval")
        mlflow.log_metric("acc", 0.75, dataset=ds)
    (m,) = client.get_metric_history(run.info.run_id, "acc")
    assert m.value == 0.75
    assert client.get_run(run.info.run_id).data.metrics == {"acc": 0.75}


def test_log_input_errors(experiment_id, client):
    run = client.create_run(experiment_id)
    client.delete_run(run.info.run_id)
    from mlflow.entities import DatasetInput

    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        client.log_inputs(run.info.run_id, [DatasetInput(make_dataset()._to_mlflow_entity())])
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.log_inputs("0123456789abcdef0123456789abcdef", [DatasetInput(make_dataset()._to_mlflow_entity())])
