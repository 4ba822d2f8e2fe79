"""The canary's judgement, on a stand-in client (the real one runs in test_container.py
and under act in the image workflow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops.serve.canary import CanaryError, check
from mlops.serve.client import Answer


class FakeClient:
    def __init__(self, scores: np.ndarray, seconds: float = 0.001, status: int = 200) -> None:
        self.scores, self.seconds, self.status, self.sent = scores, seconds, status, 0

    def get(self, path: str) -> Answer:
        assert path == "/metadata"
        body = {"version": "v1.2.0", "inputs": {"properties": {"a": {}, "b": {}}}}
        return Answer(200, body, {}, 0.001)

    def predict(self, payload, request_id=None) -> Answer:
        rows = payload if isinstance(payload, list) else [payload]
        scores = (
            self.scores[self.sent : self.sent + len(rows)]
            if isinstance(payload, list)
            else [self.scores[0]]
        )
        if isinstance(payload, list):
            self.sent += len(rows)
        body = {"predictions": [{"score": float(s), "label": int(s >= 0.5)} for s in scores]}
        return Answer(
            self.status, body if self.status == 200 else {"detail": "no"}, {}, self.seconds
        )


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"a": range(2500), "b": ["x"] * 2500, "income": 0})


@pytest.fixture
def offline(frame) -> np.ndarray:
    return np.random.default_rng(0).random(len(frame))


def test_equal_answers_in_time_pass(params, frame, offline) -> None:
    result = check(FakeClient(offline.copy()), frame, offline, params, "v1.2.0")
    assert result.passed
    assert result.rows == 2500
    assert result.max_abs_diff == 0.0
    assert result.line().startswith("canary: PASS v1.2.0: 2500 holdout rows over HTTP")


def test_one_different_score_a_slow_service_or_another_version_fail(params, frame, offline):
    served = offline.copy()
    served[1234] = np.nextafter(served[1234], 2.0)  # one ulp: bit for bit means bit for bit
    result = check(FakeClient(served, seconds=1.0), frame, offline, params, "v9.9.9")
    assert not result.passed
    assert result.mismatched_rows == 1
    assert result.latency_ms_p99 == pytest.approx(1000.0)
    reasons = " ".join(result.reasons)
    assert "differ by up to" in reasons
    assert "p99 latency 1000.0 ms > 100.0 ms" in reasons
    assert "expected 'v9.9.9'" in reasons


def test_an_error_answer_stops_the_canary(params, frame, offline) -> None:
    with pytest.raises(CanaryError, match="answered 503"):
        check(FakeClient(offline, status=503), frame, offline, params, "")
