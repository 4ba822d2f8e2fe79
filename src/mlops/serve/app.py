"""The HTTP service: routes, limits and what each answer means.

POST /predict   one record (a JSON object) or a batch (a JSON array of records); per record
                the probability of the positive label and the label at
                `evaluate.threshold`; the model version and a request id
GET  /health    the process is alive (liveness)
GET  /ready     the model is loaded and answered a warm-up prediction (readiness)
GET  /metadata  version, commit, data hash, metrics of that version, the input schema
GET  /metrics   Prometheus' text format (serve/metrics.py; online drift: serve/drift.py)

Limits from `serve:` in params.yaml: body bytes and batch rows (413), requests scored at
once (`max_in_flight`; beyond it 503 with Retry-After, never a queue that grows until the
process dies). Every refusal is a 4xx whose `detail` names the record, field and rule.
Scoring uses evaluate/predict.py, the function the evaluate stage uses, on a frame typed
as evaluation reads the test split, so served and evaluated probabilities are equal.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlops.core.config import Params
from mlops.core.errors import MlopsError
from mlops.evaluate.predict import input_columns, predict
from mlops.monitor.online import Profile, RollingDrift
from mlops.serve.drift import DriftFeed, DriftGauges
from mlops.serve.metrics import ServeMetrics
from mlops.serve.model import Loaded, ModelInfo
from mlops.serve.predlog import PredictionLog
from mlops.serve.schema import KIND_CATEGORY, Problem, RequestSchema, problems, request_schema

log = logging.getLogger("mlops.serve")

ROUTES = ("/predict", "/health", "/ready", "/metadata", "/metrics")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class Refused(MlopsError):
    """A request the service answers with a 4xx/503 and a reason (a client's mistake, or
    an overload: never a traceback, never a 5xx)."""

    def __init__(self, status: int, detail: str, errors: list[Problem] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, errors or []

    def response(self, request_id: str | None = None) -> JSONResponse:
        body: dict[str, Any] = {"detail": self.detail}
        if self.errors:
            body["errors"] = [
                {"record": p.record, "field": p.field, "rule": p.rule, "message": p.message}
                for p in self.errors
            ]
        headers = {"Retry-After": "1"} if self.status == 503 else {}
        if request_id:
            body["request_id"] = request_id
            headers["X-Request-ID"] = request_id
        return JSONResponse(body, status_code=self.status, headers=headers)


@dataclass
class Service:
    """The state behind the routes: the model once it is ready, or why it is not."""

    params: Params
    load: Callable[[], Loaded]
    profile: Callable[[Loaded], Profile] | None = None  # the model's drift profile
    metrics: ServeMetrics = field(default_factory=ServeMetrics)
    loaded: Loaded | None = None
    schema: RequestSchema | None = None
    reason: str = "starting: the model is not loaded yet"
    predlog: PredictionLog | None = None
    drift: DriftFeed | None = None
    in_flight: int = 0

    @property
    def ready(self) -> bool:
        return self.loaded is not None and self.schema is not None

    def start(self) -> None:
        """Load, build the request schema, answer a warm-up record; else stay not ready."""
        from mlops.core.errors import MlopsError
        from mlops.data.schema import COLUMNS

        serve = self.params.serve
        try:
            loaded = self.load()
            schema = request_schema(
                COLUMNS, input_columns(loaded.model), serve.max_batch_rows,
                reject_unseen=serve.unseen_categories == "reject",
            )  # fmt: skip
            warm = [warm_up_record(schema)]
            schema.batch.validate_python(warm)
            score = predict(loaded.model, schema.frame(warm))
            if not (score.shape == (1,) and 0.0 <= float(score[0]) <= 1.0):
                raise MlopsError(f"warm-up prediction returned {score!r}, not one probability")
        except MlopsError as exc:
            self.reason = f"model not ready: {exc}"
            log.error("%s", self.reason)
            return
        except Exception as exc:  # a model that loads but cannot score: same one line
            self.reason = (
                f"model not ready: warm-up prediction failed ({type(exc).__name__}: {exc})"
            )
            log.error("%s", self.reason)
            return
        self.loaded, self.schema = loaded, schema
        self.predlog = PredictionLog(
            self.params.paths.predictions, serve.log_max_bytes, serve.log_backups,
            serve.log_inputs, on_error=self._log_failed,
        )  # fmt: skip
        info = loaded.info
        self.metrics.features(schema.names)
        self.metrics.model_info.labels(
            version=info.version, commit=info.commit or "", data_hash=info.data_hash or "",
            model_md5=info.model_md5,
        ).set(1)  # fmt: skip
        self.metrics.ready.set(1)
        self.reason = ""
        log.info(
            "model ready: %s (%s), %d input columns", info.version, info.source, len(schema.names)
        )
        self._start_drift(loaded, schema)

    def _start_drift(self, loaded: Loaded, schema: RequestSchema) -> None:
        """The online drift window and its gauges, when the model has a profile; without
        one the model serves all the same, and one line says why the gauges are absent."""
        if not self.params.monitor.online.enabled:
            log.info("drift gauges off: monitor.online.enabled is false")
            return
        if self.profile is None:
            log.warning("drift gauges off: no drift profile was given for this model")
            return
        try:
            profile = self.profile(loaded)
            unknown = sorted(set(profile.features) - set(schema.names))
            if unknown:
                raise MlopsError(f"the profile has inputs the model does not take: {unknown}")
        except MlopsError as exc:
            log.warning("drift gauges off: %s", exc)
            return
        except Exception as exc:  # a profile that cannot be built: the same one line
            log.warning("drift gauges off: no drift profile (%s: %s)", type(exc).__name__, exc)
            return
        window = RollingDrift(profile, self.params.monitor.online.window)
        self.drift = DriftFeed(window)
        self.metrics.registry.register(DriftGauges(window))
        log.info(
            "drift gauges on: PSI of %d inputs and of the scores over the last %d scored rows",
            len(profile.features), window.window,
        )  # fmt: skip

    def _log_failed(self, reason: str) -> None:
        self.metrics.log_errors.inc()
        log.error("prediction log: %s", reason)

    def stop(self) -> None:
        """Write what the prediction log still holds (at shutdown, after the drain)."""
        if self.predlog is not None:
            self.predlog.close()
        if self.drift is not None:
            self.drift.close()

    # --- scoring ----------------------------------------------------------------------

    def parse(self, body: bytes) -> tuple[list[dict[str, Any]], bool]:
        """The validated records, and whether the body was a batch (an array)."""
        assert self.schema is not None
        try:
            # strict JSON: NaN and Infinity are not numbers, nesting is limited (a
            # [[[[...]]]] body crashed the json module's parser: the malformed corpus)
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise Refused(400, f"the body is not valid JSON ({exc})") from None
        if isinstance(data, list):
            if len(data) > self.schema.max_rows:
                raise Refused(
                    413,
                    f"{len(data)} records in one request; at most {self.schema.max_rows} "
                    "(serve.max_batch_rows)",
                )
            adapter, batch = self.schema.batch, True
        elif isinstance(data, dict):
            adapter, batch = self.schema.single, False
        else:
            raise Refused(
                422,
                f"expected a record (JSON object) or an array of records, got {_json_type(data)}",
            )
        try:
            records = adapter.validate_python(data)
        except ValidationError as exc:
            found = problems(exc, batch)
            more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
            raise Refused(422, found[0].line() + more, found[:20]) from None
        return (records if batch else [records]), batch

    def score(self, records: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
        assert self.loaded is not None
        assert self.schema is not None
        assert self.predlog is not None
        columns, stats = self.schema.scored_columns(records)
        frame = pd.DataFrame(columns, columns=self.schema.names)
        proba = predict(self.loaded.model, frame)
        labels = (proba >= self.params.evaluate.threshold).astype(int)
        self.metrics.scored(proba, labels, stats)
        scores, flags = proba.tolist(), labels.tolist()
        version = self.loaded.info.version
        # written by the log's own thread, after the answer: the caller does not wait on it
        self.predlog.submit(request_id, version, scores, flags, records)
        if self.drift is not None:  # counted by the feed's thread, also after the answer
            self.drift.submit(columns, proba)
        return {
            "request_id": request_id,
            "model_version": version,
            "predictions": [{"score": s, "label": f} for s, f in zip(scores, flags, strict=True)],
        }


def warm_up_record(schema: RequestSchema) -> dict[str, Any]:
    """A record every schema accepts: the lowest number in range, the first category."""
    record: dict[str, Any] = {}
    for c in schema.columns:
        if c.kind == KIND_CATEGORY:
            record[c.name] = c.categories[0] if c.categories else "unknown"
        else:
            low = c.minimum if c.minimum is not None else 0
            record[c.name] = int(low) if c.kind == "integer" else float(low)
    return record


def _json_type(value: object) -> str:
    return {str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


class Guard:
    """ASGI middleware: request metrics for every route, and /predict's body and
    concurrency limits, before anything reads the body."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        route = path if path in ROUTES else "other"
        method = scope["method"]
        start = time.perf_counter()
        status = 500
        metrics = self.service.metrics

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        scoring = route == "/predict" and method == "POST"
        refused: Refused | None = None
        if scoring:
            serve = self.service.params.serve
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > serve.max_body_bytes):
                refused = Refused(
                    413,
                    f"the body is larger than {serve.max_body_bytes} bytes (serve.max_body_bytes)",
                )
            elif self.service.in_flight >= serve.max_in_flight:
                refused = Refused(
                    503, f"overloaded: {serve.max_in_flight} requests are being scored "
                    "(serve.max_in_flight); retry later",
                )  # fmt: skip
        try:
            if refused is not None:
                await refused.response()(scope, receive, sending)
            elif scoring:
                self.service.in_flight += 1
                metrics.in_flight.inc()
                try:
                    await self.app(scope, receive, sending)
                finally:
                    self.service.in_flight -= 1
                    metrics.in_flight.dec()
            else:
                await self.app(scope, receive, sending)
        finally:
            metrics.requests.labels(route=route, method=method, status=str(status)).inc()
            metrics.latency.labels(route=route).observe(time.perf_counter() - start)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing it as soon as it passes `limit` bytes (chunked uploads too)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"the body is larger than {limit} bytes (serve.max_body_bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


def request_id_of(request: Request) -> str:
    given = request.headers.get("x-request-id", "")
    return given if REQUEST_ID.match(given) else uuid.uuid4().hex


def create_app(
    params: Params,
    load: Callable[[], Loaded],
    profile: Callable[[Loaded], Profile] | None = None,
) -> Guard:
    """The service for one model; `load` returns it (serve/model.py's `load`, bound), and
    `profile` its drift profile (serve/model.py's `load_profile`, bound)."""
    service = Service(params, load, profile)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(service.start)
        yield
        await run_in_threadpool(service.stop)

    app = FastAPI(
        title="mlops model service",
        summary="Scores records with one registered version of the model",
        version="1",
        lifespan=lifespan,
    )
    app.state.service = service

    responses: dict[int | str, dict[str, Any]] = {
        code: {"description": text, "content": {"application/json": {"schema": _PROBLEM}}}
        for code, text in [
            (400, "the body is not JSON"),
            (413, "too many records or too many bytes"),
            (415, "not application/json"),
            (422, "a record breaks the input schema: which record, field and rule"),
            (503, "the model is not ready, or the service is overloaded"),
        ]
    }

    @app.post(
        "/predict",
        responses={200: {"content": {"application/json": {"schema": _PREDICTIONS}}}, **responses},
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {}}}},
        summary="Score one record or a batch of records",
    )
    async def predict_route(request: Request) -> Response:
        request_id = request_id_of(request)
        try:
            if not service.ready:
                raise Refused(503, service.reason)
            content_type = request.headers.get("content-type", "")
            if content_type.split(";")[0].strip().lower() != "application/json":
                raise Refused(415, f"Content-Type must be application/json, got {content_type!r}")
            body = await read_body(request, params.serve.max_body_bytes)
            records, _ = service.parse(body)
            result = await run_in_threadpool(service.score, records, request_id)
        except Refused as refused:
            return refused.response(request_id)
        return Response(
            orjson.dumps(result), media_type="application/json",
            headers={"X-Request-ID": request_id},
        )  # fmt: skip

    @app.get("/health", summary="Liveness: the process answers")
    async def health() -> dict[str, str]:
        return {"status": "alive"}

    @app.get(
        "/ready",
        summary="Readiness: the model is loaded and answered a warm-up prediction",
        responses={503: {"description": "not ready, and why"}},
    )
    async def ready() -> Response:
        if not service.ready:
            return JSONResponse({"ready": False, "reason": service.reason}, status_code=503)
        assert service.loaded is not None
        return JSONResponse({"ready": True, "model_version": service.loaded.info.version})

    @app.get(
        "/metadata",
        summary="The model's version, commit, data hash, metrics and input schema",
        responses={503: {"description": "the model is not ready"}},
    )
    async def metadata() -> Response:
        if not service.ready:
            return JSONResponse({"detail": service.reason}, status_code=503)
        assert service.loaded is not None
        assert service.schema is not None
        return JSONResponse(metadata_of(service.loaded.info, service.schema, params))

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def prometheus() -> Response:
        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # The request body's schema is the data schema's, known once the model is loaded (its
    # input columns); /openapi.json is built on first request, after start-up.
    def openapi() -> dict[str, Any]:
        if app.openapi_schema and service.ready:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        if service.schema is not None:
            body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]
            body["application/json"]["schema"] = service.schema.json_schema()
            app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return Guard(app, service)


def metadata_of(info: ModelInfo, schema: RequestSchema, params: Params) -> dict[str, Any]:
    return {
        **info.as_dict(),
        "threshold": params.evaluate.threshold,
        "positive_label": params.data.positive_label,
        "max_batch_rows": params.serve.max_batch_rows,
        "inputs": schema.single.json_schema(),
    }


_PROBLEM = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
_PREDICTIONS = {
    "type": "object",
    "required": ["request_id", "model_version", "predictions"],
    "properties": {
        "request_id": {"type": "string"},
        "model_version": {"type": "string"},
        "predictions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["score", "label"],
                "properties": {
                    "score": {"type": "number", "minimum": 0, "maximum": 1},
                    "label": {"type": "integer", "enum": [0, 1]},
                },
            },
        },
    },
}
