"""On a fresh clone (the pipeline ran once): `mlops simulate` + `mlops monitor` say
`retrain: false` for a real later month and `retrain: true`, with readable reasons, for
simulated drifts; the serving prediction log is judged too. Run in this process through
the CLI's main(), so coverage sees the wiring. (The monitor workflow's act runs do the
same on a fresh clone for the covariate and prior scenarios and a quiet month, and
tests/unit/monitor/test_stage.py judges every scenario and twelve real months.)"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from mlops.cli import main
from mlops.evaluate.predict import predict
from mlops.train.model_io import load_model
from support.repos import copy_repo

pytestmark = pytest.mark.e2e

EXPECTED = {"none": set(), "concept": {"decay"}, "quality": {"data_quality"}}


@pytest.fixture(scope="module")
def clone(pipeline_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One writable copy of the pipeline repository for this module's tests."""
    return copy_repo(pipeline_repo, tmp_path_factory.mktemp("monitor") / "repo")


def verdict(capsys) -> tuple[dict, str]:
    line = capsys.readouterr().out.strip()
    return json.loads(Path("reports/monitor.json").read_text()), line


def test_simulate_and_monitor_on_a_fresh_clone(clone, monkeypatch, capsys):
    monkeypatch.chdir(clone)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # main() sets it; restored after the test
    for scenario, kinds in EXPECTED.items():
        batch = f"batches/{scenario}.csv"
        args = ["simulate", "--month", "2025-08", "--scenario", scenario, "--out", batch]
        assert main(args) == 0
        assert capsys.readouterr().out.startswith(
            f"simulate: wrote 4092 rows of 2025-08 ({scenario})"
        )
        assert main(["monitor", "--current", batch]) == 0  # 0 whatever the verdict
        document, line = verdict(capsys)
        assert document["retrain"] is bool(kinds), (scenario, document["reasons"])
        assert kinds <= {r["kind"] for r in document["reasons"]}, (scenario, document["reasons"])
        assert line.startswith(f"monitor: {'RETRAIN' if kinds else 'NO DRIFT'}: 4092 new rows")
        report = Path("reports/monitor.md").read_text()
        for reason in document["reasons"]:
            assert reason["text"] in report  # readable reasons, in the report too
        assert document["reference"] | {"commit": None} == {
            "label": "HEAD", "commit": None, "chosen_by": "rev", "model": "DVC cache",
            "data": "same data.dvc hash as the head", "train_rows": 19531, "test_rows": 4879,
            "newest_month": "2025-06",
        }  # fmt: skip


def test_the_prediction_log_is_judged_without_labels(clone, monkeypatch, capsys):
    monkeypatch.chdir(clone)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    model = load_model(Path("models/model.skops"))
    args = ["simulate", "--month", "2025-09", "--scenario", "covariate", "--out", "b.csv"]
    assert main(args) == 0
    inputs = pd.read_csv("b.csv", dtype=str, keep_default_na=False, na_values=[""])
    inputs = inputs[list(model.feature_names_in_)].astype(object)
    scores = predict(model, pd.read_csv("b.csv"))
    log = Path("logs/predictions")
    log.mkdir(parents=True)
    with (log / "predictions.jsonl").open("w") as out:  # as the server writes it
        for row, score in zip(
            inputs.where(inputs.notna(), None).to_dict("records"), scores, strict=True
        ):
            line = {"time": "2025-09-03T10:00:00.000Z", "request_id": "r",
                    "model_version": "workspace", "score": float(score),
                    "label": int(score >= 0.5), "inputs": row}  # fmt: skip
            out.write(json.dumps(line) + "\n")
        out.write('{"time": "2025-09-03T10:00:01')  # a line the server is still writing
    capsys.readouterr()
    assert main(["monitor", "--current", str(log)]) == 0
    document, _ = verdict(capsys)
    assert document["current"]["kind"] == "prediction log"
    assert document["current"]["rows"] == len(inputs)
    assert document["performance"] is None
    assert document["labels"] is None
    assert document["retrain"] is True
    assert "age" in document["drifted_features"]
