"""Prepare: a split decided by a hash of the row id, stable as data grows."""

from __future__ import annotations

import pandas as pd

from mlops.data.prepare import in_test_split, read_split


def test_split_sizes_and_labels(params, splits):
    train, test = read_split(splits[0]), read_split(splits[1])
    assert len(train) + len(test) == 24_410  # the snapshot: months up to 2025-06
    assert abs(len(test) / 24_410 - params.prepare.test_fraction) < 0.01
    assert set(train["income"]) == {0, 1}
    assert not set(train["row_id"]) & set(test["row_id"])


def test_split_is_stable_when_rows_are_appended():
    old = in_test_split(pd.Series(range(1_000)), "salt", 0.2)
    grown = in_test_split(pd.Series(range(5_000)), "salt", 0.2)
    assert (grown[:1_000] == old).all()


def test_split_depends_on_the_salt_and_fraction():
    ids = pd.Series(range(2_000))
    assert (in_test_split(ids, "a", 0.2) != in_test_split(ids, "b", 0.2)).any()
    small, large = in_test_split(ids, "a", 0.1), in_test_split(ids, "a", 0.3)
    assert (large | ~small).all()  # growing the fraction only adds rows to test


def test_copies_of_a_row_stay_on_one_side_with_a_group_column(params, snapshot_path, tmp_path):
    """Upsampled copies (same group) never straddle train and test: split by the group."""
    from mlops.core.files import read_table
    from mlops.data.prepare import prepare
    from support.synthetic import grouped_copies

    both = read_table(grouped_copies(snapshot_path, tmp_path / "snap.parquet", 2000))
    data = params.data.model_copy(update={"group_column": "source_id"})
    train, test = prepare(tmp_path / "snap.parquet", data, params.prepare,
                          tmp_path / "train.parquet", tmp_path / "test.parquet")  # fmt: skip
    assert set(train["source_id"]).isdisjoint(set(test["source_id"]))
    assert len(test) % 2 == 0
    assert 0.1 < len(test) / len(both) < 0.3
    assert read_table(tmp_path / "test.parquet")["row_id"].tolist() == test["row_id"].tolist()
