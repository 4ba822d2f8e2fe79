"""The service behind the routes: load the model and build the request schema (else say
why it is not ready), parse a request body into records, score them with the function
evaluation uses, log them and feed online drift. serve/app.py maps HTTP onto this.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from mlops.core.config import Params
from mlops.core.errors import MlopsError
from mlops.evaluate.predict import input_columns, predict
from mlops.monitor.online import Profile, RollingDrift
from mlops.serve.drift import DriftFeed, DriftGauges
from mlops.serve.metrics import ServeMetrics
from mlops.serve.model import Loaded
from mlops.serve.predlog import Entry, PredictionLog
from mlops.serve.schema import KIND_CATEGORY, Problem, RequestSchema, problems, request_schema

log = logging.getLogger("mlops.serve")


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
        from mlops.data.schema import COLUMNS

        serve = self.params.serve
        try:
            loaded = self.load()
            schema = request_schema(
                COLUMNS, input_columns(loaded.model), serve.max_batch_rows,
                reject_unseen=serve.unseen_categories == "reject",
            )  # fmt: skip
            warm = [warm_up_record(schema)]
            schema.validate(warm, batch=True)
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
            batch = True
        elif isinstance(data, dict):
            batch = False
        else:
            raise Refused(
                422,
                f"expected a record (JSON object) or an array of records, got {_json_type(data)}",
            )
        try:
            records = self.schema.validate(data, batch)
        except ValidationError as exc:
            found = problems(exc, batch)
            more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
            raise Refused(422, found[0].line() + more, found[:20]) from None
        return (records if batch else [records]), batch

    def score(self, records: list[dict[str, Any]], request_id: str) -> Scored:
        """Score validated records: the answer's body (JSON), and what `record` hands to
        the prediction log and the drift feed once the answer is sent."""
        assert self.loaded is not None
        assert self.schema is not None
        columns, stats = self.schema.scored_columns(records)
        proba = predict(self.loaded.model, self.schema.frame_of(columns))
        labels = (proba >= self.params.evaluate.threshold).astype(int)
        self.metrics.scored(proba, labels, stats)
        scores, flags = proba.tolist(), labels.tolist()
        version = self.loaded.info.version
        body = orjson.dumps({
            "request_id": request_id,
            "model_version": version,
            "predictions": [{"score": s, "label": f} for s, f in zip(scores, flags, strict=True)],
        })  # fmt: skip
        return Scored(body, Entry(request_id, version, scores, flags, records), columns, proba)

    def record(self, scored: Scored) -> None:
        """Hand a scored request to the prediction log and the drift feed: queue puts
        (microseconds); their threads write and count. Called after the answer is sent:
        handed over before it, their threads took the GIL while the answer waited on
        it (a switch interval, 5 ms, at 1,000 rows, measured here)."""
        assert self.predlog is not None
        self.predlog.submit(scored.entry)
        if self.drift is not None:
            self.drift.submit(scored.columns, scored.proba)


@dataclass(frozen=True)
class Scored:
    """One scored request: the answer's body, and the rows behind it."""

    body: bytes
    entry: Entry  # the rows as the prediction log writes them
    columns: dict[str, np.ndarray]  # as the model scored them (the drift feed bins them)
    proba: np.ndarray

    @property
    def request_id(self) -> str:
        return self.entry.request_id


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
