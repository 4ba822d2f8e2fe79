from __future__ import annotations

import numpy as np
import pandas as pd

from mlops.features.encode import categorical_indices, model_pipeline, ordinal_for_trees
from mlops.features.spec import FeatureSpec


def spec() -> FeatureSpec:
    return FeatureSpec(inputs=("age", "hours", "workclass", "sex"), numeric=("age", "hours"),
                       categorical=("workclass", "sex"))  # fmt: skip


def test_trees_see_numbers_first_then_category_codes_and_unseen_is_missing() -> None:
    train = pd.DataFrame(
        {"sex": ["F", "M", "F"], "age": [30, 40, 50], "workclass": ["Private", "State", None],
         "hours": [40, 20, 60]}
    )  # fmt: skip
    encode = ordinal_for_trees(spec()).fit(train)
    served = pd.DataFrame({"sex": ["M"], "age": [35], "workclass": ["Never-seen"], "hours": [10]})
    (row,) = encode.transform(served)
    assert row[:2].tolist() == [35, 10]  # numeric first, in the spec's order
    assert np.isnan(row[2])  # an unseen category: missing, which the trees route
    assert row[3] == 1  # "M" is the second category of sex
    assert list(encode.get_feature_names_out()) == ["age", "hours", "workclass", "sex"]
    assert categorical_indices(spec()) == [2, 3]


def test_every_model_is_engineer_then_preprocess_then_classifier() -> None:
    pipeline = model_pipeline("passthrough", "passthrough")
    assert [name for name, _ in pipeline.steps] == ["engineer", "preprocess", "classifier"]
