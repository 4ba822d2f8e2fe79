"""predict: each model gets exactly its own input columns, in its order; a missing column
is a one-line DataError naming the column and whose model needs it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder

from mlops.core.errors import DataError
from mlops.evaluate.predict import input_columns, predict


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 300
    out = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(["x", "y"], n)}
    )
    out["y"] = ((out["a"] + (out["c"] == "x")) > 0.5).astype(int)
    return out


def model_on(frame: pd.DataFrame, columns: list[str]) -> Pipeline:
    numeric = [c for c in columns if c != "c"]
    encode = ColumnTransformer(
        [("n", "passthrough", numeric), ("c", OneHotEncoder(), [c for c in columns if c == "c"])]
    )
    return make_pipeline(encode, LogisticRegression()).fit(frame[columns], frame["y"])


def test_input_columns_are_what_the_model_was_fitted_on(frame):
    assert input_columns(model_on(frame, ["c", "a"])) == ["c", "a"]
    assert input_columns(LogisticRegression()) == []  # unfitted: none known


def test_rows_are_given_the_models_own_columns_in_its_order(frame):
    champion = model_on(frame, ["a", "c"])
    # No column selection by name: given its columns in another order it would fail.
    challenger = make_pipeline(LogisticRegression()).fit(frame[["b", "a"]], frame["y"])
    # Extra columns (the target, other features) and another column order are fine.
    shuffled = frame[["y", "c", "b", "a"]]
    expected_champion = champion.predict_proba(frame[["a", "c"]])[:, 1]
    assert np.array_equal(predict(champion, shuffled, "champion"), expected_champion)
    expected_challenger = challenger.predict_proba(frame[["b", "a"]])[:, 1]
    assert np.array_equal(predict(challenger, shuffled, "challenger"), expected_challenger)
    assert not np.array_equal(expected_champion, expected_challenger)


def test_a_missing_column_names_the_column_and_the_model(frame):
    challenger = model_on(frame, ["a", "b", "c"])
    with pytest.raises(DataError, match=r"^challenger model needs column 'b', which the scored"):
        predict(challenger, frame.drop(columns=["b"]), "challenger")


def test_a_model_without_column_names_is_refused(frame):
    bare = LogisticRegression().fit(frame[["a", "b"]].to_numpy(), frame["y"])
    with pytest.raises(DataError, match="the model needs its input column names"):
        predict(bare, frame)
