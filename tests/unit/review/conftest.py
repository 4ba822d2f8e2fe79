"""A small review repository (git + DVC, a synthetic champion) shared by the gate's and
the one-comparison review's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops.core.config import Data, Params
from mlops.train.model_io import save_model
from mlops.train.models import logistic_regression
from support.review import GATE, review_repo
from support.synthetic import SPEC, records


@pytest.fixture
def repo(params: Params, tmp_path: Path) -> tuple[Path, Params]:
    """The champion (main) and the workspace hold the same model; the workspace's runtime
    report says it became too slow, so exactly one rule fails: latency_ms_p95."""
    data = Data(id_column="row_id", time_column="month", target="label", positive_label="1",
                slices=["group"])  # fmt: skip
    p = params.model_copy(update={"data": data, "gate": GATE})
    frame = records(400)
    model = logistic_regression.build(SPEC, params.train.logistic_regression, 0)
    save_model(model.fit(frame[SPEC.columns], frame["label"]), tmp_path / "m.skops")
    review_repo(tmp_path / "repo", p, tmp_path / "m.skops", tmp_path / "m.skops",
                records(600, seed=5), latency_ms_p95=500.0)  # fmt: skip
    return tmp_path / "repo", p
