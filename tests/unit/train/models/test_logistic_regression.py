"""The logistic regression model type: its params section, its Pipeline (engineering,
imputation and scaling, one-hot categories), and the types its model file holds."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from mlops.data.prepare import read_split
from mlops.evaluate.metrics import quality
from mlops.features import encode, engineer
from mlops.train.fit import fit
from mlops.train.model_io import load_model, save_model, sio
from mlops.train.models import logistic_regression as kind
from support.synthetic import SPEC, records


@pytest.fixture(scope="module")
def fitted_small(params) -> Pipeline:
    frame = records()
    model = kind.build(SPEC, params.train.logistic_regression, 3)
    return model.fit(frame[SPEC.columns], frame["label"])


def test_hyperparameters_are_typed_and_bounded():
    assert kind.Hyperparameters(C=0.5, max_iter=10).C == 0.5
    for bad in ({"C": 0.0, "max_iter": 10}, {"C": 1.0, "max_iter": 0},
                {"C": 1.0, "max_iter": 10, "penalty": "l1"}):  # fmt: skip
        with pytest.raises(ValidationError):
            kind.Hyperparameters(**bad)


def test_build_gives_an_unfitted_pipeline_starting_with_engineering(params):
    hp = kind.Hyperparameters(C=0.25, max_iter=77)
    model = kind.build(SPEC, hp, 11)
    assert [name for name, _ in model.steps] == ["engineer", "preprocess", "classifier"]
    assert model[0].func is engineer.engineer
    estimator = model[-1]
    assert isinstance(estimator, LogisticRegression)
    assert (estimator.C, estimator.max_iter, estimator.random_state) == (0.25, 77, 11)
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)


def test_fits_and_scores_raw_records_with_gaps_and_unseen_categories(fitted_small):
    rows = records(60, seed=1)[SPEC.columns].copy()
    rows.loc[rows.index[:10], "colour"] = "purple"  # never seen in training
    rows.loc[rows.index[10:20], "age"] = np.nan
    proba = fitted_small.predict_proba(rows)[:, 1]
    assert np.isfinite(proba).all()
    # It learnt the signal: red raises the score (one-hot, scaled numbers).
    red, blue = rows.assign(colour="red"), rows.assign(colour="blue")
    assert (fitted_small.predict_proba(red)[:, 1] > fitted_small.predict_proba(blue)[:, 1]).all()


def test_trusted_types_are_exactly_what_its_model_file_holds(fitted_small):
    """Enough to load it (saved and loaded as the train and evaluate stages do), and no
    type trusted that the file does not need."""
    untrusted = set(sio.get_untrusted_types(data=sio.dumps(fitted_small)))
    assert untrusted == engineer.TRUSTED_TYPES | encode.PIPELINE_TYPES | kind.TRUSTED_TYPES


def test_its_model_file_loads(fitted_small, tmp_path):
    save_model(fitted_small, tmp_path / "model.skops")
    loaded = load_model(tmp_path / "model.skops")
    rows = records(20, seed=2)[SPEC.columns]
    assert np.array_equal(loaded.predict_proba(rows), fitted_small.predict_proba(rows))


def test_logistic_regression_converges_too(params, splits, feature_spec):
    cfg = params.train.model_copy(update={"model": "logistic_regression"})
    model, facts = fit(splits[0], feature_spec, params.data, cfg)
    assert facts["iterations"] < cfg.logistic_regression.max_iter
    frame = read_split(splits[1]).head(2000)
    proba = model.predict_proba(frame[feature_spec.columns])[:, 1]
    assert quality(frame["income"], proba, 0.5)["roc_auc"] > 0.85
