"""Prepare: clean the validated snapshot and split it into train and test.

The split is decided per row by a hash of its stable id, not by a shuffle: appending
rows never moves an old row between train and test, so a champion and a challenger
trained on different snapshots are still scored on comparable rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mlops.core.config import Data, Prepare
from mlops.core.files import read_table, write_table
from mlops.core.hashing import unit_interval


def in_test_split(row_ids: pd.Series, salt: str, test_fraction: float) -> np.ndarray:
    """True for rows in the test split; depends only on (salt, id, fraction)."""
    return unit_interval(row_ids, f"split:{salt}", "split") < test_fraction


def test_mask(frame: pd.DataFrame, data: Data, cfg: Prepare) -> np.ndarray:
    """True for the frame's rows in the test split. Rows that share a group (copies of one
    entity, `data.group_column`) share the group's side of the split; else each row id
    decides. The one definition prepare, the review and the monitor use."""
    key = frame[data.group_column or data.id_column]
    return in_test_split(key, cfg.split_salt, cfg.test_fraction)


def clean(frame: pd.DataFrame, data: Data) -> pd.DataFrame:
    """Label to 0/1 and a fixed row order. The snapshot is already normalised by ingest."""
    out = frame.copy()
    out[data.target] = (out[data.target] == data.positive_label).astype("int64")
    ids = out[data.id_column]
    if ids.is_monotonic_increasing:  # as ingest writes them: skip a sort of every column
        return out.reset_index(drop=True)
    return out.sort_values(data.id_column, kind="stable").reset_index(drop=True)


def prepare(
    snapshot: Path | str, data: Data, cfg: Prepare, train_out: Path | str, test_out: Path | str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    # Here, not at the top: read_typed needs the schema, hence pandera (~0.1-0.2 s of
    # imports), and the stages that only read a split (featurize, train, evaluate, the
    # review) import this module for read_split.
    from mlops.data.validate import read_typed

    frame = clean(read_typed(snapshot, data), data)
    in_test = test_mask(frame, data, cfg)
    train, test = frame[~in_test], frame[in_test]
    write_table(train_out, train)
    write_table(test_out, test)
    return train, test


def read_split(path: Path | str) -> pd.DataFrame:
    """Read a train or test file written by prepare (numbers as numbers, text as text;
    CSV or Parquet by the file's suffix)."""
    return read_table(path)
