"""The data diff: drift by PSI (numeric on the base's deciles, categories with rare ones
pooled, missing values as a bin), and schema changes by column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops.review import datadiff
from support.review import DATA


def test_psi_of_a_constant_numeric_column_counts_missing_values():
    base = pd.Series([5.0] * 100)
    assert datadiff.psi(base, base) == pytest.approx(0.0)
    with_gaps = pd.Series([5.0] * 50 + [np.nan] * 50)
    assert datadiff.psi(base, with_gaps) > datadiff.PSI_SHIFT


def test_missing_values_are_a_bin_of_their_own():
    rng = np.random.default_rng(0)
    base = pd.Series(rng.normal(size=5000))
    head = base.copy()
    head[:1000] = np.nan  # same distribution otherwise, 20 % now missing
    assert datadiff.psi(base, head) > datadiff.PSI_WATCH


def test_rare_categories_are_pooled():
    common = ["x"] * 600 + ["y"] * 396
    base = pd.Series([*common, "r1", "r2", "r3", "r4"])  # each rare one 0.1 %
    head = pd.Series([*common, "r5", "r6", "r7", "r8"])  # other rare ones, same share
    assert datadiff.psi(base, head) == pytest.approx(0.0, abs=1e-12)
    moved = pd.Series(["x"] * 300 + ["y"] * 700)
    assert datadiff.psi(base, moved) > datadiff.PSI_SHIFT


def test_psi_is_finite_when_a_bin_is_empty_on_one_side():
    base = pd.Series(["a"] * 50 + ["b"] * 50)
    head = pd.Series(["a"] * 100)
    value = datadiff.psi(base, head)
    assert np.isfinite(value)
    assert value > datadiff.PSI_SHIFT


def frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "row_id": np.arange(n), "month": "2025-01", "y": rng.integers(0, 2, n),
        "age": rng.normal(40, 10, n), "hours": rng.normal(40, 5, n).round().astype(int),
        "colour": rng.choice(["red", "blue"], n),
    })  # fmt: skip


def test_retyped_columns_and_drift_are_listed_worst_first():
    base = frame(2000)
    head = frame(2000, seed=1)
    head["hours"] = head["hours"].astype(float)  # int64 -> float64
    head["colour"] = np.where(np.arange(2000) < 1800, "red", "blue")  # a large shift
    d = datadiff.diff(base, head, DATA)
    assert d.dtype_changes == [("hours", "int64", "float64")]
    assert {c for c, _, _ in d.drift} == {"colour", "age", "hours"}  # not id, month, target
    assert d.drift[0][:2] == ("colour", "categorical")
    assert {kind for c, kind, _ in d.drift if c != "colour"} == {"numeric"}
    values = [v for _, _, v in d.drift]
    assert values == sorted(values, reverse=True)


def test_without_the_id_column_in_the_head_every_base_row_counts_as_removed():
    base = frame(100)
    head = frame(80).drop(columns=["row_id"])
    d = datadiff.diff(base, head, DATA)
    assert (d.added, d.removed) == (0, 100)
    assert d.columns_removed == ["row_id"]
