"""Scoring rows with a model: the one function evaluate, the review and serving share.

The model is a Pipeline fitted on a DataFrame, so it records its input columns
(`feature_names_in_`); the rows are given exactly those columns, in that order. A
champion and a challenger with different inputs are each given their own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlops.core.errors import DataError
from mlops.core.progress import progress


def input_columns(model: Any) -> list[str]:
    """The raw columns the model takes, in order."""
    return [str(c) for c in getattr(model, "feature_names_in_", [])]


# Rows scored per call: the model's transformers copy what they are given, so scoring
# millions of rows at once would hold several copies of them; each row's score does not
# depend on the others, so chunks give the same numbers.
CHUNK_ROWS = 1 << 18


def predict(model: Any, frame: pd.DataFrame, who: str = "the") -> np.ndarray:
    """Probability of the positive class for each row of `frame`."""
    columns = input_columns(model)
    missing = [c for c in columns if c not in frame.columns]
    if not columns or missing:
        what = f"column {missing[0]!r}" if missing else "its input column names"
        raise DataError(f"{who} model needs {what}, which the scored rows do not have")
    if len(frame) <= CHUNK_ROWS:
        whole: np.ndarray = model.predict_proba(frame[columns])[:, 1]
        return whole
    proba = np.empty(len(frame), dtype=np.float64)
    with progress(f"scoring ({who} model)", len(frame)) as bar:
        for start in range(0, len(frame), CHUNK_ROWS):
            chunk = frame.iloc[start : start + CHUNK_ROWS][columns]
            proba[start : start + len(chunk)] = model.predict_proba(chunk)[:, 1]
            bar.update(len(chunk))
    return proba
