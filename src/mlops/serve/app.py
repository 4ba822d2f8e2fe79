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
Scoring uses evaluate/predict.py, the function the evaluate stage uses, on a frame of the
values evaluation reads from the test split, so served and evaluated probabilities are
equal. The prediction log and the drift feed get the rows after the answer is sent.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlops.core.config import Params
from mlops.monitor.online import Profile
from mlops.serve.model import Loaded, ModelInfo
from mlops.serve.schema import RequestSchema
from mlops.serve.service import Refused, Scored, Service

log = logging.getLogger("mlops.serve")

ROUTES = ("/predict", "/health", "/ready", "/metadata", "/metrics")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


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


class Answer(Response):
    """A scored request's answer; once it is sent (or sending failed), its rows go to the
    prediction log and the drift feed (`Service.record`): the answer does not wait on
    them, and no scored row is left out of the log."""

    media_type = "application/json"

    def __init__(self, scored: Scored, service: Service) -> None:
        super().__init__(scored.body, headers={"X-Request-ID": scored.request_id})
        self.scored, self.service = scored, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.service.record(self.scored)


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
            scored = await run_in_threadpool(service.score, records, request_id)
        except Refused as refused:
            return refused.response(request_id)
        return Answer(scored, service)

    @app.get("/health", summary="Liveness: the process answers")
    async def health() -> dict[str, str]:
        return {"status": "alive"}

    # /ready and /metadata answer 503 until the model is ready, saying why
    not_ready: dict[int | str, dict[str, Any]] = {503: {"description": "not ready, and why"}}
    ready_summary = "Readiness: the model is loaded and answered a warm-up prediction"

    @app.get("/ready", summary=ready_summary, responses=not_ready)
    async def ready() -> Response:
        if not service.ready:
            return JSONResponse({"ready": False, "reason": service.reason}, status_code=503)
        assert service.loaded is not None
        return JSONResponse({"ready": True, "model_version": service.loaded.info.version})

    metadata_summary = "The model's version, commit, data hash, metrics and input schema"

    @app.get("/metadata", summary=metadata_summary, responses=not_ready)
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
