"""The canary: before prod, the packaged service must give the evaluated answers, fast.

It starts the image (adapters/container.py), sends it the whole holdout set (the test
split) over HTTP in batches of `serve.max_batch_rows`, and compares every probability
with the one the bundled model computes in-process through evaluate/predict.py, the
evaluate stage's function: `serve.canary.max_abs_diff` (0: bit for bit; JSON carries
a float's shortest repr, which round-trips exactly). Then it times
`serve.canary.latency_requests` single-row requests; their p99 must stay under
`serve.canary.max_latency_ms_p99`. Any miss fails the step, so promotion stops before the
prod assignment.
"""

from __future__ import annotations

import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlops.core.config import Params
from mlops.core.errors import MlopsError
from mlops.serve.client import Client, records


class CanaryError(MlopsError):
    """The packaged service did not answer as the model does, or too slowly."""


@dataclass(frozen=True)
class CanaryResult:
    rows: int
    max_abs_diff: float
    mismatched_rows: int
    label_mismatches: int
    latency_ms_p50: float
    latency_ms_p99: float
    version: str
    passed: bool
    reasons: tuple[str, ...]

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        text = (
            f"canary: {verdict} {self.version}: {self.rows} holdout rows over HTTP, "
            f"max |served - offline| {self.max_abs_diff:.3g} ({self.mismatched_rows} rows differ); "
            f"single-row latency p50 {self.latency_ms_p50:.1f} ms, p99 {self.latency_ms_p99:.1f} ms"
        )
        return text + (f" -- {'; '.join(self.reasons)}" if self.reasons else "")


def check(
    client: Client, frame: pd.DataFrame, offline: np.ndarray, params: Params, expect_version: str
) -> CanaryResult:
    """Send `frame` through the running service and judge it against `offline`."""
    cfg, batch = params.serve.canary, params.serve.max_batch_rows
    meta = client.get("/metadata")
    if meta.status != 200:
        raise CanaryError(f"GET /metadata answered {meta.status}: {meta.body}")
    version = str(meta.body.get("version"))
    columns = list(meta.body["inputs"]["properties"])
    rows = records(frame, columns)
    served: list[float] = []
    labels: list[int] = []
    for start in range(0, len(rows), batch):
        answer = client.predict(rows[start : start + batch])
        if answer.status != 200:
            raise CanaryError(
                f"POST /predict (rows {start}..) answered {answer.status}: {answer.body}"
            )
        served += [p["score"] for p in answer.body["predictions"]]
        labels += [p["label"] for p in answer.body["predictions"]]
    got = np.asarray(served, dtype=np.float64)
    diff = np.abs(got - offline)
    expected_labels = (offline >= params.evaluate.threshold).astype(int)
    timings = []
    for i in range(min(cfg.latency_requests, len(rows))):
        answer = client.predict(rows[i])
        if answer.status != 200:
            raise CanaryError(f"POST /predict (one row) answered {answer.status}: {answer.body}")
        timings.append(answer.seconds * 1000)
    p50, p99 = (float(np.percentile(timings, q)) for q in (50, 99))
    reasons = []
    worst = float(diff.max()) if len(diff) else 0.0
    if worst > cfg.max_abs_diff:
        reasons.append(f"served probabilities differ by up to {worst:.3g} > {cfg.max_abs_diff}")
    label_misses = int((np.asarray(labels) != expected_labels).sum())
    if label_misses:
        reasons.append(f"{label_misses} labels differ")
    if p99 > cfg.max_latency_ms_p99:
        reasons.append(f"p99 latency {p99:.1f} ms > {cfg.max_latency_ms_p99} ms")
    if expect_version and version != expect_version:
        reasons.append(f"the service says version {version!r}, expected {expect_version!r}")
    return CanaryResult(
        rows=len(rows), max_abs_diff=worst, mismatched_rows=int((diff > 0).sum()),
        label_mismatches=label_misses, latency_ms_p50=p50, latency_ms_p99=p99,
        version=version, passed=not reasons, reasons=tuple(reasons),
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def offline_scores(params: Params, model_path: Path | str) -> tuple[pd.DataFrame, np.ndarray]:
    """The holdout rows and the probabilities the model gives them in-process."""
    from mlops.data.prepare import read_split
    from mlops.evaluate.predict import predict
    from mlops.train.model_io import load_model

    frame = read_split(params.paths.test)
    return frame, predict(load_model(model_path), frame)


def canary_from_env(params: Params, env: Any = None) -> str:
    """`mlops canary`: env IMAGE (required), CONTAINER_ENGINE (docker), VERSION (expected)."""
    from mlops.adapters import container
    from mlops.ci.inputs import environ, need
    from mlops.serve.model import MODEL_FILE

    env = environ(env)
    image = need(env, "IMAGE")
    engine = env.get("CONTAINER_ENGINE", "").strip() or "docker"
    frame, offline = offline_scores(params, Path(params.paths.bundle) / MODEL_FILE)
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="mlops-canary-")) / "service.log"
    running = container.start(engine, image, port, log)
    try:
        client = Client("127.0.0.1", port)
        ready = client.wait_ready(float(env.get("CANARY_START_SECONDS", "120")))
        if ready.status != 200:
            raise CanaryError(f"the service never became ready: {ready.body}")
        result = check(client, frame, offline, params, env.get("VERSION", "").strip())
        client.close()
    except (OSError, CanaryError) as exc:
        tail = container.stop(running)
        raise CanaryError(f"{exc}; service log: {' | '.join(tail.splitlines()[-3:])}") from None
    container.stop(running)
    if not result.passed:
        raise CanaryError(result.line())
    return result.line()
