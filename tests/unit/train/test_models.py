"""Model tests in the spirit of Google's ML test list: convergence, sane outputs, behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from mlops.data.prepare import read_split
from mlops.evaluate.metrics import quality
from mlops.train.fit import fit


@pytest.fixture(scope="module")
def test_frame(splits):
    return read_split(splits[1])


def test_training_converges(fitted):
    model, facts = fitted
    hgb = model[-1]
    # Early stopping ended before max_iter, and the held-out loss improved on its start.
    assert facts["iterations"] < hgb.max_iter
    assert hgb.validation_score_[-1] > hgb.validation_score_[0]


def test_quality_floor_and_no_nan(fitted, test_frame, feature_spec):
    model, _ = fitted
    proba = model.predict_proba(test_frame[feature_spec.columns])[:, 1]
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    assert quality(test_frame["income"], proba, 0.5)["roc_auc"] >= 0.92


def test_logistic_regression_converges_too(params, splits, feature_spec):
    cfg = params.train.model_copy(update={"model": "logistic_regression"})
    model, facts = fit(splits[0], feature_spec, params.data, cfg)
    assert facts["iterations"] < cfg.logistic_regression.max_iter
    frame = read_split(splits[1]).head(2000)
    proba = model.predict_proba(frame[feature_spec.columns])[:, 1]
    assert quality(frame["income"], proba, 0.5)["roc_auc"] > 0.85


def test_directional_capital_gain_raises_the_score(fitted, test_frame, feature_spec):
    model, _ = fitted
    rows = test_frame[test_frame["capital_gain"] == 0].head(300)[feature_spec.columns]
    before = model.predict_proba(rows)[:, 1]
    after = model.predict_proba(rows.assign(capital_gain=15_000))[:, 1]
    assert (after >= before).mean() > 0.95


def test_invariant_to_columns_that_are_not_features(fitted, test_frame):
    model, _ = fitted
    rows = test_frame.head(200)
    moved = rows.assign(row_id=rows["row_id"] + 10**6, month="2030-01")
    assert np.array_equal(model.predict_proba(rows)[:, 1], model.predict_proba(moved)[:, 1])


def test_unseen_category_and_missing_values_still_score(fitted, test_frame, feature_spec):
    model, _ = fitted
    rows = test_frame.head(50)[feature_spec.columns].copy()
    rows["occupation"] = "Astronaut"
    rows["age"] = np.nan
    proba = model.predict_proba(rows)[:, 1]
    assert np.isfinite(proba).all()


def test_same_seed_same_model(params, splits, feature_spec, fitted, test_frame):
    again, _ = fit(splits[0], feature_spec, params.data, params.train)
    rows = test_frame[feature_spec.columns]
    assert np.array_equal(fitted[0].predict_proba(rows), again.predict_proba(rows))
