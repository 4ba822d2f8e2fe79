"""What the monitor reads: a batch, a folder of batches, the serving prediction log."""

from __future__ import annotations

import json

import pytest

from mlops.core.errors import DataError
from mlops.monitor.current import KIND_BATCH, KIND_LOG, read_current

HEADER = "row_id,month,age,workclass,income\n"


def log_line(score: float, inputs: dict | None = None, time: str = "2026-11-27T10:00:00.1Z") -> str:
    row = {"time": time, "request_id": "r", "model_version": "v1.0.0", "score": score,
           "label": int(score >= 0.5)}  # fmt: skip
    if inputs is not None:
        row["inputs"] = inputs
    return json.dumps(row) + "\n"


def test_a_batch_and_a_folder_of_batches(params, tmp_path):
    (tmp_path / "a.csv").write_text(HEADER + "1,2025-07,39,Private,>50K\n")
    (tmp_path / "b.csv").write_text(HEADER + "2,2025-08,,,<=50K\n")
    one = read_current(tmp_path / "a.csv", params.data)
    assert (one.kind, one.files, one.labelled, len(one.frame)) == (KIND_BATCH, 1, True, 1)
    both = read_current(tmp_path, params.data)
    assert (both.files, len(both.frame)) == (2, 2)
    assert both.frame["age"].isna().tolist() == [False, True]


def test_unlabelled_batches_and_mismatched_folders(params, tmp_path):
    (tmp_path / "a.csv").write_text(HEADER + "1,2025-07,39,Private,\n")
    assert read_current(tmp_path / "a.csv", params.data).labelled is False
    (tmp_path / "b.csv").write_text("row_id,month,age\n2,2025-08,40\n")
    with pytest.raises(DataError, match=r"b\.csv: its columns differ from those of a\.csv"):
        read_current(tmp_path, params.data)
    (tmp_path / "c.csv").write_text("row_id,age\n2,40\n")
    with pytest.raises(DataError, match="no 'month' column"):
        read_current(tmp_path / "c.csv", params.data)


def test_the_prediction_log_with_a_line_being_written(params, tmp_path):
    folder = tmp_path / "predictions"
    folder.mkdir()
    (folder / "predictions-20261126T000000.000000.jsonl").write_text(
        log_line(0.2, {"age": 39, "workclass": "Private"}, "2026-10-31T23:59:59Z")
    )
    current = folder / "predictions.jsonl"
    current.write_text(log_line(0.7, {"age": None, "workclass": "Private"}) + '{"time": "2026')
    found = read_current(folder, params.data)
    assert (found.kind, found.files, found.labelled) == (KIND_LOG, 2, False)
    assert found.scores.tolist() == [0.2, 0.7]
    assert found.frame["month"].tolist() == ["2026-10", "2026-11"]
    assert found.frame["age"].tolist() == ["39", None]


def test_a_log_without_inputs_and_broken_logs(params, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(log_line(0.4) + log_line(0.6))
    found = read_current(path, params.data)
    assert list(found.frame.columns) == ["month"]
    path.write_text(log_line(0.4) + "not json\n" + log_line(0.6))
    with pytest.raises(DataError, match=r"p.jsonl: line 2: not valid JSON"):
        read_current(path, params.data)
    path.write_text(log_line(1.5))
    with pytest.raises(DataError, match="line 1: 'score' is not a probability"):
        read_current(path, params.data)
    path.write_text(log_line(0.5, time="yesterday"))
    with pytest.raises(DataError, match="'time' is not an RFC 3339 date-time"):
        read_current(path, params.data)
    path.write_text('{"time": "2026')
    with pytest.raises(DataError, match="holds no scored rows yet"):
        read_current(path, params.data)
    with pytest.raises(DataError, match="not found"):
        read_current(tmp_path / "nowhere", params.data)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"holds no \*\.csv batch and no \*\.jsonl log"):
        read_current(tmp_path / "empty", params.data)
