"""The service in-process (starlette's TestClient runs the lifespan: load + warm-up)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mlops.data.prepare import read_split
from mlops.evaluate.predict import predict
from mlops.monitor.online import Profile
from mlops.serve.client import records
from mlops.serve.model import Loaded, ModelError, load
from mlops.serve.predlog import read_log
from mlops.serve.service import warm_up_record


def service_of(client):
    return client.app.service


def sample(client, n: int, splits) -> list[dict]:
    names = service_of(client).schema.names
    return records(read_split(splits[1]).head(n), names)


def metric(client, name: str, **labels: str) -> float:
    text = client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def test_ready_health_and_metadata(client) -> None:
    assert client.get("/health").json() == {"status": "alive"}
    assert client.get("/ready").json() == {"ready": True, "model_version": "v9.9.9"}
    meta = client.get("/metadata").json()
    assert meta["version"] == "v9.9.9"
    assert meta["commit"] == "a" * 40
    assert meta["metrics"] == {"roc_auc": 0.9}
    assert meta["threshold"] == 0.5
    assert "age" in meta["inputs"]["properties"]


def test_one_record_and_a_batch_score_as_the_model_does(client, loaded, splits) -> None:
    rows = sample(client, 50, splits)
    expected = predict(loaded.model, read_split(splits[1]).head(50))
    one = client.post("/predict", json=rows[0], headers={"X-Request-ID": "abc-1"})
    assert one.status_code == 200
    assert one.headers["x-request-id"] == "abc-1"
    body = one.json()
    assert body["request_id"] == "abc-1"
    assert body["model_version"] == "v9.9.9"
    assert body["predictions"] == [{"score": float(expected[0]), "label": int(expected[0] >= 0.5)}]
    batch = client.post("/predict", json=rows).json()
    scores = np.array([p["score"] for p in batch["predictions"]])
    assert np.array_equal(scores, expected)
    assert [p["label"] for p in batch["predictions"]] == list((expected >= 0.5).astype(int))
    assert len(batch["request_id"]) == 32  # generated when the caller sends none


def test_metrics_and_the_prediction_log_count_what_was_scored(client, splits, serve_params):
    rows = sample(client, 20, splits)
    rows[0] = {**rows[0], "workclass": None, "native_country": "Atlantis"}
    assert client.post("/predict", json=rows).status_code == 200
    assert client.post("/predict", json={"age": 1}).status_code == 422
    labels = {"route": "/predict", "method": "POST"}
    assert metric(client, "mlops_requests_total", status="200", **labels) == 1
    assert metric(client, "mlops_requests_total", status="422", **labels) == 1
    assert metric(client, "mlops_rows_scored_total") == 20
    assert metric(client, "mlops_prediction_score_count") == 20
    assert metric(client, "mlops_feature_missing_total", feature="workclass") >= 1
    assert metric(client, "mlops_feature_unseen_category_total", feature="native_country") == 1
    assert metric(client, "mlops_feature_unseen_category_total", feature="race") == 0
    assert metric(client, "mlops_model_info", version="v9.9.9") == 1
    assert metric(client, "mlops_model_ready") == 1
    assert metric(client, "mlops_request_duration_seconds_count", route="/predict") == 2
    service_of(client).predlog.flush()
    logged = read_log(serve_params.paths.predictions)
    assert len(logged) == 20
    assert logged[0]["inputs"]["native_country"] == "Atlantis"
    assert logged[0]["inputs"]["workclass"] is None
    assert logged[0]["model_version"] == "v9.9.9"


@pytest.mark.parametrize(
    ("body", "headers", "status", "says"),
    [
        (b"{not json", {}, 400, "not valid JSON"),
        (b'{"age": NaN}', {}, 400, "not valid JSON"),
        (b'{"age": Infinity}', {}, 400, "not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, {}, 400, "depth limit exceeded"),
        (b"[]", {}, 422, "at least 1 item"),
        (b'"a string"', {}, 422, "got a string"),
        (b"null", {}, 422, "got null"),
        (b"{}", {"content-type": "text/plain"}, 415, "must be application/json"),
        (b"{}", {"content-type": ""}, 415, "must be application/json"),
    ],
)
def test_malformed_bodies_get_a_4xx_that_says_why(client, body, headers, status, says) -> None:
    answer = client.post(
        "/predict", content=body, headers={"content-type": "application/json", **headers}
    )
    assert answer.status_code == status, answer.text
    assert says in answer.json()["detail"]


def test_too_many_rows_or_bytes_is_413(make_client, loaded, splits) -> None:
    client = make_client(lambda: loaded, max_batch_rows=5, max_body_bytes=2048)
    rows = sample(client, 6, splits)
    too_many = client.post("/predict", json=rows)
    assert too_many.status_code == 413
    assert "serve.max_batch_rows" in too_many.json()["detail"]
    big = json.dumps([{**rows[0], "pad": "x" * 3000}]).encode()
    too_big = client.post("/predict", content=big, headers={"content-type": "application/json"})
    assert too_big.status_code == 413
    assert "serve.max_body_bytes" in too_big.json()["detail"]

    def chunks():  # no Content-Length: counted while reading
        yield big[:1000]
        yield big[1000:]

    chunked = client.post(
        "/predict", content=chunks(), headers={"content-type": "application/json"}
    )
    assert chunked.status_code == 413
    assert client.post("/predict", json=rows[:5]).status_code == 200


def test_overload_is_503_with_retry_after_and_health_still_answers(client, splits) -> None:
    service = service_of(client)
    service.in_flight = service.params.serve.max_in_flight  # as if that many were scoring
    try:
        busy = client.post("/predict", json=sample(client, 1, splits)[0])
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "1"
        assert "overloaded" in busy.json()["detail"]
        assert client.get("/health").status_code == 200
        assert client.get("/ready").status_code == 200
    finally:
        service.in_flight = 0
    assert client.post("/predict", json=sample(client, 1, splits)[0]).status_code == 200


def test_a_missing_model_leaves_ready_false_with_one_line(
    make_client, serve_params, tmp_path, caplog
):
    paths = serve_params.paths.model_copy(update={"model": str(tmp_path / "none.skops")})
    p = serve_params.model_copy(update={"paths": paths})
    with caplog.at_level(logging.ERROR, logger="mlops.serve"):
        client = make_client(lambda: load("workspace", p, tmp_path), params=p)
    ready = client.get("/ready")
    assert ready.status_code == 503
    reason = ready.json()["reason"]
    assert reason.startswith("model not ready: ")
    assert "model file not found" in reason
    assert "\n" not in reason
    assert [r.getMessage() for r in caplog.records] == [reason]
    assert client.get("/health").status_code == 200  # alive: Kubernetes must not route to it
    refused = client.post("/predict", json={"age": 40})
    assert refused.status_code == 503
    assert refused.json()["detail"] == reason
    assert client.get("/metadata").status_code == 503


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_model_leaves_ready_false(make_client, serve_params, fitted, tmp_path, damage):
    from mlops.train.model_io import save_model

    path = tmp_path / "model.skops"
    save_model(fitted[0], path)
    data = path.read_bytes()
    path.write_bytes(b"not a zip at all" if damage == "garbage" else data[: len(data) // 2])
    paths = serve_params.paths.model_copy(update={"model": str(path)})
    p = serve_params.model_copy(update={"paths": paths})
    client = make_client(lambda: load("workspace", p, tmp_path), params=p)
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["reason"].startswith(f"model not ready: {path}")


def test_a_model_that_cannot_score_is_not_ready(make_client, loaded) -> None:
    class Broken:
        feature_names_in_ = loaded.model.feature_names_in_

        def predict_proba(self, frame):
            raise ValueError("boom")

    client = make_client(lambda: Loaded(Broken(), loaded.info))
    reason = client.get("/ready").json()["reason"]
    assert reason == "model not ready: warm-up prediction failed (ValueError: boom)"


def test_unknown_model_spec_is_a_model_error(serve_params, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="use `workspace`, `prod`"):
        load("latest", serve_params, tmp_path)


def test_the_openapi_body_schema_is_the_request_schema(client) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == service_of(client).schema.json_schema()
    assert warm_up_record(service_of(client).schema)


def test_drift_gauges_are_the_batch_monitors_psi_of_the_last_rows_scored(
    make_client, loaded, profile, serve_params, splits
) -> None:
    """Rows of every request (single rows and batches, odd values too) enter the window
    after the answer; /metrics then shows the PSI the batch monitor computes on the last
    `monitor.online.window` rows sent, per input and of the scores."""
    from mlops.data.prepare import read_split
    from mlops.monitor.drift import ReferenceColumn, feature_drift, score_psi

    online = serve_params.monitor.online.model_copy(update={"window": 100})
    p = serve_params.model_copy(
        update={"monitor": serve_params.monitor.model_copy(update={"online": online})}
    )
    client = make_client(lambda: loaded, params=p, profile=lambda _: profile)
    rows = sample(client, 260, splits)
    rows[200] = {**rows[200], "workclass": None, "native_country": "Atlantis", "age": 90}
    assert metric(client, "mlops_drift_window_rows") == 0
    assert "mlops_feature_psi{" not in client.get("/metrics").text  # no rows: no figure
    scores = []
    for chunk in (rows[:1], rows[1:60], rows[60:61], rows[61:]):
        body = client.post("/predict", json=chunk if len(chunk) > 1 else chunk[0]).json()
        scores += [s["score"] for s in body["predictions"]]
    service_of(client).drift.flush()
    assert metric(client, "mlops_drift_window_rows") == 100
    last = pd.DataFrame(rows[-100:])
    train = read_split(splits[0])
    for name in profile.features:
        reference = ReferenceColumn.of(train[name], p.monitor.bins, p.monitor.min_category_share)
        expected = feature_drift(reference, last[name]).psi
        assert metric(client, "mlops_feature_psi", feature=name) == pytest.approx(expected), name
    held_out = predict(loaded.model, read_split(splits[1]))
    expected = score_psi(held_out, np.array(scores[-100:]), p.monitor.bins)
    assert metric(client, "mlops_prediction_psi") == pytest.approx(expected)
    assert metric(client, "mlops_feature_psi", feature="age") > 0  # the series exist


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("off", "drift gauges off: monitor.online.enabled is false"),
        (None, "drift gauges off: no drift profile was given for this model"),
        ("missing", "drift gauges off: build/profile.json: the bundle has no drift profile"),
        ("broken", "drift gauges off: no drift profile (KeyError: 'features')"),
        ("foreign", "drift gauges off: the profile has inputs the model does not take: ['x']"),
    ],
)
def test_without_a_profile_the_model_serves_without_drift_gauges_and_one_line_says_why(
    make_client, loaded, profile, serve_params, splits, caplog, source, line
) -> None:
    def broken(_: Loaded) -> Profile:
        if source == "missing":
            raise ModelError("build/profile.json: the bundle has no drift profile")
        if source == "broken":
            return Profile.from_dict({})
        return Profile({**profile.features, "x": profile.score_bins},
                       {**profile.counts, "x": profile.score_counts},
                       profile.score_bins, profile.score_counts)  # fmt: skip

    p = serve_params
    if source == "off":  # the switch wins over a profile that would work
        online = p.monitor.online.model_copy(update={"enabled": False})
        p = p.model_copy(update={"monitor": p.monitor.model_copy(update={"online": online})})
    with caplog.at_level(logging.INFO, logger="mlops.serve"):
        client = make_client(
            lambda: loaded,
            params=p,
            profile={None: None, "off": lambda _: profile}.get(source, broken),
        )
    assert [r.getMessage() for r in caplog.records if "drift" in r.getMessage()] == [line]
    assert client.get("/ready").status_code == 200
    assert client.post("/predict", json=sample(client, 5, splits)).status_code == 200
    text = client.get("/metrics").text
    assert "mlops_rows_scored_total 5.0" in text
    assert "mlops_drift_window_rows" not in text
    assert "mlops_feature_psi" not in text
    assert service_of(client).drift is None


@pytest.mark.parametrize("fails", [False, True])
def test_the_log_and_drift_get_the_rows_after_the_answer_is_sent(fails) -> None:
    """Handed over before the answer, their threads took the GIL while it waited; a send
    that fails (the client went away) still leaves the scored rows to the log."""
    import asyncio

    from mlops.serve.app import Answer
    from mlops.serve.predlog import Entry
    from mlops.serve.service import Scored

    events: list[str] = []

    class Recorder:
        def record(self, scored: Scored) -> None:
            events.append(f"record {scored.request_id}")

    async def send(message) -> None:
        events.append(message["type"])
        if fails and message["type"] == "http.response.body":
            raise OSError("the client went away")

    scored = Scored(b'{"predictions": []}', Entry("req-7", "v1", [], [], []), {}, np.zeros(0))
    answer = Answer(scored, Recorder())  # type: ignore[arg-type]
    call = answer({"type": "http", "method": "POST", "path": "/predict"}, None, send)
    if fails:
        with pytest.raises(OSError, match="went away"):
            asyncio.run(call)
    else:
        asyncio.run(call)
    assert events == ["http.response.start", "http.response.body", "record req-7"]
    assert (b"x-request-id", b"req-7") in answer.raw_headers
