"""Webhooks with the official client: create, get, list (paging), update, delete, test, and signed delivery
of registry events to a receiver on 127.0.0.1 (the session server runs with MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https
and MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true, see conftest.py).

The flows and the expected answers are MLflow 3.17.2's (checked with COMPAT_TARGET=mlflow).
"""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from compat_helpers import expect_mlflow_error, unique
from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookEvent, WebhookStatus


class Receiver:
    def __init__(self):
        self.received = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                outer.received.append((dict(self.headers), body))
                self.send_response(outer.status)
                self.end_headers()
                self.wfile.write(b"received")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            hits = [r for r in self.received if predicate(json.loads(r[1]))]
            if hits:
                return hits
            time.sleep(0.05)
        raise AssertionError(f"no matching delivery within {timeout}s; got {self.received}")


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def client(server_url):
    return MlflowClient()


def test_webhook_crud_with_the_client(client, receiver):
    name = unique("hook")
    wh = client.create_webhook(
        name=name,
        url=receiver.url,
        events=["registered_model.created", WebhookEvent("model_version", "created")],
        description="ci",
        secret="s3cret",
    )
    assert wh.name == name
    assert wh.url == receiver.url
    assert wh.description == "ci"
    assert wh.status == WebhookStatus.ACTIVE
    assert {str(e) for e in wh.events} == {"registered_model.created", "model_version.created"}
    assert wh.creation_timestamp > 0 and wh.last_updated_timestamp == wh.creation_timestamp

    got = client.get_webhook(wh.webhook_id)
    assert got.webhook_id == wh.webhook_id and got.name == name
    assert got.secret is None  # never sent back

    updated = client.update_webhook(wh.webhook_id, status="DISABLED", events=["model_version_tag.set"])
    assert updated.status == WebhookStatus.DISABLED
    assert [str(e) for e in updated.events] == ["model_version_tag.set"]
    assert updated.description == "ci"

    client.delete_webhook(wh.webhook_id)
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.get_webhook(wh.webhook_id)


def test_list_webhooks_pages(client, receiver):
    ids = {client.create_webhook(name=unique("page"), url=receiver.url, events=["prompt.created"]).webhook_id for _ in range(3)}
    seen, token = [], None
    while True:
        page = client.list_webhooks(max_results=2, page_token=token)
        assert len(page) <= 2
        seen += [w.webhook_id for w in page]
        token = page.token
        if not token:
            break
    assert ids <= set(seen)
    assert len(seen) == len(set(seen))
    for i in ids:
        client.delete_webhook(i)


def test_registry_events_are_delivered_signed(client, receiver):
    secret = "delivery-secret"
    wh = client.create_webhook(
        name=unique("deliver"),
        url=receiver.url,
        events=["registered_model.created", "model_version.created", "model_version_alias.created"],
        secret=secret,
    )
    model = unique("wh-model")
    client.create_registered_model(model, tags={"team": "ml"}, description="d")
    client.create_model_version(model, "s3://bucket/path/model", tags={"k": "v"})
    client.set_registered_model_alias(model, "champion", 1)

    [(headers, body)] = receiver.wait_for(lambda p: p["entity"] == "registered_model" and p["data"]["name"] == model)
    payload = json.loads(body)
    assert payload["action"] == "created"
    assert payload["data"] == {"name": model, "tags": {"team": "ml"}, "description": "d"}
    signed = f"{headers['X-MLflow-Delivery-Id']}.{headers['X-MLflow-Timestamp']}.{body}"
    mac = base64.b64encode(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()).decode()
    assert headers["X-MLflow-Signature"] == f"v1,{mac}"

    [(_, mv_body)] = receiver.wait_for(lambda p: p["entity"] == "model_version" and p["data"]["name"] == model)
    assert json.loads(mv_body)["data"] == {
        "name": model,
        "version": "1",
        "source": "s3://bucket/path/model",
        "run_id": None,
        "tags": {"k": "v"},
        "description": None,
    }
    [(_, alias_body)] = receiver.wait_for(lambda p: p["entity"] == "model_version_alias" and p["data"]["name"] == model)
    assert json.loads(alias_body)["data"] == {"name": model, "alias": "champion", "version": "1"}
    client.delete_webhook(wh.webhook_id)


def test_test_webhook_reports_the_endpoint_answer(client, receiver):
    wh = client.create_webhook(name=unique("test"), url=receiver.url, events=["model_version_tag.set"])
    result = client.test_webhook(wh.webhook_id)
    assert result.success is True
    assert result.response_status == 200
    assert result.response_body == "received"
    result = client.test_webhook(wh.webhook_id, event="prompt_alias.deleted")
    assert result.success is True
    [(_, body)] = receiver.wait_for(lambda p: p["entity"] == "prompt_alias")
    assert json.loads(body)["data"] == {"name": "example_prompt", "alias": "example_alias"}
    client.delete_webhook(wh.webhook_id)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "bad name!", "events": [{"entity": "REGISTERED_MODEL", "action": "CREATED"}]},
        {"name": "ok-name", "events": []},
        {"name": "ok-name", "events": [{"entity": "REGISTERED_MODEL", "action": "DELETED"}]},
        {"name": "ok-name", "url": "ftp://example.com/x", "events": [{"entity": "REGISTERED_MODEL", "action": "CREATED"}]},
    ],
)
def test_bad_webhooks_are_invalid_parameter_value(server_url, receiver, body):
    payload = {"url": receiver.url, **body}
    r = requests.post(f"{server_url}/api/2.0/mlflow/webhooks", json=payload, timeout=10)
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
