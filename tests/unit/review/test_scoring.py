"""Scoring both models on the same rows: inputs checked with one-line errors, each model
given its own columns, and the change of each metric read in its own direction.
(The weighted metrics and the bootstrap against scikit-learn: test_policy.py.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from mlops.core.errors import DataError
from mlops.review.scoring import (
    METRICS,
    Change,
    _grouped,
    compare_models,
    compare_scores,
    paired_bootstrap,
    weighted_roc_auc,
)
from support.review import BOOT, DATA, EVALUATE, world


def test_one_class_or_bad_probabilities_are_refused():
    frame, y, proba = world(500)
    with pytest.raises(DataError, match="hold one class of 'y' only"):
        compare_scores(frame, np.zeros_like(y), proba, proba, DATA, EVALUATE, BOOT)
    with pytest.raises(DataError, match=r"^champion probabilities: wrong length"):
        compare_scores(frame, y, proba[:-1], proba, DATA, EVALUATE, BOOT)
    broken = proba.copy()
    broken[3] = np.nan
    with pytest.raises(DataError, match=r"^challenger probabilities: .*not finite"):
        compare_scores(frame, y, proba, broken, DATA, EVALUATE, BOOT)


def test_a_comparison_carries_both_sides():
    frame, y, proba = world(1000)
    head = np.clip(proba * 0.9, 0, 1)
    comparison = compare_scores(frame, y, proba, head, DATA, EVALUATE, BOOT)
    assert comparison.rows == 1000
    assert comparison.positive_rate == pytest.approx(y.mean())
    assert set(comparison.changes) == set(METRICS)
    assert np.array_equal(comparison.base_proba, proba)
    assert np.array_equal(comparison.head_proba, head)
    assert set(comparison.base_slices) == set(comparison.head_slices) == {"g"}
    assert comparison.base_slices != comparison.head_slices


def test_the_worst_end_of_the_interval_depends_on_the_metrics_direction():
    auc = Change("roc_auc", 0.90, 0.91, -0.004, 0.02, 0.95)
    loss = Change("log_loss", 0.30, 0.29, -0.02, 0.003, 0.95)
    assert auc.delta == pytest.approx(0.01)
    assert (auc.worst, loss.worst) == (-0.004, 0.003)
    assert auc.as_dict() == {"base": 0.9, "head": 0.91, "change": 0.01, "ci_low": -0.004,
                             "ci_high": 0.02, "confidence": 0.95}  # fmt: skip


def test_resamples_without_both_classes_are_left_out_of_the_interval():
    y = np.array([1] + [0] * 29)  # most resamples hold no positive: AUC undefined
    p = np.linspace(0.9, 0.1, 30)
    changes = paired_bootstrap(y, p, p[::-1], 0.5, BOOT)
    auc = changes["roc_auc"]
    assert np.isfinite([auc.low, auc.high]).all()
    assert auc.low <= auc.delta <= auc.high
    no_weight = np.zeros(30)
    assert np.isnan(weighted_roc_auc(y.astype(float), _grouped(p), no_weight))


def test_each_model_gets_its_own_columns():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400), "g": "x"})
    frame["y"] = ((frame["a"] + 0.5 * frame["b"]) > 0).astype(int)
    champion = make_pipeline(LogisticRegression()).fit(frame[["a"]], frame["y"])
    challenger = make_pipeline(LogisticRegression()).fit(frame[["b", "a"]], frame["y"])
    comparison = compare_models(champion, challenger, frame, DATA, EVALUATE, BOOT)
    assert np.array_equal(comparison.base_proba, champion.predict_proba(frame[["a"]])[:, 1])
    assert np.array_equal(comparison.head_proba, challenger.predict_proba(frame[["b", "a"]])[:, 1])
    assert comparison.changes["roc_auc"].delta > 0  # b helps
    with pytest.raises(DataError, match=r"^champion model needs column 'a'"):
        compare_models(champion, challenger, frame.drop(columns=["a"]), DATA, EVALUATE, BOOT)


def test_past_max_rows_each_resample_draws_max_rows_and_the_interval_is_rescaled():
    """m-out-of-n: on 60,000 rows, resamples of 10,000 rows rescaled by sqrt(m/n) give the
    interval that full resamples give (within the bootstrap's own noise), at a sixth of
    the rows per resample; the point values are the full rows' own."""
    rng = np.random.default_rng(7)
    n = 60_000
    y = (rng.random(n) < 0.25).astype(np.float64)
    base = np.clip(0.25 + 0.35 * (y - 0.25) + rng.normal(0, 0.2, n), 0.001, 0.999)
    head = np.clip(base + 0.05 * (y - 0.5) + rng.normal(0, 0.05, n), 0.001, 0.999)
    full = paired_bootstrap(y, base, head, 0.5, BOOT.model_copy(update={"max_rows": 100_000}))
    drawn = paired_bootstrap(y, base, head, 0.5, BOOT.model_copy(update={"max_rows": 10_000}))
    for metric in METRICS:
        assert drawn[metric].base == full[metric].base  # point values: all rows
        assert drawn[metric].head == full[metric].head
        width = full[metric].high - full[metric].low
        assert width > 0, metric
        assert drawn[metric].high - drawn[metric].low == pytest.approx(width, rel=0.25), metric
        centre = (full[metric].high + full[metric].low) / 2
        assert (drawn[metric].high + drawn[metric].low) / 2 == pytest.approx(centre, abs=width / 4)
    # without the rescaling the interval of 10,000-row resamples would be sqrt(6) wider
    roc_width = full["roc_auc"].high - full["roc_auc"].low
    assert drawn["roc_auc"].high - drawn["roc_auc"].low < 0.6 * np.sqrt(6) * roc_width
