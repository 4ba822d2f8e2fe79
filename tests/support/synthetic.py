"""Small synthetic records for unit tests: a few numeric and categorical columns with a
label that depends on them, so a model has something to learn in milliseconds."""

from __future__ import annotations

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
