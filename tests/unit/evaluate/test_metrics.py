"""The metric library: scikit-learn's numbers, a direction for each, no NaN accepted."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from mlops.evaluate.metrics import HIGHER_IS_BETTER, quality, roc_auc, rounded


@pytest.fixture(scope="module")
def scores() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    signal = rng.normal(size=2000)
    y = (signal + rng.normal(size=2000) > 0).astype(int)
    return y, 1 / (1 + np.exp(-signal))


def test_every_metric_has_a_direction(scores):
    assert set(quality(*scores, 0.5)) == set(HIGHER_IS_BETTER)
    assert {m for m, higher in HIGHER_IS_BETTER.items() if not higher} == {"log_loss", "brier"}


def test_values_are_scikit_learns(scores):
    y, proba = scores
    q = quality(y, proba, 0.5)
    assert q["roc_auc"] == pytest.approx(roc_auc_score(y, proba))
    assert q["log_loss"] == pytest.approx(log_loss(y, proba))
    assert q["brier"] == pytest.approx(np.mean((proba - y) ** 2))
    assert q["accuracy"] == pytest.approx(np.mean((proba >= 0.5) == y))


def test_threshold_moves_only_the_threshold_metrics(scores):
    y, proba = scores
    low, high = quality(y, proba, 0.2), quality(y, proba, 0.8)
    for ranking in ("roc_auc", "pr_auc", "log_loss", "brier"):
        assert low[ranking] == high[ranking]
    assert low["accuracy"] != high["accuracy"]
    assert low["f1"] != high["f1"]


def test_extremes_stay_finite():
    y = np.array([0, 1, 0, 1])
    perfect = quality(y, np.array([0.0, 1.0, 0.0, 1.0]), 0.5)
    assert perfect["roc_auc"] == perfect["accuracy"] == perfect["f1"] == 1.0
    assert perfect["log_loss"] == pytest.approx(0.0, abs=1e-12)
    wrong = quality(y, np.array([1.0, 0.0, 1.0, 0.0]), 0.5)
    assert np.isfinite(wrong["log_loss"])  # clipped, not infinite
    assert quality(y, np.array([0.9, 0.1, 0.9, 0.1]), 0.95)["f1"] == 0.0  # nothing predicted


def test_nan_or_infinite_probabilities_are_refused():
    with pytest.raises(ValueError, match="NaN or infinity"):
        quality(np.array([0, 1]), np.array([0.2, np.nan]), 0.5)
    with pytest.raises(ValueError, match="NaN or infinity"):
        quality(np.array([0, 1]), np.array([0.2, np.inf]), 0.5)


def test_rounded():
    assert rounded({"a": 0.1234567891, "b": 1.0}) == {"a": 0.123457, "b": 1.0}
    assert rounded({"a": 0.126}, digits=2) == {"a": 0.13}


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_is_scikit_learns(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 3000)
    p = np.round(
        rng.random(3000) * 0.5 + y * 0.3, 2
    )  # rounded: many ties, within and across classes
    assert roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert roc_auc(y, 1 - p) == pytest.approx(roc_auc_score(y, 1 - p), abs=1e-12)


def test_roc_auc_of_one_class_is_nan():
    assert np.isnan(roc_auc(np.ones(10), np.linspace(0, 1, 10)))
