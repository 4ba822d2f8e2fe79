"""Both models on the same rows: the one place the report and the gate get their numbers.

The champion and the challenger score the challenger's test split. The split is a hash
of the row id, so old rows never move between train and test as data grows, and the
comparison is paired: row by row, the same truth. Uncertainty of every metric's change
comes from one paired bootstrap: resample rows with replacement (seeded), compute both
models' metric on the same resample, take percentiles of the difference.

Bootstrap resamples are drawn as per-row counts (weights), and each metric is written
for weighted rows, so one resample costs a few vector operations instead of a sklearn
call; test_scoring checks these weighted metrics against scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from mlops.core.config import Bootstrap, Data, Evaluate
from mlops.core.errors import DataError
from mlops.evaluate.metrics import HIGHER_IS_BETTER, auc_by_score
from mlops.evaluate.predict import predict
from mlops.evaluate.slices import slice_metrics

METRICS = tuple(HIGHER_IS_BETTER)
_EPS = 1e-15


def _grouped(p: np.ndarray) -> tuple[np.ndarray, int]:
    """Index of each row's distinct score, in ascending order of score."""
    _, inverse = np.unique(p, return_inverse=True)
    return inverse, int(inverse.max()) + 1


def _by_score(
    groups: tuple[np.ndarray, int], y: np.ndarray, w: np.ndarray | None, rows: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Weight of positives and of negatives at each distinct score: rows weighted by `w`
    (all rows), or the drawn `rows` (indices, repeats counted)."""
    inverse, k = groups
    if rows is not None:
        # only the distinct scores drawn: a draw costs m log m, whatever the n rows
        _, inverse = np.unique(inverse[rows], return_inverse=True)
        k, y, w = int(inverse.max()) + 1, y[rows], None
    pos = np.bincount(inverse, weights=y if w is None else w * y, minlength=k)
    neg = np.bincount(inverse, weights=(1 - y) if w is None else w * (1 - y), minlength=k)
    return pos, neg


def _average_precision(pos: np.ndarray, neg: np.ndarray) -> float:
    """Average precision (scikit-learn's step definition) from weights by ascending score."""
    tp, fp = np.cumsum(pos[::-1]), np.cumsum(neg[::-1])
    if tp[-1] <= 0:
        return float("nan")
    seen = (tp + fp) > 0
    precision = np.divide(tp, tp + fp, out=np.ones_like(tp), where=seen)
    recall_step = np.diff(np.concatenate([[0.0], tp / tp[-1]]))
    return float(np.dot(recall_step, precision))


def weighted_roc_auc(y: np.ndarray, groups: tuple[np.ndarray, int], w: np.ndarray) -> float:
    """ROC AUC with row weights (ties count one half), as the Mann-Whitney statistic."""
    return auc_by_score(*_by_score(groups, y, w, None))


def weighted_average_precision(
    y: np.ndarray, groups: tuple[np.ndarray, int], w: np.ndarray
) -> float:
    """Average precision (scikit-learn's step definition) with row weights."""
    return _average_precision(*_by_score(groups, y, w, None))


class _Rows:
    """Per-row quantities of one model that every weighted metric needs."""

    def __init__(self, y: np.ndarray, p: np.ndarray, threshold: float) -> None:
        clipped = np.clip(p, _EPS, 1 - _EPS)
        predicted = (p >= threshold).astype(np.float64)
        self.y = y
        self.groups = _grouped(p)
        self.log_loss = -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))
        self.brier = (p - y) ** 2
        self.correct = (predicted == y).astype(np.float64)
        self.tp, self.fp = predicted * y, predicted * (1 - y)
        self.fn = (1 - predicted) * y

    def metric(self, name: str, w: np.ndarray) -> float:
        return self.metrics(w, None, (name,))[0]

    def metrics(
        self, w: np.ndarray | None, rows: np.ndarray | None, names: tuple[str, ...] = METRICS
    ) -> list[float]:
        """`names` on the rows weighted by `w`, or on the drawn `rows` (indices): the two
        curve metrics share one pass over the scores."""

        def total(per_row: np.ndarray) -> float:
            return float(per_row[rows].sum() if w is None else np.dot(w, per_row))

        if w is None:
            assert rows is not None  # weights or drawn rows: one of the two
            weight = float(len(rows))
        else:
            weight = float(w.sum())
        curve = (
            _by_score(self.groups, self.y, w, rows) if {"roc_auc", "pr_auc"} & set(names) else None
        )
        out = []
        for name in names:
            if name == "roc_auc":
                assert curve is not None
                out.append(auc_by_score(*curve))
            elif name == "pr_auc":
                assert curve is not None
                out.append(_average_precision(*curve))
            elif name == "f1":
                tp, fp, fn = total(self.tp), total(self.fp), total(self.fn)
                out.append(float(2 * tp / (2 * tp + fp + fn)) if tp > 0 else 0.0)
            else:
                per_row = {"log_loss": self.log_loss, "brier": self.brier,
                           "accuracy": self.correct}[name]  # fmt: skip
                out.append(total(per_row) / weight)
        return out


@dataclass(frozen=True)
class Change:
    """head - base for one metric, with its paired bootstrap interval."""

    metric: str
    base: float
    head: float
    low: float
    high: float
    confidence: float

    @property
    def delta(self) -> float:
        return self.head - self.base

    @property
    def worst(self) -> float:
        """The end of the interval that is worst for the head (most negative improvement)."""
        return self.low if HIGHER_IS_BETTER[self.metric] else self.high

    def as_dict(self) -> dict[str, Any]:
        return {
            "base": round(self.base, 6),
            "head": round(self.head, 6),
            "change": round(self.delta, 6),
            "ci_low": round(self.low, 6),
            "ci_high": round(self.high, 6),
            "confidence": self.confidence,
        }


def paired_bootstrap(
    y: np.ndarray, base: np.ndarray, head: np.ndarray, threshold: float, cfg: Bootstrap
) -> dict[str, Change]:
    """Every metric's (head - base) with a percentile interval from paired resamples."""
    y = np.asarray(y, dtype=np.float64)
    rows_base, rows_head = _Rows(y, base, threshold), _Rows(y, head, threshold)
    n = len(y)
    ones = np.ones(n)
    point_base = dict(zip(METRICS, rows_base.metrics(ones, None), strict=True))
    point_head = dict(zip(METRICS, rows_head.metrics(ones, None), strict=True))
    rng = np.random.default_rng(cfg.seed)
    diffs = np.empty((cfg.resamples, len(METRICS)))
    for b in range(cfg.resamples):
        w, rows = _resample(rng, n, cfg)
        diffs[b] = np.subtract(rows_head.metrics(w, rows), rows_base.metrics(w, rows))
    if n > cfg.max_rows:
        point = np.array([point_head[m] - point_base[m] for m in METRICS])
        diffs = _rescaled(diffs, point, cfg.max_rows, n)
    alpha = (1 - cfg.confidence) / 2
    out = {}
    for j, m in enumerate(METRICS):
        column = diffs[:, j][np.isfinite(diffs[:, j])]
        low, high = np.quantile(column, [alpha, 1 - alpha]) if len(column) else (np.nan,) * 2
        out[m] = Change(m, point_base[m], point_head[m], float(low), float(high), cfg.confidence)
    return out


def _resample(
    rng: np.random.Generator, n: int, cfg: Bootstrap
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """One bootstrap draw: per-row counts of n rows drawn from n (weights), or, past
    `cfg.max_rows`, the indices of max_rows rows drawn from n (m-out-of-n): each draw then
    costs max_rows, not n."""
    if n <= cfg.max_rows:
        return np.bincount(rng.integers(0, n, size=n), minlength=n).astype(np.float64), None
    return None, rng.integers(0, n, size=cfg.max_rows)


def _rescaled(replicates: np.ndarray, point: np.ndarray, m: int, n: int) -> np.ndarray:
    """m-out-of-n bootstrap (Bickel, Goetze & van Zwet 1997): a statistic on m of n rows
    spreads sqrt(n/m) times wider than on all n, so the replicates' deviations from the
    full-data value are shrunk by sqrt(m/n) before their percentiles are taken."""
    rescaled: np.ndarray = point + (replicates - point) * np.sqrt(m / n)
    return rescaled


def prior_log_loss(y: np.ndarray) -> float:
    """Log loss of the trivial model that predicts the rows' positive rate for every row."""
    rate = float(np.mean(y))
    rate = min(max(rate, _EPS), 1 - _EPS)
    return float(-(rate * np.log(rate) + (1 - rate) * np.log(1 - rate)))


@dataclass(frozen=True)
class Comparison:
    """Champion (base) and challenger (head) scored on the same rows."""

    rows: int
    positive_rate: float
    changes: dict[str, Change]
    base_slices: dict[str, Any]
    head_slices: dict[str, Any]
    prior_log_loss: float
    base_proba: np.ndarray
    head_proba: np.ndarray
    y: np.ndarray


def compare_scores(
    frame: pd.DataFrame,
    y: np.ndarray,
    base_proba: np.ndarray,
    head_proba: np.ndarray,
    data: Data,
    evaluate: Evaluate,
    bootstrap: Bootstrap,
) -> Comparison:
    """Everything the report and the gate need, from the two models' probabilities."""
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        raise DataError(f"the scored rows hold one class of {data.target!r} only; cannot compare")
    for name, proba in (("champion", base_proba), ("challenger", head_proba)):
        if len(proba) != len(y) or not np.all(np.isfinite(proba)):
            raise DataError(f"{name} probabilities: wrong length or not finite")
    changes = paired_bootstrap(y, base_proba, head_proba, evaluate.threshold, bootstrap)
    return Comparison(
        rows=len(y),
        positive_rate=float(np.mean(y)),
        changes=changes,
        base_slices=slice_metrics(frame, y, base_proba, data, evaluate),
        head_slices=slice_metrics(frame, y, head_proba, data, evaluate),
        prior_log_loss=prior_log_loss(y),
        base_proba=np.asarray(base_proba, dtype=np.float64),
        head_proba=np.asarray(head_proba, dtype=np.float64),
        y=y,
    )


def compare_models(
    base: Pipeline,
    head: Pipeline,
    frame: pd.DataFrame,
    data: Data,
    evaluate: Evaluate,
    bootstrap: Bootstrap,
) -> Comparison:
    """Score both models on `frame` (the challenger's test split) and compare them."""
    y = frame[data.target].to_numpy()
    return compare_scores(
        frame,
        y,
        predict(base, frame, "champion"),
        predict(head, frame, "challenger"),
        data,
        evaluate,
        bootstrap,
    )


def bootstrap_replicates(
    y: np.ndarray, proba: np.ndarray, threshold: float, metric: str, cfg: Bootstrap, stream: int
) -> tuple[float, np.ndarray]:
    """One model's metric on its rows, and the metric on `cfg.resamples` bootstrap resamples
    of them (drawn as paired_bootstrap draws them). `stream` gives independent resamples
    from one seed: the monitor compares a model on two different sets of rows (new rows
    against the held-out reference), where no pairing exists."""
    rows = _Rows(np.asarray(y, dtype=np.float64), np.asarray(proba, dtype=np.float64), threshold)
    n = len(rows.y)
    rng = np.random.default_rng([cfg.seed, stream])
    replicates = np.empty(cfg.resamples)
    for b in range(cfg.resamples):
        w, drawn = _resample(rng, n, cfg)
        replicates[b] = rows.metrics(w, drawn, (metric,))[0]
    value = rows.metric(metric, np.ones(n))
    if n > cfg.max_rows:
        replicates = _rescaled(replicates, np.asarray(value), cfg.max_rows, n)
    return value, replicates
