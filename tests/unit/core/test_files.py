"""Data files by suffix: Parquet or CSV, same frame back, stable bytes."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops.core.errors import DataError
from mlops.core.files import read_table, write_table


@pytest.mark.parametrize("name", ["t.parquet", "t.csv"])
def test_round_trip_and_stable_bytes(tmp_path, name):
    frame = pd.DataFrame({"row_id": [2, 1], "age": pd.array([30, None], dtype="Int64"),
                          "sex": pd.Categorical(["Male", None])})  # fmt: skip
    write_table(tmp_path / name, frame)
    first = (tmp_path / name).read_bytes()
    write_table(tmp_path / name, frame)
    assert (tmp_path / name).read_bytes() == first
    back = read_table(tmp_path / name)
    assert back["row_id"].tolist() == [2, 1]
    assert back["age"].isna().tolist() == [False, True]
    assert back["sex"].iloc[0] == "Male"
    assert pd.isna(back["sex"].iloc[1])


def test_unreadable_parquet_is_a_data_error(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(DataError, match=r"bad\.parquet: cannot read Parquet"):
        read_table(bad)
    with pytest.raises(DataError, match="file not found"):
        read_table(tmp_path / "missing.parquet")
