"""Small synthetic records for unit tests: a few numeric and categorical columns with a
label that depends on them, so a model has something to learn in milliseconds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mlops.features.spec import FeatureSpec

SPEC = FeatureSpec(
    inputs=("age", "hours", "colour", "group"),
    numeric=("age", "hours"),
    categorical=("colour", "group"),
)


def records(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """`row_id`, `month`, the SPEC inputs (with some missing values) and a 0/1 `label`."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n).astype(float)
    hours = rng.normal(40, 10, n).round()
    colour = rng.choice(["red", "green", "blue"], n)
    group = rng.choice(["a", "b"], n, p=[0.7, 0.3])
    signal = (age - 45) / 12 + (colour == "red") * 1.5 + rng.normal(0, 0.7, n)
    frame = pd.DataFrame(
        {
            "row_id": np.arange(n),
            "month": [f"2025-{1 + i % 3:02d}" for i in range(n)],
            "age": age,
            "hours": hours,
            "colour": colour,
            "group": group,
            "label": (signal > 0.3).astype(int),
        }
    )
    frame.loc[frame.index[::17], "hours"] = np.nan
    frame.loc[frame.index[5::23], "colour"] = np.nan
    return frame


def grouped_copies(snapshot: Path, out: Path, rows: int) -> Path:
    """The first `rows` rows of a snapshot and a copy of each (new row id, same
    `source_id`), written to `out` (Parquet if its name says so): upsampled data that must
    be split by its group column."""
    from mlops.core.files import read_table, write_table

    frame = read_table(snapshot, keep_default_na=False, na_values=[""]).head(rows)
    copies = frame.assign(row_id=frame["row_id"] + 100_000)
    both = pd.concat([frame, copies], ignore_index=True)
    both.insert(1, "source_id", both["row_id"] % 100_000)
    write_table(out, both)
    return out
