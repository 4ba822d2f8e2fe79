"""Metric functions shared by evaluate (one model) and the review loop (two models)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    f1_score,
    log_loss,
    roc_auc_score,
)

# Direction of each metric, so that comparisons never guess what "better" means.
HIGHER_IS_BETTER = {
    "roc_auc": True,
    "pr_auc": True,
    "accuracy": True,
    "f1": True,
    "log_loss": False,
    "brier": False,
}


def quality(y_true: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, float]:
    """Ranking, threshold and probability metrics of a binary classifier."""
    y_true = np.asarray(y_true)
    proba = np.asarray(proba, dtype=np.float64)
    if not np.all(np.isfinite(proba)):
        raise ValueError("predicted probabilities contain NaN or infinity")
    predicted = (proba >= threshold).astype(int)
    return {
        "roc_auc": float(roc_auc_score(y_true, proba)),
        "pr_auc": float(average_precision_score(y_true, proba)),
        "accuracy": float(accuracy_score(y_true, predicted)),
        "f1": float(f1_score(y_true, predicted, zero_division=0)),
        "log_loss": float(log_loss(y_true, np.clip(proba, 1e-15, 1 - 1e-15), labels=[0, 1])),
        "brier": float(brier_score_loss(y_true, proba)),
    }


def auc_by_score(pos: np.ndarray, neg: np.ndarray) -> float:
    """ROC AUC from the weight of positives and of negatives at each distinct score, in
    ascending order of score (ties count one half): the Mann-Whitney statistic."""
    below = np.cumsum(neg) - neg
    total = pos.sum() * neg.sum()
    return float(np.dot(pos, below + 0.5 * neg) / total) if total > 0 else float("nan")


def roc_auc(y_true: np.ndarray, proba: np.ndarray) -> float:
    """roc_auc_score's value (to float rounding; a test compares) for labels 0/1, at a
    fraction of its cost per call: for loops that score the same rows many times (the
    permutation importance calls it 65 times on the default data)."""
    y = np.asarray(y_true, dtype=np.float64)
    _, inverse = np.unique(proba, return_inverse=True)
    return auc_by_score(np.bincount(inverse, weights=y), np.bincount(inverse, weights=1 - y))


def rounded(values: dict[str, float], digits: int = 6) -> dict[str, float]:
    """Round for files in git: stable text, no float noise in diffs."""
    return {key: round(value, digits) for key, value in values.items()}
