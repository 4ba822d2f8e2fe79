"""Validate: schema and quality rules, with one-line errors naming column, rule and rows."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mlops.core.errors import DataError
from mlops.data.validate import read_snapshot, validate


@pytest.fixture(scope="module")
def frame(snapshot_path) -> pd.DataFrame:
    return pd.read_csv(snapshot_path, dtype=str, keep_default_na=False, na_values=[""])


def test_default_snapshot_passes_and_summary_is_written(params, snapshot_path, tmp_path):
    out = tmp_path / "validation.json"
    summary = validate(snapshot_path, params.data, params.validate_, params.prepare, out)
    assert json.loads(out.read_text()) == summary
    assert summary["rows"] == 24_410  # the months up to ingest.until_month (2025-06)
    assert 0.23 < summary["positive_rate"] < 0.25  # 23.9 % >50K per the provenance notes
    assert sum(summary["rows_by_month"].values()) == 24_410
    assert list(summary["rows_by_month"]) == [f"2025-0{m}" for m in range(1, 7)]
    assert set(summary["missing_rate"]) == {"workclass", "occupation", "native_country"}


def test_typed_columns(params, snapshot_path):
    frame = read_snapshot(snapshot_path, params.data)
    assert str(frame["age"].dtype) == "Int64"
    assert str(frame["row_id"].dtype) == "int64"


def _fails(params, frame, tmp_path, pattern):
    path = tmp_path / "snapshot.csv"
    frame.to_csv(path, index=False, lineterminator="\n")
    out = tmp_path / "validation.json"
    with pytest.raises(DataError, match=pattern) as info:
        validate(path, params.data, params.validate_, params.prepare, out)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert not out.exists()
    return message


def test_each_rule_names_column_rule_and_rows(params, frame, tmp_path):
    bad = frame.copy()
    bad.loc[3, "sex"] = "Unknown"
    message = _fails(params, bad, tmp_path, r"column 'sex': rule isin")
    assert f"row_id {frame.loc[3, 'row_id']} " in message
    assert "'Unknown'" in message


def test_structure_failures_are_reported_before_content(params, frame, tmp_path):
    bad = frame.drop(columns=["race"])
    bad.loc[5, "sex"] = "Unknown"
    _fails(params, bad, tmp_path, r"column 'race': required column is missing \(\+1 more")


def test_unexpected_column(params, frame, tmp_path):
    _fails(params, frame.assign(extra="x"), tmp_path, r"column 'extra': unexpected column")


def test_quality_rules(params, frame, tmp_path):
    sparse = frame.copy()
    sparse.loc[: len(frame) // 5, "workclass"] = None
    _fails(params, sparse, tmp_path, r"column 'workclass': 2\d\.\d% of cells missing")
    _fails(params, frame.head(10), tmp_path, r"10 rows, fewer than validate.min_rows=1000")


def test_header_only_and_missing_file(params, tmp_path):
    path = tmp_path / "snapshot.csv"
    path.write_text("row_id,month\n")
    with pytest.raises(DataError, match="header but no rows"):
        read_snapshot(path, params.data)
    with pytest.raises(DataError, match="file not found"):
        read_snapshot(tmp_path / "absent.csv", params.data)
