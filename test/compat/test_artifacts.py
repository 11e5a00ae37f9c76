"""Artifacts through the server's artifact proxy (mlflow-artifacts:/ URIs)."""

import os
from pathlib import Path

import mlflow
import pytest
import requests
from compat_helpers import expect_mlflow_error

BINARY = bytes(range(256)) * 64 + b"\x00\xff tail"


def make_tree(root: Path) -> Path:
    """root/data: a.txt, empty.bin, blob.bin, sub/b.json, sub/deeper/c.csv, 'sp ace ünï.txt'."""
    d = root / "data"
    (d / "sub" / "deeper").mkdir(parents=True)
    (d / "a.txt").write_text("alpha\n")
    (d / "empty.bin").write_bytes(b"")
    (d / "blob.bin").write_bytes(BINARY)
    (d / "sub" / "b.json").write_text('{"b": 1}')
    (d / "sub" / "deeper" / "c.csv").write_text("x,y\n1,2\n")
    (d / "sp ace ünï.txt").write_text("odd name")
    return d


def listing(client, run_id, path=None):
    # An empty file may come back with file_size 0 or without it (protobuf omits zero values).
    return {(f.path, f.is_dir, None if f.is_dir else (f.file_size or 0)) for f in client.list_artifacts(run_id, path)}


def files_under(root: Path):
    return {str(p.relative_to(root)).replace(os.sep, "/"): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_log_and_list_artifacts(experiment_id, client, tmp_path):
    src = make_tree(tmp_path)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(src / "a.txt"))
        mlflow.log_artifact(str(src / "blob.bin"), artifact_path="bin/nested")
        mlflow.log_artifacts(str(src), artifact_path="tree")
        mlflow.log_text("some text", "notes/readme.md")
        mlflow.log_dict({"k": [1, 2]}, "notes/config.json")
    rid = run.info.run_id

    assert listing(client, rid) == {("a.txt", False, 6), ("bin", True, None), ("tree", True, None), ("notes", True, None)}
    assert listing(client, rid, "bin") == {("bin/nested", True, None)}
    assert listing(client, rid, "bin/nested") == {("bin/nested/blob.bin", False, len(BINARY))}
    assert listing(client, rid, "tree") == {
        ("tree/a.txt", False, 6),
        ("tree/empty.bin", False, 0),
        ("tree/blob.bin", False, len(BINARY)),
        ("tree/sp ace ünï.txt", False, len("odd name")),
        ("tree/sub", True, None),
    }
    assert listing(client, rid, "tree/sub/") == {("tree/sub/b.json", False, 8), ("tree/sub/deeper", True, None)}
    assert listing(client, rid, "tree/sub/deeper") == {("tree/sub/deeper/c.csv", False, 8)}
    # A missing directory, or a path that is a file, lists as empty.
    assert client.list_artifacts(rid, "no/such/dir") == []
    assert client.list_artifacts(rid, "a.txt") == []
    assert mlflow.artifacts.list_artifacts(run_id=rid, artifact_path="notes") is not None
    assert {f.path for f in mlflow.artifacts.list_artifacts(run_id=rid, artifact_path="notes")} == {
        "notes/readme.md",
        "notes/config.json",
    }


def test_download_file_and_directories(experiment_id, client, tmp_path):
    src = make_tree(tmp_path)
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(src), artifact_path="tree")
        mlflow.log_artifact(str(src / "blob.bin"))
    rid = run.info.run_id

    # A single file.
    out = Path(client.download_artifacts(rid, "blob.bin", str(tmp_path / "dl1")))
    assert out.is_file() and out.read_bytes() == BINARY
    out = Path(client.download_artifacts(rid, "tree/sub/deeper/c.csv", str(tmp_path / "dl2")))
    assert out.read_text() == "x,y\n1,2\n"
    out = Path(client.download_artifacts(rid, "tree/empty.bin", str(tmp_path / "dl2b")))
    assert out.read_bytes() == b""
    out = Path(client.download_artifacts(rid, "tree/sp ace ünï.txt", str(tmp_path / "dl2c")))
    assert out.read_text() == "odd name"

    # A nested directory, recursively.
    out = Path(client.download_artifacts(rid, "tree/sub", str(tmp_path / "dl3")))
    assert out.is_dir()
    assert files_under(out) == {"b.json": b'{"b": 1}', "deeper/c.csv": b"x,y\n1,2\n"}

    # The whole tree, through the fluent API and a runs:/ URI.
    out = Path(mlflow.artifacts.download_artifacts(f"runs:/{rid}/tree", dst_path=str(tmp_path / "dl4")))
    assert files_under(out) == files_under(src)

    # Everything in the run.
    out = Path(mlflow.artifacts.download_artifacts(run_id=rid, dst_path=str(tmp_path / "dl5")))
    got = files_under(out)
    assert got["blob.bin"] == BINARY and got["tree/sub/deeper/c.csv"] == b"x,y\n1,2\n"
    assert len(got) == 7

    assert mlflow.artifacts.load_text(f"runs:/{rid}/tree/a.txt") == "alpha\n"
    assert mlflow.artifacts.load_dict(f"runs:/{rid}/tree/sub/b.json") == {"b": 1}


def test_download_missing_artifact(experiment_id, client, tmp_path):
    with mlflow.start_run() as run:
        mlflow.log_text("x", "present.txt")
    with expect_mlflow_error("RESOURCE_DOES_NOT_EXIST"):
        client.download_artifacts(run.info.run_id, "absent.txt", str(tmp_path))


def test_overwrite_artifact(experiment_id, client, tmp_path):
    with mlflow.start_run() as run:
        mlflow.log_text("first", "f.txt")
        mlflow.log_text("second version", "f.txt")
    out = Path(client.download_artifacts(run.info.run_id, "f.txt", str(tmp_path)))
    assert out.read_text() == "second version"
    assert listing(client, run.info.run_id) == {("f.txt", False, len("second version"))}


def test_artifacts_are_per_run(experiment_id, client):
    with mlflow.start_run() as r1:
        mlflow.log_text("one", "x.txt")
    with mlflow.start_run() as r2:
        mlflow.log_text("two", "y.txt")
    assert [f.path for f in client.list_artifacts(r1.info.run_id)] == ["x.txt"]
    assert [f.path for f in client.list_artifacts(r2.info.run_id)] == ["y.txt"]
    assert mlflow.artifacts.load_text(f"runs:/{r2.info.run_id}/y.txt") == "two"


def test_artifact_proxy_raw(experiment_id, client, server_url):
    with mlflow.start_run() as run:
        mlflow.log_text("hello", "dir/f.txt")
    rid = run.info.run_id
    base = f"{server_url}/api/2.0/mlflow-artifacts/artifacts"
    root = f"{experiment_id}/{rid}/artifacts"

    r = requests.get(f"{base}/{root}/dir/f.txt", timeout=10)
    assert r.status_code == 200 and r.content == b"hello"
    assert "attachment" in r.headers.get("Content-Disposition", "")

    r = requests.get(base, params={"path": root}, timeout=10)
    assert r.status_code == 200
    assert r.json()["files"] == [{"path": "dir", "is_dir": True}]
    r = requests.get(base, params={"path": f"{root}/dir"}, timeout=10)
    assert [(f["path"], f["is_dir"], f.get("file_size")) for f in r.json()["files"]] == [("f.txt", False, 5)]
    r = requests.get(base, params={"path": f"{root}/dir/f.txt"}, timeout=10)  # a file: not a directory
    assert r.status_code == 200 and r.json().get("files", []) == []

    r = requests.put(f"{base}/{root}/raw/up.bin", data=b"\x00\x01raw", timeout=10)
    assert r.status_code == 200
    assert mlflow.artifacts.load_text(f"runs:/{rid}/raw/up.bin") == "\x00\x01raw"

    r = requests.get(f"{base}/{root}/dir/missing.txt", timeout=10)
    assert r.status_code == 404
    assert r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"

    # The tracking server's own listing endpoint (used by the UI).
    r = requests.get(f"{server_url}/api/2.0/mlflow/artifacts/list", params={"run_id": rid, "path": "dir"}, timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert body["root_uri"] == f"mlflow-artifacts:/{experiment_id}/{rid}/artifacts"
    assert body["files"] == [{"path": "dir/f.txt", "is_dir": False, "file_size": 5}]


@pytest.mark.parametrize(
    "path",
    [
        "%2E%2E/%2E%2E/etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "%252E%252E%252Fetc%252Fpasswd",
        "a/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    ],
)
def test_artifact_path_traversal_is_refused(server_url, path):
    r = requests.get(f"{server_url}/api/2.0/mlflow-artifacts/artifacts/{path}", timeout=10)
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize("path", ["../../etc", "/etc", "a/../../b"])
def test_artifact_list_traversal_is_refused(server_url, path):
    r = requests.get(f"{server_url}/api/2.0/mlflow-artifacts/artifacts", params={"path": path}, timeout=10)
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_run_artifact_list_traversal_is_refused(experiment_id, client, server_url):
    run = client.create_run(experiment_id)
    r = requests.get(
        f"{server_url}/api/2.0/mlflow/artifacts/list",
        params={"run_id": run.info.run_id, "path": "../../"},
        timeout=10,
    )
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
