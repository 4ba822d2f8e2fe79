"""Feature engineering: columns derived from a record.   <- a forker edits `engineer`.

`engineer` is the first step of the model's Pipeline (train/models/), so training,
evaluation, the review and serving all apply this same code to raw records: no
training/serving skew. The featurize stage then selects among its output columns, so
a derived column is kept or dropped with a reason like any other.

Rules for `engineer`: a pure function of the rows it is given (no I/O, no randomness,
nothing learned from the data: fitted transformations belong in the model's Pipeline),
returning a new frame that keeps the input columns. The default derives nothing.
Example: `return frame.assign(capital_net=frame["capital_gain"] - frame["capital_loss"])`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def engineer(frame: pd.DataFrame) -> pd.DataFrame:
    """Add derived columns to a frame of raw records; return the new frame."""
    return frame


def engineering_step() -> Any:
    """`engineer` as the Pipeline step that every model type starts with."""
    from sklearn.preprocessing import FunctionTransformer

    return FunctionTransformer(engineer, validate=False)


# Loading a model file refuses any type not declared (train/model_io.py): this module's
# function is ours, and the step that holds it is scikit-learn's.
TRUSTED_TYPES = frozenset(
    {f"{__name__}.engineer", "sklearn.preprocessing._function_transformer.FunctionTransformer"}
)
