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
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from mlops.core.config import Data, Evaluate
from mlops.core.errors import DataError
from mlops.core.files import write_csv, write_json
from mlops.data.prepare import read_split
from mlops.evaluate.curves import PLOT_FILES, plot_data
from mlops.evaluate.metrics import quality, rounded
from mlops.evaluate.predict import input_columns, predict
from mlops.evaluate.slices import slice_metrics
from mlops.features.spec import FeatureSpec
from mlops.train.model_io import load_model


@dataclass(frozen=True)
class EvaluateOutputs:
    metrics: Path
    slices: Path
    runtime: Path
    plots: Path


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
    if input_columns(model) != features.columns:
        raise DataError(
            f"{model_path}: its input columns differ from the feature selection's inputs; "
            "rerun the train stage"
        )
    frame = read_split(test_csv)
    y = frame[data.target].to_numpy()
    if len(np.unique(y)) < 2:
        raise DataError(f"{test_csv}: column {data.target!r} holds one class only; cannot score")
    proba = predict(model, frame)
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
        write_csv(out.plots / PLOT_FILES[name], table, float_format="%.6g")
    write_json(out.runtime, timing)
    return metrics
