"""What `make run` prints last: the headline figures from the files the stages wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops.cli.summary import summary
from mlops.core.errors import DataError
from mlops.core.files import write_json


@pytest.fixture
def reports(params, tmp_path: Path):
    paths = params.paths.model_copy(
        update={k: str(tmp_path / v) for k, v in params.paths.model_dump().items()}
    )
    p = params.model_copy(update={"paths": paths})
    metrics = {"rows": 9699, "positive_rate": 0.2393, "roc_auc": 0.93, "pr_auc": 0.83,
               "accuracy": 0.87, "f1": 0.71, "log_loss": 0.28, "brier": 0.09}  # fmt: skip
    write_json(paths.metrics, metrics)
    write_json(paths.runtime, {"latency_ms_p50": 1.2, "model_bytes": 10 * 1024})
    write_json(paths.training, {"model": "hist_gradient_boosting", "rows": 39143,
                                "features": 12, "fit_seconds": 2.5})  # fmt: skip
    return p


def test_the_headline_figures(reports):
    lines = summary(reports).splitlines()
    assert lines[0] == "model      hist_gradient_boosting on 39143 train rows, 12 features"
    assert lines[1] == "test       9699 rows, positive rate 0.239"
    assert lines[2] == (
        "quality    roc_auc 0.9300  pr_auc 0.8300  accuracy 0.8700  f1 0.7100  "
        "log_loss 0.2800  brier 0.0900"
    )
    assert lines[3] == "runtime    fit 2.5 s, latency p50 1.2 ms/row, model 10 KiB"
    assert lines[4].startswith(f"results    {reports.paths.metrics}, {reports.paths.slices}")
    assert "dvc metrics diff" in lines[5]


def test_a_missing_report_says_to_run_its_stage(reports):
    Path(reports.paths.runtime).unlink()
    with pytest.raises(DataError, match=r"runtime\.json: file not found \(run the stage"):
        summary(reports)
