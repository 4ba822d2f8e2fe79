"""Ingest: normalisation of the UCI files, stable ids and months, byte reproducibility."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from mlops.core.errors import DataError
from mlops.data.ingest import ingest, simulated_month, snake_case


def test_the_source_holds_every_row_normalised(source_rows):
    frame = source_rows  # every month: what the snapshot grows into as months arrive
    assert len(frame) == 48_842  # 32,561 + 16,281 (UCI's published counts)
    assert list(frame.columns[:2]) == ["row_id", "month"]
    assert frame["row_id"].tolist() == list(range(48_842))
    assert set(frame["income"]) == {"<=50K", ">50K"}  # test labels lost their "."
    assert frame["workclass"].isna().sum() == 2_799  # "?" became missing
    assert not frame["education"].str.startswith(" ").any()  # whitespace stripped
    assert frame["month"].str.match(r"^2025-(0[1-9]|1[0-2])$").all()


def test_the_default_snapshot_holds_the_months_up_to_until_month(
    params, snapshot_path, source_rows
):
    frame = pd.read_csv(snapshot_path, keep_default_na=False, na_values=[""])
    assert params.ingest.until_month == "2025-06"
    assert len(frame) == 24_410
    assert frame["month"].max() == "2025-06"
    earlier = source_rows[source_rows["month"] <= "2025-06"]
    assert frame["row_id"].tolist() == earlier["row_id"].tolist()  # same ids, same order


def test_snapshot_is_byte_reproducible(params, snapshot_path, tmp_path):
    again = tmp_path / "again.csv"
    ingest(params.ingest, params.data, again)
    assert (
        hashlib.md5(again.read_bytes()).digest() == hashlib.md5(snapshot_path.read_bytes()).digest()
    )


def test_months_do_not_move_when_rows_are_appended():
    ids = pd.Series(range(100))
    first = simulated_month(ids, "2025-01", 12, seed=7)
    longer = simulated_month(pd.Series(range(150)), "2025-01", 12, seed=7)
    assert longer.iloc[:100].tolist() == first.tolist()
    assert first.nunique() > 6  # spread over the months, not a constant


def test_until_month_keeps_a_prefix_of_months(params, tmp_path):
    cfg = params.ingest.model_copy(update={"until_month": "2025-03"})
    frame = ingest(cfg, params.data, tmp_path / "s.csv")
    assert frame["month"].max() == "2025-03"
    assert 0.2 < len(frame) / 48_842 < 0.3


def test_own_csv_with_id_and_time_columns(params, tmp_path):
    source = tmp_path / "mine.csv"
    source.write_text("Customer ID,Month,Age,Label\n10,2024-01, 33 ,yes\n11,2024-02,?,no\n")
    cfg = params.ingest.model_copy(
        update={"sources": [str(source)], "columns": None, "read_csv": {}, "replace": {},
                "id_column": "Customer ID", "simulated_months": None}
    )  # fmt: skip
    data = params.data.model_copy(update={"target": "label"})
    frame = ingest(cfg, data, tmp_path / "out.csv")
    assert frame["row_id"].tolist() == ["10", "11"]
    assert frame["age"].tolist()[0] == 33
    assert pd.isna(frame["age"].tolist()[1])


def test_source_errors_name_the_source(params, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    for source, message in [(tmp_path / "nope.csv", "source file not found"), (empty, "empty")]:
        cfg = params.ingest.model_copy(update={"sources": [str(source)]})
        with pytest.raises(DataError, match=message):
            ingest(cfg, params.data, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_unknown_read_option_is_a_data_error(params, tmp_path):
    cfg = params.ingest.model_copy(update={"read_csv": {"no_such_option": 1}})
    with pytest.raises(DataError, match=r"adult\.data\.gz: cannot read source \(.*no_such_option"):
        ingest(cfg, params.data, tmp_path / "out.csv")


def test_snake_case():
    assert snake_case(" Native-Country ") == "native_country"
    assert snake_case("capital gain (USD)") == "capital_gain_usd"


def test_parquet_source_keeps_its_types(params, snapshot_path, tmp_path):
    """A typed source (Parquet) gives the same snapshot text as the CSV source."""
    from mlops.core.files import read_table

    frame = read_table(snapshot_path, keep_default_na=False, na_values=[""]).drop(columns="month")
    frame.to_parquet(tmp_path / "src.parquet", index=False)
    cfg = params.ingest.model_copy(update={
        "sources": [str(tmp_path / "src.parquet")], "columns": None, "read_csv": {},
        "replace": {}, "id_column": "row_id"})  # fmt: skip
    ingest(cfg, params.data, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == snapshot_path.read_bytes()
