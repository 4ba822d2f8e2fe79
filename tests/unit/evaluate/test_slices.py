"""Per-group metrics: sizes, the small flag, gaps over large groups only, missing values
as a group of their own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops.core.config import Data, Evaluate
from mlops.evaluate.slices import GAP_METRICS, slice_metrics

DATA = Data(id_column="row_id", time_column="month", target="y", positive_label="1", slices=["g"])
EVALUATE = Evaluate(
    threshold=0.5, min_slice_size=100, calibration_bins=10, curve_points=101,
    importance_repeats=1, latency_rows=10,
)  # fmt: skip


def world(groups: list[tuple[object, int]], seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = np.concatenate([[g] * n for g, n in groups]).astype(object)
    n = len(labels)
    y = rng.integers(0, 2, n)
    proba = np.clip(y * 0.6 + rng.uniform(0, 0.4, n), 0, 1)
    return pd.DataFrame({"g": labels, "y": y}), y, proba


def test_groups_have_sizes_flags_and_metrics():
    frame, y, proba = world([("a", 600), ("b", 300), ("c", 40)])
    result = slice_metrics(frame, y, proba, DATA, EVALUATE)
    groups = result["g"]["groups"]
    assert {g: (r["n"], r["small"]) for g, r in groups.items()} == {
        "a": (600, False), "b": (300, False), "c": (40, True),
    }  # fmt: skip
    a = frame["g"] == "a"
    predicted = proba >= 0.5
    assert groups["a"]["selection_rate"] == pytest.approx(predicted[a].mean(), abs=1e-6)
    assert groups["a"]["accuracy"] == pytest.approx((predicted[a] == y[a]).mean(), abs=1e-6)
    positives = a & (y == 1)
    assert groups["a"]["true_positive_rate"] == pytest.approx(predicted[positives].mean(), abs=1e-6)
    negatives = a & (y == 0)
    assert groups["a"]["false_positive_rate"] == pytest.approx(
        predicted[negatives].mean(), abs=1e-6
    )


def test_gaps_leave_small_groups_out():
    frame, y, proba = world([("a", 600), ("b", 300), ("c", 40)])
    proba = proba.copy()
    proba[frame["g"] == "c"] = 0.0  # a small group the model gets completely wrong
    result = slice_metrics(frame, y, proba, DATA, EVALUATE)["g"]
    groups, gaps = result["groups"], result["gaps"]
    assert set(gaps) == set(GAP_METRICS)
    for metric in GAP_METRICS:
        large = [groups[g][metric] for g in ("a", "b")]
        assert gaps[metric] == pytest.approx(max(large) - min(large), abs=1e-6), metric
    assert groups["c"]["true_positive_rate"] == 0.0  # shown, but not part of any gap


def test_no_gap_with_fewer_than_two_large_groups():
    frame, y, proba = world([("a", 600), ("b", 50), ("c", 40)])
    gaps = slice_metrics(frame, y, proba, DATA, EVALUATE)["g"]["gaps"]
    assert gaps == dict.fromkeys(GAP_METRICS)


def test_missing_values_form_a_group_and_one_class_groups_have_no_auc():
    frame, y, proba = world([("a", 300), (None, 150)])
    y = y.copy()
    y[frame["g"].isna().to_numpy()] = 0  # the missing group holds negatives only
    groups = slice_metrics(frame, y, proba, DATA, EVALUATE)["g"]["groups"]
    assert set(groups) == {"a", "<missing>"}
    assert groups["<missing>"]["n"] == 150
    assert groups["<missing>"]["roc_auc"] is None
    assert groups["a"]["roc_auc"] is not None


def test_every_slice_column_of_params_is_reported():
    frame, y, proba = world([("a", 200), ("b", 200)])
    frame["h"] = np.where(np.arange(len(frame)) % 2, "odd", "even")
    data = DATA.model_copy(update={"slices": ["g", "h"]})
    result = slice_metrics(frame, y, proba, data, EVALUATE)
    assert set(result) == {"g", "h"}
    assert set(result["h"]["groups"]) == {"odd", "even"}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_group_metrics_equal_fairlearn_metricframe(seed):
    """The oracle: fairlearn's MetricFrame with scikit-learn's metrics, on groups of
    every kind (one-class, missing, tiny, numeric labels), gives the same numbers."""
    from fairlearn.metrics import MetricFrame, selection_rate
    from sklearn.metrics import accuracy_score, recall_score, roc_auc_score

    from mlops.evaluate.slices import group_metrics

    rng = np.random.default_rng(seed)
    frame, y, proba = world([("a", 700), ("b", 250), ("c", 3), (7, 90), (None, 60)], seed)
    y = y.copy()
    y[frame["g"].isna().to_numpy()] = 1  # one class only: no AUC
    y[(frame["g"] == 7).to_numpy()] = 0  # no positives: recall 0 by zero_division
    proba = np.where(rng.random(len(y)) < 0.2, 0.5, proba)  # ties, and scores on the threshold
    groups = frame["g"].astype("object").where(frame["g"].notna(), "<missing>")
    groups = groups.map(str)  # fairlearn sorts its groups: labels of one type

    def labels(metric):
        return lambda t, p: metric(t, (p >= 0.5).astype(int))

    def auc(t, p):
        return float(roc_auc_score(t, p)) if len(np.unique(t)) == 2 else None

    def fpr(t, p):
        return float(p[t == 0].mean()) if (t == 0).any() else 0.0

    expected = MetricFrame(
        metrics={
            "accuracy": labels(accuracy_score),
            "selection_rate": labels(selection_rate),
            "true_positive_rate": labels(lambda t, p: recall_score(t, p, zero_division=0)),
            "false_positive_rate": labels(fpr),
            "roc_auc": auc,
        },
        y_true=y, y_pred=proba, sensitive_features=groups.to_numpy(),
    ).by_group  # fmt: skip
    ours = group_metrics(groups, y, proba, 0.5)
    assert list(ours.index) == list(expected.index)
    assert ours["n"].tolist() == groups.value_counts()[ours.index].tolist()
    for column in expected.columns:
        for group in expected.index:
            want, got = expected.loc[group, column], ours.loc[group, column]
            if want is None or pd.isna(want):  # None: a one-class group's AUC
                assert got is None or pd.isna(got), (column, group)
            else:
                assert got == want, (column, group, got, want)  # bit for bit
