"""Pipeline files: atomic writes that keep the old file on failure, stable bytes, reads
that fail with one line naming the file, and data files by suffix (Parquet or CSV)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from mlops.core import files
from mlops.core.errors import DataError


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path):
    target = tmp_path / "out.json"
    files.write_text(target, "old\n")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("half a fi")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        files.write_atomic(target, half_then_fail)
    assert target.read_text() == "old\n"
    assert leftovers(tmp_path) == ["out.json"]


def test_a_json_that_cannot_be_written_keeps_the_old_file(tmp_path: Path):
    target = tmp_path / "metrics.json"
    files.write_json(target, {"auc": 0.9})
    with pytest.raises(ValueError, match="not JSON compliant"):
        files.write_json(target, {"auc": math.nan})  # NaN is not JSON
    assert files.read_json(target) == {"auc": 0.9}
    assert leftovers(tmp_path) == ["metrics.json"]


def test_writes_create_folders_and_are_readable_by_others(tmp_path: Path):
    target = tmp_path / "a" / "b" / "model.bin"
    files.write_bytes(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    # mkstemp creates 0600 files; outputs must be readable like any other file.
    assert target.stat().st_mode & 0o777 == 0o644


def test_json_bytes_are_stable(tmp_path: Path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    files.write_json(a, {"b": 1, "a": [1, 2]})
    files.write_json(b, {"a": [1, 2], "b": 1})
    assert a.read_bytes() == b.read_bytes() == b'{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'


def test_csv_uses_newlines_and_keeps_precision_unless_asked(tmp_path: Path):
    frame = pd.DataFrame({"x": [0.123456789012345, 1.0], "y": ["a", "b"]})
    full, rounded = tmp_path / "full.csv", tmp_path / "rounded.csv"
    files.write_csv(full, frame)
    files.write_csv(rounded, frame, float_format="%.3f")
    assert full.read_bytes() == b"x,y\n0.123456789012345,a\n1.0,b\n"
    assert rounded.read_bytes() == b"x,y\n0.123,a\n1.000,b\n"
    assert files.read_csv(full)["x"].iloc[0] == 0.123456789012345


def test_read_json_errors_name_the_file_and_line(tmp_path: Path):
    missing = tmp_path / "missing.json"
    with pytest.raises(DataError, match=f"^{missing}: file not found"):
        files.read_json(missing)
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "a": 1,\n  oops\n}\n')
    with pytest.raises(DataError, match=f"^{broken}: line 3: not valid JSON"):
        files.read_json(broken)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        ("", "file is empty"),
        ("\n\n", "file has no rows"),
        ('a,b\n1,"unclosed\n', "cannot parse"),
        (b"a,b\n\xff\xfe,1\n", "cannot parse"),
    ],
)
def test_read_csv_errors_name_the_file(tmp_path: Path, content: str | bytes | None, message):
    path = tmp_path / "data.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(DataError, match=f"^{path}: {message}") as info:
        files.read_csv(path)
    assert "\n" not in str(info.value)


# --- data files by suffix: Parquet or CSV, same frame back, stable bytes -------------


@pytest.mark.parametrize("name", ["t.parquet", "t.csv"])
def test_round_trip_and_stable_bytes(tmp_path, name):
    frame = pd.DataFrame({"row_id": [2, 1], "age": pd.array([30, None], dtype="Int64"),
                          "sex": pd.Categorical(["Male", None])})  # fmt: skip
    files.write_table(tmp_path / name, frame)
    first = (tmp_path / name).read_bytes()
    files.write_table(tmp_path / name, frame)
    assert (tmp_path / name).read_bytes() == first
    back = files.read_table(tmp_path / name)
    assert back["row_id"].tolist() == [2, 1]
    assert back["age"].isna().tolist() == [False, True]
    assert back["sex"].iloc[0] == "Male"
    assert pd.isna(back["sex"].iloc[1])


@pytest.mark.parametrize("name", ["t.parquet", "t.csv"])
def test_only_the_wanted_columns_that_exist_are_read(tmp_path, name):
    # the review and the monitor read a few columns of a snapshot in either format
    frame = pd.DataFrame({"row_id": [1, 2], "month": ["2025-01", "2025-02"], "age": [30, 40]})
    files.write_table(tmp_path / name, frame)
    back = files.read_table(tmp_path / name, ["month", "row_id", "not_there"])
    assert sorted(back.columns) == ["month", "row_id"]
    assert back["row_id"].tolist() == [1, 2]


def test_unreadable_parquet_is_a_data_error(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(DataError, match=r"bad\.parquet: cannot read Parquet"):
        files.read_table(bad)
    with pytest.raises(DataError, match="file not found"):
        files.read_table(tmp_path / "missing.parquet")
