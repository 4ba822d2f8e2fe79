"""The histogram gradient boosting model type (the default): its params section, its
Pipeline (engineering, ordinal categories split natively), and the types its model
file holds."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from mlops.features import encode, engineer
from mlops.train.model_io import canonical_bytes, load_model, save_model, sio
from mlops.train.models import hist_gradient_boosting as kind
from support.synthetic import SPEC, records

SMALL = kind.Hyperparameters(
    learning_rate=0.2, max_iter=30, max_depth=3, max_leaf_nodes=8, min_samples_leaf=5,
    l2_regularization=0.0, early_stopping=False,
)  # fmt: skip


@pytest.fixture(scope="module")
def fitted_small() -> Pipeline:
    frame = records()
    return kind.build(SPEC, SMALL, 3).fit(frame[SPEC.columns], frame["label"])


def test_hyperparameters_are_typed_and_bounded(params):
    assert isinstance(params.train.hist_gradient_boosting, kind.Hyperparameters)
    good = SMALL.model_dump()
    bad = [("learning_rate", 0.0), ("learning_rate", 1.5), ("max_iter", 0),
           ("max_leaf_nodes", 1), ("early_stopping", "yes"), ("max_depth", 0)]  # fmt: skip
    for key, value in bad:
        with pytest.raises(ValidationError):
            kind.Hyperparameters(**{**good, key: value})
    assert kind.Hyperparameters(**{**good, "max_depth": None}).max_depth is None


def test_build_gives_an_unfitted_pipeline_starting_with_engineering():
    model = kind.build(SPEC, SMALL, 7)
    assert [name for name, _ in model.steps] == ["engineer", "preprocess", "classifier"]
    assert model[0].func is engineer.engineer
    estimator = model[-1]
    assert isinstance(estimator, HistGradientBoostingClassifier)
    assert (estimator.max_iter, estimator.max_leaf_nodes, estimator.random_state) == (30, 8, 7)
    # Numeric columns first, then categorical: the mask must follow the same order.
    assert estimator.categorical_features == [False, False, True, True]
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)


def test_fits_and_scores_raw_records_with_gaps_and_unseen_categories(fitted_small):
    rows = records(60, seed=1)[SPEC.columns].copy()
    rows.loc[rows.index[:10], "colour"] = "purple"  # unseen: becomes missing, still scored
    rows.loc[rows.index[10:20], "hours"] = np.nan
    proba = fitted_small.predict_proba(rows)[:, 1]
    assert np.isfinite(proba).all()
    assert proba.std() > 0.05  # it learnt something, not a constant
    red, blue = rows.assign(colour="red"), rows.assign(colour="blue")
    assert (
        fitted_small.predict_proba(red)[:, 1] >= fitted_small.predict_proba(blue)[:, 1]
    ).mean() > 0.9


def test_its_trusted_types_are_enough_to_load_its_model_files(fitted_small, fitted, tmp_path):
    """Small and default settings, as the train and evaluate stages save and load them."""
    for model in (fitted_small, fitted[0]):
        untrusted = set(sio.get_untrusted_types(data=sio.dumps(model)))
        assert untrusted <= engineer.TRUSTED_TYPES | encode.PIPELINE_TYPES | kind.TRUSTED_TYPES
        assert "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor" in untrusted
    save_model(fitted_small, tmp_path / "model.skops")
    rows = records(20, seed=2)[SPEC.columns]
    loaded = load_model(tmp_path / "model.skops")
    assert np.array_equal(loaded.predict_proba(rows), fitted_small.predict_proba(rows))


def test_training_converges(fitted):
    model, facts = fitted
    hgb = model[-1]
    # Early stopping ended before max_iter, and the held-out loss improved on its start.
    assert facts["iterations"] < hgb.max_iter
    assert hgb.validation_score_[-1] > hgb.validation_score_[0]


def test_after_fit_forgets_the_thread_count_so_the_bytes_do_not_depend_on_it():
    """The binner records the OpenMP threads of the fit; after_fit resets it to the
    default, and the model still predicts (only a refit bins again)."""
    frame = records()
    model = kind.build(SPEC, SMALL, 3).fit(frame[SPEC.columns], frame["label"])
    before = model.predict_proba(frame[SPEC.columns])
    model[-1]._bin_mapper.n_threads = 2  # as a fit with two OpenMP threads leaves it
    one = kind.build(SPEC, SMALL, 3).fit(frame[SPEC.columns], frame["label"])
    kind.after_fit(model)
    kind.after_fit(one)
    assert model[-1]._bin_mapper.n_threads is None
    assert canonical_bytes(sio.dumps(model)) == canonical_bytes(sio.dumps(one))
    np.testing.assert_array_equal(model.predict_proba(frame[SPEC.columns]), before)
