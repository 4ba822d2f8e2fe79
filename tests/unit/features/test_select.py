"""Featurize: every dropped column has a reason; the rules catch what they claim to."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlops.core.errors import ConfigError
from mlops.features.select import featurize, select_features, single_feature_auc
from mlops.features.spec import load_feature_spec


def test_default_selection(params, splits, tmp_path):
    from mlops.data.prepare import read_split

    out = tmp_path / "features.json"
    selection = featurize(read_split(splits[0]), params.data, params.featurize, out)
    assert json.loads(out.read_text()) == selection
    assert selection["dropped"]["education_num"] == "duplicate: one-to-one with education"
    assert selection["dropped"]["fnlwgt"].startswith("excluded in params")
    assert {"row_id", "month", "income"} <= set(selection["dropped"])
    spec = load_feature_spec(out)
    assert "age" in spec.numeric
    assert "sex" in spec.categorical


def test_rules_on_synthetic_columns(params):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    frame = pd.DataFrame(
        {
            "row_id": range(500), "month": "2025-01", "income": y,
            "signal": y + rng.normal(0, 2, 500),
            "constant": 1,
            "sparse": np.where(rng.random(500) < 0.8, np.nan, 1.0),
            "leak": y * 10,
            "signal_copy": (y + 0.0).astype(str),  # one-to-one with leak? no: with y
            "fnlwgt": 1,
        }
    )  # fmt: skip
    selection = select_features(frame, params.data, params.featurize)
    reasons = selection["dropped"]
    assert reasons["constant"] == "constant"
    assert reasons["sparse"].startswith("too sparse")
    assert reasons["leak"].startswith("leaky")
    assert reasons["signal_copy"].startswith("leaky")  # leak is dropped, so copy is judged alone
    assert selection["numeric"] == ["signal"]


def test_unknown_exclude_is_a_config_error(params, splits):
    from mlops.data.prepare import read_split

    cfg = params.featurize.model_copy(update={"exclude": {"nope": "why"}})
    with pytest.raises(ConfigError, match=r"featurize\.exclude: 'nope' is not a column"):
        select_features(read_split(splits[0]), params.data, cfg)


def test_single_feature_auc_is_folded():
    y = pd.Series([0, 0, 1, 1])
    assert single_feature_auc(pd.Series([4.0, 3.0, 2.0, 1.0]), y) == 1.0
    assert single_feature_auc(pd.Series(["a", "a", "b", "b"]), y) == 1.0


def test_single_feature_auc_equals_scikit_learns(splits):
    """The counting AUC gives scikit-learn's number, numeric and categorical alike."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from mlops.data.prepare import read_split
    from mlops.features.select import single_feature_auc

    train = read_split(splits[0])
    y = train["income"]
    for column in ["age", "capital_gain", "education", "occupation", "native_country"]:
        x = train[column]
        if x.dtype.kind in "iuf" or str(x.dtype) == "Int64":
            score = x.fillna(x.median()).astype(float)
        else:
            filled = x.astype("object").where(x.notna(), "<missing>")
            score = filled.map(y.groupby(filled).mean())
        auc = roc_auc_score(y, score)
        assert np.isclose(single_feature_auc(x, y), max(auc, 1 - auc), rtol=0, atol=1e-12)


def test_group_column_is_never_a_feature(params, splits):
    from mlops.data.prepare import read_split

    train = read_split(splits[0]).assign(source_id=lambda f: f["row_id"] % 7)
    data = params.data.model_copy(update={"group_column": "source_id"})
    selection = select_features(train, data, params.featurize)
    assert "source_id" not in selection["inputs"]
    assert selection["dropped"]["source_id"].startswith("not a feature: group")
