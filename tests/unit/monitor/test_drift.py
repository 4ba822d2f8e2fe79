"""Drift distances: PSI as the review computes it, SciPy's Wasserstein and Jensen-Shannon,
quality rates; figures that must be zero are zero, and a shift is seen."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops.monitor.drift import (
    CATEGORICAL,
    NUMERIC,
    ReferenceColumn,
    feature_drift,
    make_bins,
    psi_from_counts,
    score_psi,
)  # fmt: skip
from mlops.review.datadiff import psi as review_psi

RNG = np.random.default_rng(0)
AGES = pd.Series(RNG.normal(40, 12, 20_000).round(), name="age").where(RNG.random(20_000) > 0.02)
JOBS = pd.Series(RNG.choice(["a", "b", "c", "rare"], 20_000, p=[0.5, 0.3, 0.195, 0.005]),
                 name="job")  # fmt: skip


def column(values: pd.Series) -> ReferenceColumn:
    return ReferenceColumn.of(values, 10, 0.01)


@pytest.mark.parametrize("reference", [AGES, JOBS])
def test_psi_is_the_review_data_diff_psi(reference):
    shifted = reference.sample(frac=1, random_state=1).iloc[:5000].copy()
    if reference.name == "age":
        shifted = shifted + 5
    else:
        shifted[shifted == "a"] = "c"
    ours = feature_drift(
        column(reference), shifted.astype("object").astype(str).where(shifted.notna())
    ).psi
    assert ours == pytest.approx(review_psi(reference, shifted), rel=1e-9)
    assert ours > 0.05


def test_identical_rows_drift_nothing():
    for values in (AGES, JOBS):
        figures = feature_drift(column(values), values)
        assert figures.psi == pytest.approx(0, abs=1e-12)
        assert figures.missing_increase == 0
        assert (figures.wasserstein or 0) == pytest.approx(0, abs=1e-12)
        assert (figures.jensen_shannon or 0) == pytest.approx(0, abs=1e-7)


def test_wasserstein_is_in_reference_standard_deviations():
    figures = feature_drift(column(AGES), AGES + 6)  # half a standard deviation (12)
    assert figures.kind == NUMERIC
    assert figures.wasserstein == pytest.approx(6 / AGES.std(ddof=0), rel=0.01)
    assert figures.jensen_shannon is None


def test_categories_jensen_shannon_unseen_and_pooled_rare_values():
    ref = column(JOBS)
    assert ref.bins.kind == CATEGORICAL
    assert ref.bins.categories == ("a", "b", "c")  # "rare" (0.5 %) pooled into "other"
    new = pd.Series(["a"] * 50 + ["b"] * 30 + ["UNSEEN"] * 10 + [None] * 10)
    figures = feature_drift(ref, new)
    assert figures.unseen_rate == pytest.approx(10 / 90)  # of the values present
    assert figures.missing_current == pytest.approx(0.1)
    assert 0 < figures.jensen_shannon < 1
    assert figures.out_of_range_rate is None


def test_numbers_out_of_range_and_text_where_a_number_belongs():
    new = pd.Series(["39", "41", "4000", "-100", "forty", None])
    figures = feature_drift(column(AGES), new)
    assert figures.out_of_range_rate == pytest.approx(3 / 5)  # 4000, -100 and "forty"
    assert figures.missing_current == pytest.approx(1 / 6)


def test_bins_are_reference_quantiles_plus_a_missing_bin():
    bins = make_bins(AGES, 10, 0.01)
    assert len(bins.edges) == 9
    assert bins.size == 11
    assert bins.labels[-1] == "<missing>"
    counts = bins.counts(AGES)
    assert counts.sum() == len(AGES)
    assert counts[-1] == AGES.isna().sum()


def test_psi_known_value_and_empty_bins_stay_finite():
    assert psi_from_counts(np.array([50.0, 50.0]), np.array([50.0, 50.0])) == 0
    value = psi_from_counts(np.array([50.0, 50.0]), np.array([75.0, 25.0]))
    assert value == pytest.approx((0.75 - 0.5) * np.log(1.5) + (0.25 - 0.5) * np.log(0.5))
    assert np.isfinite(psi_from_counts(np.array([100.0, 0.0]), np.array([0.0, 100.0])))


def test_score_psi():
    scores = RNG.beta(2, 5, 5000)
    assert score_psi(scores, scores, 10) == pytest.approx(0, abs=1e-12)
    assert score_psi(scores, np.clip(scores + 0.2, 0, 1), 10) > 0.5
