"""Evaluate: score the model on the test split.

Writes quality metrics, per-slice (fairness) metrics with group sizes, plot data (ROC,
PR, calibration, confusion, permutation importance) and runtime figures (latency, size).
Quality metrics are deterministic; runtime figures are measurements and vary by machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, selection_rate
from sklearn.calibration import calibration_curve
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    accuracy_score,
    precision_recall_curve,
    recall_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.pipeline import Pipeline

from mlops.config import Data, Evaluate
from mlops.data.prepare import read_split
from mlops.errors import DataError
from mlops.features import FeatureSpec
from mlops.files import write_csv, write_json
from mlops.metrics import quality, rounded
from mlops.model_io import load_model


@dataclass(frozen=True)
class EvaluateOutputs:
    metrics: Path
    slices: Path
    runtime: Path
    plots: Path


def predict(model: Pipeline, frame: pd.DataFrame, features: FeatureSpec) -> np.ndarray:
    """Probability of the positive class for each row."""
    missing = [c for c in features.columns if c not in frame.columns]
    if missing:
        raise DataError(f"feature column {missing[0]!r} is missing from the scored rows")
    return model.predict_proba(frame[features.columns])[:, 1]


def _auc_or_none(y: np.ndarray, p: np.ndarray) -> float | None:
    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else None


def _fpr(y: np.ndarray, predicted: np.ndarray) -> float:
    negatives = y == 0
    return float(predicted[negatives].mean()) if negatives.any() else 0.0


def slice_metrics(
    frame: pd.DataFrame, y: np.ndarray, proba: np.ndarray, data: Data, cfg: Evaluate
) -> dict[str, Any]:
    """Per-group metrics and between-group gaps for each slice column (fairlearn)."""
    predicted = (proba >= cfg.threshold).astype(int)
    result: dict[str, Any] = {}
    for column in data.slices:
        groups = frame[column].astype("object").where(frame[column].notna(), "<missing>")
        by_label = MetricFrame(
            metrics={
                "accuracy": accuracy_score,
                "selection_rate": selection_rate,
                "true_positive_rate": lambda t, p: recall_score(t, p, zero_division=0),
                "false_positive_rate": _fpr,
            },
            y_true=y,
            y_pred=predicted,
            sensitive_features=groups.to_numpy(),
        )
        by_score = MetricFrame(
            metrics={"roc_auc": _auc_or_none},
            y_true=y,
            y_pred=proba,
            sensitive_features=groups.to_numpy(),
        )
        sizes = groups.value_counts()
        table = by_label.by_group.join(by_score.by_group)
        rows = {}
        for group, values in table.iterrows():
            n = int(sizes[group])
            entry = {
                k: (None if v is None or pd.isna(v) else round(float(v), 6))
                for k, v in values.items()
            }
            rows[str(group)] = {"n": n, "small": n < cfg.min_slice_size, **entry}
        large = [g for g, r in rows.items() if not r["small"]]

        def gap(metric: str, large: list[str] = large, rows: dict = rows) -> float | None:
            values = [rows[g][metric] for g in large if rows[g][metric] is not None]
            return round(max(values) - min(values), 6) if len(values) >= 2 else None

        result[column] = {
            "groups": rows,
            "gaps": {
                m: gap(m)
                for m in (
                    "selection_rate",
                    "true_positive_rate",
                    "false_positive_rate",
                    "accuracy",
                    "roc_auc",
                )
            },
        }
    return result


def plot_data(y: np.ndarray, proba: np.ndarray, cfg: Evaluate) -> dict[str, pd.DataFrame]:
    """Small, fixed-size curves: interpolated on a grid so the files stay a few KB."""
    grid = np.linspace(0.0, 1.0, cfg.curve_points)
    fpr, tpr, _ = roc_curve(y, proba)
    precision, recall, _ = precision_recall_curve(y, proba)
    order = np.argsort(recall, kind="stable")
    # Interpolated precision: the best precision reachable at recall >= r.
    best = np.maximum.accumulate(precision[order][::-1])[::-1]
    prob_true, prob_pred = calibration_curve(
        y, proba, n_bins=cfg.calibration_bins, strategy="uniform"
    )
    predicted = (proba >= cfg.threshold).astype(int)
    return {
        "roc": pd.DataFrame({"fpr": grid, "tpr": np.interp(grid, fpr, tpr)}),
        "pr": pd.DataFrame({"recall": grid, "precision": np.interp(grid, recall[order], best)}),
        "calibration": pd.DataFrame({"mean_predicted": prob_pred, "fraction_positive": prob_true}),
        "confusion": pd.DataFrame({"actual": y.astype(int), "predicted": predicted}),
    }


def importance(
    model: Pipeline,
    frame: pd.DataFrame,
    y: np.ndarray,
    features: FeatureSpec,
    cfg: Evaluate,
    seed: int,
) -> pd.DataFrame:
    """Permutation importance on the test split: drop in ROC AUC when a column is shuffled."""
    result = permutation_importance(
        model,
        frame[features.columns],
        y,
        scoring="roc_auc",
        n_repeats=cfg.importance_repeats,
        random_state=seed,
    )
    table = pd.DataFrame(
        {
            "feature": features.columns,
            "importance": result.importances_mean,
            "std": result.importances_std,
        }
    )
    return table.sort_values(["importance", "feature"], ascending=[False, True], kind="stable")


def runtime(
    model: Pipeline, frame: pd.DataFrame, features: FeatureSpec, model_path: Path, cfg: Evaluate
) -> dict[str, Any]:
    """Per-row latency (one row per call, as an online service sees it) and model size."""
    rows = frame[features.columns].head(cfg.latency_rows)
    timings = []
    for i in range(len(rows)):
        start = time.perf_counter()
        model.predict_proba(rows.iloc[i : i + 1])
        timings.append(time.perf_counter() - start)
    start = time.perf_counter()
    model.predict_proba(frame[features.columns])
    batch = time.perf_counter() - start
    ms = np.asarray(timings) * 1000
    return {
        "model_bytes": model_path.stat().st_size,
        "latency_ms_p50": round(float(np.percentile(ms, 50)), 3),
        "latency_ms_p95": round(float(np.percentile(ms, 95)), 3),
        "batch_rows_per_second": round(len(frame) / batch, 1),
    }


def evaluate(
    model_path: Path | str,
    test_csv: Path | str,
    features: FeatureSpec,
    data: Data,
    cfg: Evaluate,
    seed: int,
    out: EvaluateOutputs,
) -> dict[str, Any]:
    model_path = Path(model_path)
    model = load_model(model_path)
    frame = read_split(test_csv)
    y = frame[data.target].to_numpy()
    if len(np.unique(y)) < 2:
        raise DataError(f"{test_csv}: column {data.target!r} holds one class only; cannot score")
    proba = predict(model, frame, features)
    metrics = {
        **rounded(quality(y, proba, cfg.threshold)),
        "rows": len(frame),
        "positive_rate": round(float(y.mean()), 6),
    }
    slices = slice_metrics(frame, y, proba, data, cfg)
    curves = plot_data(y, proba, cfg)
    curves["importance"] = importance(model, frame, y, features, cfg, seed)
    timing = runtime(model, frame, features, model_path, cfg)

    write_json(out.metrics, metrics)
    write_json(out.slices, slices)
    for name, table in curves.items():
        write_csv(out.plots / f"{name}.csv", table, float_format="%.6g")
    write_json(out.runtime, timing)
    return metrics
