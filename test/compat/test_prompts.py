"""Prompt registry (MLflow 3 OSS): prompts are registered models tagged `mlflow.prompt.is_prompt`,
prompt versions are model versions carrying the template in tags. register/load/alias/search, and
the separation from ordinary registered models.

The expected answers are MLflow 3.17.2's (checked with COMPAT_TARGET=mlflow).
"""

import json
import time

import mlflow
import requests
from compat_helpers import expect_mlflow_error, unique
from mlflow import MlflowClient
from mlflow.entities.model_registry import PromptVersion

IS_PROMPT = "mlflow.prompt.is_prompt"
PROMPT_TEXT = "mlflow.prompt.text"
PROMPT_TYPE = "_mlflow_prompt_type"
RESPONSE_FORMAT = "_mlflow_prompt_response_format"
# Set asynchronously by the client on register/load (the active experiment, "0" by default).
EXPERIMENT_IDS = "_mlflow_experiment_ids"


def prompt_name(prefix: str = "prompt") -> str:
    # Prompt names allow only alphanumerics, '-', '_' and '.'.
    return unique(prefix)


def load(name_or_uri: str, **kwargs) -> PromptVersion:
    """load_prompt without the client-side cache (which would hide server changes to aliases)."""
    return mlflow.genai.load_prompt(name_or_uri, cache_ttl_seconds=0, **kwargs)


def user_tags(tags: dict) -> dict:
    return {k: v for k, v in tags.items() if k != EXPERIMENT_IDS}


def wait_for(predicate, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_register_and_load_text_prompt(client):
    name = prompt_name()
    v1 = mlflow.genai.register_prompt(
        name=name, template="Hello {{name}}, welcome to {{place}}!", commit_message="first", tags={"author": "alice"}
    )
    assert isinstance(v1, PromptVersion)
    assert (v1.name, v1.version) == (name, 1)
    assert v1.template == "Hello {{name}}, welcome to {{place}}!"
    assert v1.is_text_prompt
    assert v1.variables == {"name", "place"}
    assert v1.commit_message == "first"
    assert v1.tags == {"author": "alice"}
    assert v1.uri == f"prompts:/{name}/1"
    assert v1.creation_timestamp > 0

    v2 = mlflow.genai.register_prompt(name=name, template="Hi {{name}}.", commit_message="second")
    assert (v2.name, v2.version, v2.template, v2.commit_message) == (name, 2, "Hi {{name}}.", "second")

    loaded = load(name, version=1)
    assert (loaded.version, loaded.template, loaded.commit_message) == (1, v1.template, "first")
    assert loaded.tags == {"author": "alice"}
    assert loaded.format(name="Bob", place="Paris") == "Hello Bob, welcome to Paris!"
    assert load(f"prompts:/{name}/2").template == "Hi {{name}}."
    assert load(name, version="2").version == 2
    # Without a version: the latest one.
    assert load(name).version == 2
    assert load(f"prompts:/{name}@latest").version == 2

    # The registry view: a registered model tagged as a prompt, versions carrying the template.
    mvs = client.search_model_versions(f"name = '{name}' AND tags.`{IS_PROMPT}` = 'true'")
    assert sorted(mv.version for mv in mvs) == ["1", "2"]
    mv1 = next(mv for mv in mvs if mv.version == "1")
    assert mv1.tags[PROMPT_TEXT] == v1.template
    assert mv1.tags[PROMPT_TYPE] == "text"
    assert mv1.tags[IS_PROMPT] == "true"
    assert mv1.tags["author"] == "alice"
    assert mv1.description == "first"
    assert mv1.status == "READY"


def test_register_chat_prompt_with_response_format():
    name = prompt_name("chat")
    template = [
        {"role": "system", "content": "You are a {{style}} assistant."},
        {"role": "user", "content": "{{question}}"},
    ]
    fmt = {"type": "object", "properties": {"answer": {"type": "string"}}}
    pv = mlflow.genai.register_prompt(name=name, template=template, response_format=fmt)
    assert pv.version == 1
    assert not pv.is_text_prompt
    assert pv.template == template
    assert pv.variables == {"style", "question"}
    assert pv.response_format == fmt
    loaded = load(name, version=1)
    assert loaded.template == template
    assert loaded.response_format == fmt
    assert loaded.format(style="terse", question="Why?") == [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "Why?"},
    ]
    mv = MlflowClient().search_model_versions(f"name = '{name}' AND tags.`{IS_PROMPT}` = 'true'")[0]
    assert mv.tags[PROMPT_TYPE] == "chat"
    assert json.loads(mv.tags[PROMPT_TEXT]) == template
    assert json.loads(mv.tags[RESPONSE_FORMAT]) == fmt


def test_prompt_aliases():
    name = prompt_name("alias")
    for i in range(3):
        mlflow.genai.register_prompt(name=name, template=f"template {i + 1} {{{{x}}}}")
    mlflow.genai.set_prompt_alias(name, alias="production", version=1)
    pv = load(f"prompts:/{name}@production")
    assert pv.version == 1 and pv.template == "template 1 {{x}}"
    assert pv.aliases == ["production"]

    # Moving an alias.
    mlflow.genai.set_prompt_alias(name, alias="production", version=3)
    assert load(f"prompts:/{name}@production").version == 3
    assert load(name, version=1).aliases == []
    mlflow.genai.set_prompt_alias(name, alias="staging", version=2)
    assert load(f"prompts:/{name}@staging").version == 2

    mlflow.genai.delete_prompt_alias(name, "production")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        load(f"prompts:/{name}@production")
    assert load(f"prompts:/{name}@production", allow_missing=True) is None
    assert load(f"prompts:/{name}@staging").version == 2
    assert MlflowClient().get_prompt_version_by_alias(name, "staging").version == 2


def test_prompt_alias_errors():
    name = prompt_name("aliaserr")
    mlflow.genai.register_prompt(name=name, template="x {{y}}")
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        load(f"prompts:/{name}@never-set")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        mlflow.genai.set_prompt_alias(name, alias="production", version=5)
    for reserved in ("latest", "v1"):
        with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
            mlflow.genai.set_prompt_alias(name, alias=reserved, version=1)


def test_load_prompt_errors():
    name = prompt_name("missing")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        load(name, version=1)
    assert load(name, version=1, allow_missing=True) is None
    mlflow.genai.register_prompt(name=name, template="x {{y}}")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        load(name, version=7)
    assert load(name, version=7, allow_missing=True) is None


def test_search_prompts():
    prefix = unique("sp")
    names = [f"{prefix}-b", f"{prefix}-a", f"{prefix}-c"]
    for i, n in enumerate(names):
        mlflow.genai.register_prompt(name=n, template="t {{x}}", tags={"team": "x" if i < 2 else "y"})
    # A registered model with the same prefix is not a prompt.
    MlflowClient().create_registered_model(f"{prefix}-model")

    found = mlflow.genai.search_prompts(filter_string=f"name LIKE '{prefix}-%'")
    assert sorted(p.name for p in found) == sorted(names)
    by_name = {p.name: p for p in found}
    assert user_tags(by_name[names[0]].tags) == {"team": "x"}
    assert IS_PROMPT not in by_name[names[0]].tags

    found = mlflow.genai.search_prompts(filter_string=f"name LIKE '{prefix}-%' AND tags.team = 'y'")
    assert [p.name for p in found] == [names[2]]
    assert [p.name for p in mlflow.genai.search_prompts(filter_string=f"name = '{names[1]}'")] == [names[1]]
    assert mlflow.genai.search_prompts(filter_string=f"name = '{prefix}-model'") == []

    # Ordering and paging through the client.
    client = MlflowClient()
    page1 = client.search_prompts(filter_string=f"name LIKE '{prefix}-%'", max_results=2, order_by=["name ASC"])
    assert [p.name for p in page1] == [f"{prefix}-a", f"{prefix}-b"]
    assert page1.token
    page2 = client.search_prompts(
        filter_string=f"name LIKE '{prefix}-%'", max_results=2, order_by=["name ASC"], page_token=page1.token
    )
    assert [p.name for p in page2] == [f"{prefix}-c"]
    assert not page2.token
    desc = client.search_prompts(filter_string=f"name LIKE '{prefix}-%'", order_by=["name DESC"])
    assert [p.name for p in desc] == [f"{prefix}-c", f"{prefix}-b", f"{prefix}-a"]


def test_prompts_excluded_from_model_searches(client):
    prefix = unique("excl")
    prompt, model = f"{prefix}-prompt", f"{prefix}-model"
    mlflow.genai.register_prompt(name=prompt, template="t {{x}}")
    mlflow.genai.register_prompt(name=prompt, template="t2 {{x}}")
    client.create_registered_model(model)
    client.create_model_version(model, "s3://compat-bucket/excl/1")

    assert [m.name for m in client.search_registered_models(f"name LIKE '{prefix}-%'")] == [model]
    assert client.search_registered_models(f"name = '{prompt}'") == []
    every_model = {m.name for m in mlflow.search_registered_models()}  # all pages
    assert model in every_model and prompt not in every_model
    assert [(mv.name, mv.version) for mv in client.search_model_versions(f"name LIKE '{prefix}-%'")] == [
        (model, "1")
    ]
    assert client.search_model_versions(f"name = '{prompt}'") == []
    # Asking for prompts explicitly finds them.
    asked = client.search_registered_models(f"name LIKE '{prefix}-%' AND tags.`{IS_PROMPT}` = 'true'")
    assert [m.name for m in asked] == [prompt]
    found = client.search_model_versions(f"name LIKE '{prefix}-%' AND tags.`{IS_PROMPT}` = 'true'")
    assert sorted((mv.name, mv.version) for mv in found) == [(prompt, "1"), (prompt, "2")]
    # The MlflowClient model APIs refuse to treat a prompt as a model.
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model(prompt)


def test_model_and_prompt_cannot_share_a_name(client):
    prompt = prompt_name("clash")
    mlflow.genai.register_prompt(name=prompt, template="t {{x}}")
    with expect_mlflow_error("RESOURCE_ALREADY_EXISTS"):
        client.create_registered_model(prompt)
    model = unique("clashmodel")
    client.create_registered_model(model)
    with expect_mlflow_error("INVALID_PARAMETER_VALUE"):
        mlflow.genai.register_prompt(name=model, template="t {{x}}")
    assert client.search_model_versions(f"name = '{model}'") == []


def test_prompt_version_source_must_be_a_placeholder(server_url):
    """The server accepts only MLflow's placeholder sources for prompt versions (the client refuses to
    create model versions under a prompt's name, so this goes over plain HTTP)."""
    name = prompt_name("src")
    mlflow.genai.register_prompt(name=name, template="t {{x}}")

    def create(source: str, text: str):
        tags = [
            {"key": IS_PROMPT, "value": "true"},
            {"key": PROMPT_TEXT, "value": text},
            {"key": PROMPT_TYPE, "value": "text"},
        ]
        return requests.post(
            f"{server_url}/api/2.0/mlflow/model-versions/create",
            json={"name": name, "source": source, "tags": tags},
            timeout=10,
        )

    r = create("s3://compat-bucket/not-a-prompt", "t2")
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    for version, placeholder in ((2, "prompt-template"), (3, "dummy-source")):
        r = create(placeholder, f"via {placeholder}")
        assert r.status_code == 200, r.text
        assert r.json()["model_version"]["version"] == str(version)
        assert r.json()["model_version"]["source"] == placeholder
    versions = MlflowClient().search_prompt_versions(name)
    assert [(pv.version, pv.template) for pv in versions] == [
        (3, "via dummy-source"),
        (2, "via prompt-template"),
        (1, "t {{x}}"),
    ]


def test_prompt_tags_and_versions():
    client = MlflowClient()
    name = prompt_name("tags")
    mlflow.genai.register_prompt(name=name, template="one {{x}}", commit_message="c1", tags={"owner": "a"})
    assert user_tags(client.get_prompt(name).tags) == {"owner": "a"}
    assert client.get_prompt(name).description == "c1"
    # Tags given to later versions also update the prompt-level tags.
    mlflow.genai.register_prompt(name=name, template="two {{x}}", tags={"owner": "b", "env": "dev"})
    assert user_tags(client.get_prompt(name).tags) == {"owner": "b", "env": "dev"}

    client.set_prompt_tag(name, "extra", "1")
    client.delete_prompt_tag(name, "env")
    assert user_tags(client.get_prompt(name).tags) == {"owner": "b", "extra": "1"}

    client.set_prompt_version_tag(name, 1, "reviewed", "yes")
    assert load(name, version=1).tags == {"owner": "a", "reviewed": "yes"}
    client.delete_prompt_version_tag(name, 1, "reviewed")
    assert load(name, version=1).tags == {"owner": "a"}

    assert [pv.version for pv in client.search_prompt_versions(name)] == [2, 1]
    pv = client.get_prompt_version(name, 2)
    assert (pv.version, pv.template) == (2, "two {{x}}")

    client.delete_prompt_version(name, "1")
    assert load(name, version=1, allow_missing=True) is None
    assert [pv.version for pv in client.search_prompt_versions(name)] == [2]
    # Soft delete: the number is not reused.
    assert mlflow.genai.register_prompt(name=name, template="three {{x}}").version == 3

    client.delete_prompt(name)
    assert client.get_prompt(name) is None
    assert mlflow.genai.search_prompts(filter_string=f"name = '{name}'") == []


def test_prompt_linked_to_experiment_and_run(client, experiment_id):
    name = prompt_name("linked")
    mlflow.genai.register_prompt(name=name, template="t {{x}}")
    # The client tags the prompt with the active experiment (in a background thread), and
    # search_prompts turns `experiment_id = "<id>"` into a LIKE filter on that tag.
    found = wait_for(
        lambda: [p.name for p in mlflow.genai.search_prompts(filter_string=f'experiment_id = "{experiment_id}"')]
    )
    assert found == [name]
    assert client.get_prompt(name).tags[EXPERIMENT_IDS] == f",{experiment_id},"

    with mlflow.start_run() as run:
        load(name, version=1)
    linked = json.loads(client.get_run(run.info.run_id).data.tags["mlflow.linkedPrompts"])
    assert linked == [{"name": name, "version": "1"}]
