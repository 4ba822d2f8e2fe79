"""Decay: the production model's quality on new labelled rows, against its quality on the
rows held out from its training (the reference test rows), with confidence intervals.

The metric comes from the review's scoring (review/scoring.py: the same weighted
metrics and the same bootstrap draws as the gate). The two sets of rows are different
rows, so the bootstrap is not paired: each set is resampled on its own stream and the
interval of the change is the percentile interval of (new - reference) over the
resamples. Decay is flagged only when the whole interval lies beyond `max_drop` on the
worse side: "worse, and by more than the tolerance, with 95% confidence".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlops.core.config import Bootstrap
from mlops.evaluate.metrics import HIGHER_IS_BETTER
from mlops.review.scoring import bootstrap_replicates

MIN_LABELLED = 50  # fewer labelled rows in a month: its point is not drawn


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    rows: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": round(self.value, 6),
            "ci_low": round(self.low, 6),
            "ci_high": round(self.high, 6),
            "rows": self.rows,
        }


@dataclass(frozen=True)
class Performance:
    metric: str
    confidence: float
    reference: Estimate
    current: Estimate
    change: Estimate  # current - reference
    by_month: dict[str, Estimate]

    def worse_by_more_than(self, max_drop: float) -> bool:
        """True when the whole CI of the change is beyond max_drop on the worse side."""
        if HIGHER_IS_BETTER[self.metric]:
            return self.change.high < -max_drop
        return self.change.low > max_drop

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "higher_is_better": HIGHER_IS_BETTER[self.metric],
            "confidence": self.confidence,
            "reference": self.reference.as_dict(),
            "current": self.current.as_dict(),
            "change": self.change.as_dict(),
            "by_month": [{"month": m, **e.as_dict()} for m, e in self.by_month.items()],
        }


def _interval(replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    finite = replicates[np.isfinite(replicates)]
    if not len(finite):
        return float("nan"), float("nan")
    alpha = (1 - confidence) / 2
    low, high = np.quantile(finite, [alpha, 1 - alpha])
    return float(low), float(high)


def _estimate(
    y: np.ndarray, p: np.ndarray, threshold: float, metric: str, cfg: Bootstrap, stream: int
) -> tuple[Estimate, np.ndarray]:
    value, replicates = bootstrap_replicates(y, p, threshold, metric, cfg, stream)
    low, high = _interval(replicates, cfg.confidence)
    return Estimate(value, low, high, len(y)), replicates


def has_both_classes(y: np.ndarray) -> bool:
    return len(np.unique(y)) == 2


def reference_quality(
    y: np.ndarray, p: np.ndarray, metric: str, threshold: float, cfg: Bootstrap
) -> tuple[Estimate, np.ndarray] | None:
    """The model on its held-out rows: the estimate and its bootstrap replicates."""
    if not has_both_classes(y):
        return None
    return _estimate(y, p, threshold, metric, cfg, 0)


def performance(
    reference_quality: tuple[Estimate, np.ndarray] | None,
    y: np.ndarray,
    p: np.ndarray,
    months: pd.Series,
    metric: str,
    threshold: float,
    cfg: Bootstrap,
) -> Performance | None:
    """Quality on the new rows vs the reference rows (`reference_quality()`), overall and
    per month; None when either cannot be scored (one class only: ROC AUC is undefined)."""
    if reference_quality is None or not has_both_classes(y):
        return None
    reference, ref_reps = reference_quality
    current, cur_reps = _estimate(y, p, threshold, metric, cfg, 1)
    low, high = _interval(cur_reps - ref_reps, cfg.confidence)
    change = Estimate(current.value - reference.value, low, high, len(y))
    by_month = {}
    month_values = months.astype(str).to_numpy()
    for k, month in enumerate(sorted(set(month_values))):
        rows = month_values == month
        if rows.all():  # one month: its estimate is the overall one
            by_month[month] = current
        elif rows.sum() >= MIN_LABELLED and has_both_classes(y[rows]):
            by_month[month], _ = _estimate(y[rows], p[rows], threshold, metric, cfg, 2 + k)
    return Performance(metric, cfg.confidence, reference, current, change, by_month)
