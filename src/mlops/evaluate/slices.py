"""Per-group (fairness) metrics: each group of each slice column, and the gaps between
groups, with fairlearn's MetricFrame. Groups under `evaluate.min_slice_size` are
flagged small: shown, never used for a gap."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, selection_rate
from sklearn.metrics import accuracy_score, recall_score, roc_auc_score

from mlops.core.config import Data, Evaluate

GAP_METRICS = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "accuracy",
    "roc_auc",
)


def _auc_or_none(y: np.ndarray, p: np.ndarray) -> float | None:
    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else None


def _fpr(y: np.ndarray, predicted: np.ndarray) -> float:
    negatives = y == 0
    return float(predicted[negatives].mean()) if negatives.any() else 0.0


def slice_metrics(
    frame: pd.DataFrame, y: np.ndarray, proba: np.ndarray, data: Data, cfg: Evaluate
) -> dict[str, Any]:
    """Per-group metrics and between-group gaps for each slice column (fairlearn)."""
    threshold = cfg.threshold

    def labelled(metric: Any) -> Any:
        """The metric of the labels the threshold gives, from the scores."""
        return lambda t, p: metric(t, (p >= threshold).astype(int))

    result: dict[str, Any] = {}
    for column in data.slices:
        groups = frame[column].astype("object").where(frame[column].notna(), "<missing>")
        # One MetricFrame for both kinds of metric: splitting the rows into groups is most
        # of its cost, and label metrics take the scores through the same threshold.
        table = MetricFrame(
            metrics={
                "accuracy": labelled(accuracy_score),
                "selection_rate": labelled(selection_rate),
                "true_positive_rate": labelled(lambda t, p: recall_score(t, p, zero_division=0)),
                "false_positive_rate": labelled(_fpr),
                "roc_auc": _auc_or_none,
            },
            y_true=y,
            y_pred=proba,
            sensitive_features=groups.to_numpy(),
        ).by_group
        sizes = groups.value_counts()
        rows = {}
        for group, values in table.iterrows():
            n = int(sizes[group])
            entry = {
                k: (None if v is None or pd.isna(v) else round(float(v), 6))
                for k, v in values.items()
            }
            rows[str(group)] = {"n": n, "small": n < cfg.min_slice_size, **entry}
        large = [g for g, r in rows.items() if not r["small"]]

        def gap(metric: str, large: list[str] = large, rows: dict[str, Any] = rows) -> float | None:
            values = [rows[g][metric] for g in large if rows[g][metric] is not None]
            return round(max(values) - min(values), 6) if len(values) >= 2 else None

        result[column] = {
            "groups": rows,
            "gaps": {m: gap(m) for m in GAP_METRICS},
        }
    return result
