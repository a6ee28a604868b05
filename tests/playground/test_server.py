"""The HTTP server: its address checks, bounded bodies, validation, CSV errors and exports."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main as cli_main
from glassnet.playground.server import MAX_UPLOAD


def test_session_train_and_step_return_state(client):
    session_id, state = client.session(dataset="xor", batch_size=10)
    assert state["step"] == 0 and len(state["boundary"]) == state["grid"]
    status, reply = client.post("/api/train", {"id": session_id, "batches": 25})
    assert status == 200 and reply["state"]["step"] == 25
    status, reply = client.post("/api/step", {"id": session_id})
    assert status == 200 and reply["state"]["step"] == 26


@pytest.mark.parametrize("headers", [
    pytest.param({"Host": "evil.example:80"}, id="foreign-host"),
    pytest.param({"Origin": "http://evil.example"}, id="foreign-origin"),
    pytest.param({"Origin": "http://127.0.0.1:1"}, id="other-port-origin"),
])
def test_foreign_host_or_origin_is_refused(client, headers):
    status, _, body = client.request("GET", "/", headers=headers)
    assert status == 403
    assert "refused" in json.loads(body)["error"]
    status, _, body = client.request("POST", "/api/session", b"{}", headers)
    assert status == 403


def test_own_host_and_origin_are_served(client):
    status, headers, body = client.request(
        "GET", "/static/api.js", headers={"Origin": f"http://localhost:{client.port}",
                                          "Host": f"localhost:{client.port}"})
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert body


@pytest.mark.parametrize("path", ["/static/../server.py", "/static/%2e%2e/server.py",
                                  "/static/sub/x.js", "/static/missing.js"])
def test_static_serves_only_package_files(client, path):
    status, _, _ = client.request("GET", path)
    assert status == 404


def test_oversized_upload_is_refused_without_reading_it(client):
    session_id, _ = client.session(dataset="xor")
    with socket.create_connection(("127.0.0.1", client.port), timeout=10) as connection:
        connection.sendall(
            f"POST /api/upload?id={session_id} HTTP/1.1\r\nHost: 127.0.0.1:{client.port}\r\n"
            f"Content-Length: {MAX_UPLOAD + 1}\r\nX-Target: y\r\n\r\n".encode() + b"a,b,y\n")
        # the server answers with only 6 of the declared bytes sent: it did not wait for them,
        # and closes the connection (headers and body may come in separate packets)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
        reply = b"".join(chunks).decode()
    assert reply.startswith("HTTP/1.1 413")
    assert "at most" in reply


def test_malformed_csv_gets_the_clis_one_line_error(client, tmp_path, capsys):
    text = b"a,b,y\n1,2,0\n3,4\n5,6,1\n"
    session_id, _ = client.session(dataset="xor")
    status, _, body = client.request("POST", f"/api/upload?id={session_id}", text,
                                     {"X-Target": "y", "X-Filename": "bad.csv"})
    assert status == 400
    error = json.loads(body)["error"]
    path = tmp_path / "bad.csv"
    path.write_bytes(text)
    capsys.readouterr()
    assert cli_main(["train", str(path), "--target", "y", "--out",
                     str(tmp_path / "m.safetensors")]) == 2
    cli_line = capsys.readouterr().err.strip()
    assert "\n" not in error
    assert cli_line == f"glassnet train: error: {error.replace('bad.csv', str(path))}"


def test_uploaded_csv_becomes_dataset_csv(client):
    rows = np.random.default_rng(0).normal(size=(40, 3))
    text = "a,b,c,y\n" + "".join(f"{a:.3f},{b:.3f},{c:.3f},{int(a + b > 0)}\n"
                                  for a, b, c in rows)
    session_id, _ = client.session(dataset="xor")
    status, _, body = client.request("POST", f"/api/upload?id={session_id}", text.encode(),
                                     {"X-Target": "y"})
    summary = json.loads(body)
    assert status == 200 and summary["numeric"] == ["a", "b", "c"] and summary["rows"] == 40
    status, reply = client.post("/api/reset", {"id": session_id, "config": {
        "dataset": "csv", "features": ["b", "c"], "hidden": [3]}})
    assert status == 200, reply
    assert reply["state"]["layers"] == [3, 3, 1]
    assert reply["state"]["feature_names"] == ["b", "c"]


@pytest.mark.parametrize("config", [
    pytest.param({"dataset": "mnist"}, id="unknown-dataset"),
    pytest.param({"hidden": [9]}, id="too-many-units"),
    pytest.param({"learning_rate": 0}, id="zero-learning-rate"),
    pytest.param({"optimizer": "__import__('os')"}, id="code-as-optimizer"),
    pytest.param({"batch_size": True}, id="boolean-batch"),
    pytest.param({"loss": "mse"}, id="unknown-key"),
])
def test_unknown_config_values_are_refused(client, config):
    status, reply = client.post("/api/session", {"config": config})
    assert status == 400
    assert "config" in reply["error"]


@pytest.mark.parametrize("batches", [0, 1001, "10", 2.5])
def test_train_checks_its_batch_count(client, batches):
    session_id, _ = client.session(dataset="xor")
    status, reply = client.post("/api/train", {"id": session_id, "batches": batches})
    assert status == 400 and "batches" in reply["error"]


def test_unknown_session_and_bad_json(client):
    status, reply = client.post("/api/step", {"id": "nope"})
    assert status == 404
    status, _, body = client.request("POST", "/api/step", b"{not json")
    assert status == 400 and "JSON" in json.loads(body)["error"]


def test_safetensors_export_loads_with_the_same_predictions(client, server, tmp_path):
    session_id, _ = client.session(dataset="blobs", classes=3, hidden=[4])
    client.post("/api/train", {"id": session_id, "batches": 20})
    status, headers, body = client.request("GET", f"/api/export?id={session_id}"
                                                  "&format=safetensors")
    assert status == 200 and "attachment" in headers["Content-Disposition"]
    path = tmp_path / "model.safetensors"
    path.write_bytes(body)
    session = server.sessions.get(session_id)
    X = session.dataset.inputs.astype(np.float32)
    np.testing.assert_array_equal(gn.predict(gn.load(path), X), gn.predict(session.model, X))


def test_onnx_export_names_the_extra_when_onnx_is_missing(client, monkeypatch):
    import glassnet.onnx

    def missing(feature: str = "") -> None:
        raise ImportError(f"{feature} needs the onnx package, which is not installed. Install "
                          f"glassnet's ONNX extra: {glassnet.onnx.INSTALL_HINT}")

    monkeypatch.setattr(glassnet.onnx, "require_onnx", missing)
    session_id, _ = client.session(dataset="xor")
    status, _, body = client.request("GET", f"/api/export?id={session_id}&format=onnx")
    assert status == 501
    assert "glassnet[onnx]" in json.loads(body)["error"]


def test_onnx_export_computes_the_same_predictions(client, server):
    onnxruntime = pytest.importorskip("onnxruntime")
    session_id, _ = client.session(dataset="circles")
    status, _, body = client.request("GET", f"/api/export?id={session_id}&format=onnx")
    assert status == 200
    runner = onnxruntime.InferenceSession(body, providers=["CPUExecutionProvider"])
    session = server.sessions.get(session_id)
    X = session.dataset.inputs.astype(np.float32)
    (output,) = runner.run(None, {"input": X})
    np.testing.assert_allclose(output, gn.predict(session.model, X), rtol=1e-5, atol=1e-6)


def test_code_builds_the_same_initial_network(client, server):
    session_id, _ = client.session(dataset="people", hidden=[2], activation="sigmoid")
    status, _, body = client.request("GET", f"/api/code?id={session_id}")
    code = json.loads(body)["code"]
    before_training = code.split("X = np.asarray")[0]
    namespace: dict = {}
    exec(compile(before_training, "<playground code>", "exec"), namespace)  # noqa: S102
    session = server.sessions.get(session_id)
    for built, live in zip(namespace["model"].parameters(), session.model.parameters(),
                           strict=True):
        np.testing.assert_array_equal(built.data, live.data)
