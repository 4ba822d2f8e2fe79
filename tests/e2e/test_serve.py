"""The service as a real process on loopback (`mlops serve`), shared by these tests."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mlops.core.files import read_json
from mlops.data.prepare import read_split
from mlops.evaluate.metrics import quality, rounded
from mlops.evaluate.predict import predict
from mlops.serve.client import Client, records
from mlops.serve.predlog import read_log
from mlops.train.model_io import load_model
from support.serving import Server, start_server

pytestmark = pytest.mark.e2e


def scraped(client: Client, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(client.get("/metrics").body):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


def test_the_whole_test_split_over_http_gives_the_evaluated_probabilities(
    served: Server, pipeline_repo: Path
) -> None:
    """No training/serving skew: bit for bit. JSON carries each float's shortest repr,
    which parses back to the same double, so no tolerance is needed."""
    model = load_model(pipeline_repo / "models/model.skops")
    test = read_split(pipeline_repo / "build/test.csv")
    offline = predict(model, test)  # the evaluate stage's own scoring function
    client = served.client()
    meta = client.get("/metadata").body
    rows = records(test, list(meta["inputs"]["properties"]))
    served_scores: list[float] = []
    for start in range(0, len(rows), meta["max_batch_rows"]):
        answer = client.predict(rows[start : start + meta["max_batch_rows"]])
        assert answer.status == 200, answer.body
        served_scores += [p["score"] for p in answer.body["predictions"]]
    got = np.asarray(served_scores)
    assert len(got) == len(test) == 4879
    assert np.array_equal(got, offline), f"max diff {np.abs(got - offline).max()}"
    # ... and the evaluate stage's metrics, recomputed from the served scores, are its own
    y = test["income"].to_numpy()
    metrics = read_json(pipeline_repo / "reports/metrics.json")
    recomputed = rounded(quality(y, got, 0.5))
    assert {k: metrics[k] for k in recomputed} == recomputed
    assert scraped(client, "mlops_rows_scored_total") >= len(test)
    deadline = time.monotonic() + 30  # the server writes its log after answering
    while len(logged := read_log(served.predictions)) < len(test):
        assert time.monotonic() < deadline, f"{len(logged)} rows logged"
        time.sleep(0.2)
    assert {row["model_version"] for row in logged} == {"workspace"}


def test_a_record_scores_as_evaluated_and_metrics_count_it(served: Server, pipeline_repo):
    """The issue's "done when": one record, its request counted, a malformed one named."""
    model = load_model(pipeline_repo / "models/model.skops")
    test = read_split(pipeline_repo / "build/test.csv").head(1)
    client = served.client()
    before = scraped(client, "mlops_requests_total", route="/predict", status="200")
    names = list(client.get("/metadata").body["inputs"]["properties"])
    answer = client.predict(records(test, names)[0], request_id="done-when-1")
    assert answer.status == 200
    assert answer.body["predictions"][0]["score"] == float(predict(model, test)[0])
    assert answer.headers["x-request-id"] == "done-when-1"
    assert scraped(client, "mlops_requests_total", route="/predict", status="200") == before + 1
    bad = client.predict({**records(test, names)[0], "age": "forty"})
    assert bad.status == 422
    assert bad.body["detail"].startswith("field 'age': Input should be a valid integer")


def _record(client: Client) -> dict:
    from mlops.data.schema import COLUMNS
    from mlops.serve.schema import request_schema
    from mlops.serve.service import warm_up_record

    names = list(client.get("/metadata").body["inputs"]["properties"])
    return warm_up_record(request_schema(COLUMNS, names, 1, False))


def corpus(record: dict) -> list[tuple[str, str, bytes, dict[str, str]]]:
    """(case, path, body, headers): every one must get a 4xx with a message."""
    j = {"Content-Type": "application/json"}
    missing = {k: v for k, v in record.items() if k != "age"}
    return [
        ("wrong type: string age", "/predict", json.dumps({**record, "age": "40"}).encode(), j),
        ("wrong type: float age", "/predict", json.dumps({**record, "age": 40.5}).encode(), j),
        ("wrong type: bool", "/predict", json.dumps({**record, "age": True}).encode(), j),
        ("wrong type: list", "/predict", json.dumps({**record, "sex": ["Male"]}).encode(), j),
        ("wrong type: object", "/predict", json.dumps({**record, "race": {"a": 1}}).encode(), j),
        ("out of range", "/predict", json.dumps({**record, "age": 1000}).encode(), j),
        ("huge integer", "/predict", json.dumps({**record, "age": 10**40}).encode(), j),
        ("missing field", "/predict", json.dumps(missing).encode(), j),
        ("extra field", "/predict", json.dumps({**record, "salary": 1}).encode(), j),
        ("null where not nullable", "/predict", json.dumps({**record, "sex": None}).encode(), j),
        ("NaN", "/predict", json.dumps({**record, "age": float("nan")}).encode(), j),
        ("Infinity", "/predict", json.dumps({**record, "capital_gain": float("inf")}).encode(), j),
        ("-Infinity", "/predict", b'{"age": -Infinity}', j),
        ("empty batch", "/predict", b"[]", j),
        ("empty object", "/predict", b"{}", j),
        ("empty body", "/predict", b"", j),
        ("batch of non-objects", "/predict", b"[1, 2, 3]", j),
        ("one bad record in a batch", "/predict",
         json.dumps([record, {**record, "age": -1}]).encode(), j),
        ("oversized batch", "/predict", json.dumps([record] * 1001).encode(), j),
        ("oversized body", "/predict", b'{"pad": "' + b"x" * 1_100_000 + b'"}', j),
        ("not JSON", "/predict", b"age=40&sex=Male", j),
        ("truncated JSON", "/predict", json.dumps(record).encode()[:-5], j),
        ("invalid UTF-8", "/predict", b'{"sex": "\xff\xfe"}', j),
        ("deeply nested", "/predict", b"[" * 5000 + b"]" * 5000, j),
        ("wrong content type", "/predict", json.dumps(record).encode(),
         {"Content-Type": "text/csv"}),
        ("no content type", "/predict", json.dumps(record).encode(), {}),
        ("form content type", "/predict", b"a=1",
         {"Content-Type": "application/x-www-form-urlencoded"}),
        ("bad request id", "/predict", json.dumps({**record, "age": 1}).encode(),
         {**j, "X-Request-ID": "\x7f" * 300}),
    ]  # fmt: skip


def test_a_malformed_request_corpus_gets_4xx_never_5xx(served: Server) -> None:
    client = served.client()
    record = _record(client)
    assert client.predict(record).status == 200  # the base record itself is valid
    for case, path, body, headers in corpus(record):
        try:
            answer = client.request("POST", path, body, headers)
        except (ConnectionError, OSError) as exc:  # the server may close after a 413
            pytest.fail(f"{case}: connection failed ({exc})")
        assert 400 <= answer.status < 500, f"{case}: {answer.status} {answer.body}"
        detail = answer.body["detail"] if isinstance(answer.body, dict) else answer.body
        assert detail, case
        assert len(str(detail)) < 5000, case
    for method, path, status in [("GET", "/predict", 405), ("GET", "/nowhere", 404),
                                 ("DELETE", "/metrics", 405)]:  # fmt: skip
        assert client.request(method, path).status == status
    assert client.get("/health").status == 200
    assert client.predict(record).status == 200  # still answering
    assert scraped(client, "mlops_requests_total", status="500") == 0


def test_schemathesis_finds_no_server_error(served: Server, tmp_path: Path) -> None:
    """Generated requests from the OpenAPI schema (the request schema is the data schema):
    valid ones must be scored, invalid ones refused with a 4xx; never a 5xx."""
    # A batch over maxItems is refused with 413 (too large), as the issue asks, not 422.
    (tmp_path / "schemathesis.toml").write_text(
        "[checks.negative_data_rejection]\nexpected-statuses = [400, 413, 415, 422]\n"
    )
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"), "run", f"{served.url}/openapi.json",
            "--checks", "not_a_server_error,status_code_conformance,response_schema_conformance,"
            "negative_data_rejection,positive_data_acceptance,content_type_conformance",
            "--max-examples", "20", "--seed", "1", "--phases", "examples,coverage,fuzzing",
            "--request-timeout", "30", "--suppress-health-check", "all",
        ],
        capture_output=True, text=True, check=False, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-6000:]
    assert "No issues found" in out or "passed" in out, out[-3000:]
    client = served.client()
    assert client.get("/health").status == 200
    assert scraped(client, "mlops_requests_total", status="500") == 0


def _hold(port: int, body: bytes) -> socket.socket:
    """A /predict request whose body is only half sent: it is in flight until finished."""
    sock = socket.create_connection(("127.0.0.1", port))
    head = (
        f"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock.sendall(head + body[: len(body) // 2])
    return sock


def _finish(sock: socket.socket, body: bytes) -> int:
    sock.sendall(body[len(body) // 2 :])
    sock.settimeout(30)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    return int(data.split(b" ", 2)[1]) if data else 0


def _wait_in_flight(client: Client, n: int) -> None:
    deadline = time.monotonic() + 20
    while scraped(client, "mlops_predict_in_flight") != n:
        assert time.monotonic() < deadline, f"never {n} requests in flight"
        time.sleep(0.05)


def test_overload_gets_503_and_the_held_requests_still_finish(served: Server) -> None:
    client = served.client()
    body = json.dumps(_record(client)).encode()
    limit = 4  # serve.max_in_flight in params.yaml
    held = [_hold(served.port, body) for _ in range(limit)]
    try:
        _wait_in_flight(client, limit)
        busy = client.predict(json.loads(body))
        assert busy.status == 503
        assert busy.headers["retry-after"] == "1"
        assert client.get("/ready").status == 200  # probes still answer under overload
    finally:
        statuses = [_finish(sock, body) for sock in held]
    assert statuses == [200] * limit
    assert client.predict(json.loads(body)).status == 200


def test_sigterm_drains_requests_in_flight(pipeline_repo: Path, tmp_path: Path) -> None:
    server = start_server(pipeline_repo, tmp_path)
    try:
        client = server.client()
        assert client.wait_ready(60).status == 200
        body = json.dumps(_record(client)).encode()
        held = _hold(server.port, body)
        _wait_in_flight(client, 1)
        client.close()
        server.process.terminate()  # SIGTERM, as Kubernetes sends it
        deadline = time.monotonic() + 15  # a busy machine may take a moment to deliver it
        while True:  # no new connections while draining
            try:
                socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
            except ConnectionRefusedError:
                break
            assert time.monotonic() < deadline, "still accepting connections after SIGTERM"
            time.sleep(0.1)
        assert server.process.poll() is None  # still draining the held request
        assert _finish(held, body) == 200
        assert server.process.wait(30) == 0
    finally:
        server.stop()
    assert "Shutting down" in server.text()


def test_a_registered_version_is_served_from_the_dvc_cache(
    pipeline_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MODEL=prod / model@v1.0.0: the version's model obtained as the review obtains a
    champion (here: from the DVC cache by the md5 its dvc.lock records), never pickle;
    and its drift profile, made from its commit's data through git and DVC as the
    monitor's reference is, equal to the one its pipeline's splits give (what the image
    ships)."""
    from mlops.core.config import load_params
    from mlops.monitor.online import split_profile
    from mlops.registry import versions
    from mlops.review.store import md5_of
    from mlops.serve.model import load, load_profile
    from support.repos import GIT_IDENTITY

    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    # registration only through a passing gate for this very commit (issue 8)
    head = versions.resolve_commit("HEAD", pipeline_copy)
    gate = {"decision": "pass", "challenger": {"commit": head}, "champion": {}}
    version, _ = versions.register(pipeline_copy, gate=gate)
    versions.assign("staging", version, pipeline_copy)
    versions.assign("prod", version, pipeline_copy)
    params = load_params(pipeline_copy / "params.yaml")
    for spec in ("prod", f"model@{version}"):
        loaded = load(spec, params, pipeline_copy)
        assert loaded.info.version == version
        assert loaded.info.source == f"model@{version} from the DVC cache"
        assert loaded.info.model_md5 == md5_of(pipeline_copy / "models/model.skops")
        assert loaded.info.metrics == read_json(pipeline_copy / "reports/metrics.json")
        test = read_split(pipeline_copy / "build/test.csv").head(100)
        workspace = load_model(pipeline_copy / "models/model.skops")
        assert np.array_equal(predict(loaded.model, test), predict(workspace, test))
    profile = load_profile("prod", params, loaded, pipeline_copy)
    assert profile == split_profile(params, workspace, pipeline_copy)
