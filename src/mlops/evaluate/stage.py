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
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from mlops.core.config import DaskEngine, Data, Evaluate
from mlops.core.errors import DataError
from mlops.core.files import write_csv, write_json
from mlops.core.progress import progress
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
    """Permutation importance on the test split: drop in ROC AUC when a column is shuffled.

    On at most `evaluate.importance_rows` rows (a seeded sample): the ranking of the
    columns and the size of each drop are settled long before millions of rows, while
    the cost grows with rows x columns x repeats. The repeats of one column are scored
    in one call (rows stacked), which saves the model's per-call overhead."""
    rng = np.random.RandomState(seed)
    rows = frame[features.columns]
    if len(rows) > cfg.importance_rows:
        keep = np.sort(rng.choice(len(rows), size=cfg.importance_rows, replace=False))
        rows, y = rows.iloc[keep], y[keep]
    rows = rows.reset_index(drop=True)
    n, repeats = len(rows), cfg.importance_repeats
    baseline = roc_auc_score(y, model.predict_proba(rows)[:, 1])
    stacked = pd.concat([rows] * repeats, ignore_index=True)
    means, stds = [], []
    with progress("importance", len(features.columns), unit="columns") as bar:
        for column in features.columns:
            original = rows[column].to_numpy()
            order = np.concatenate([rng.permutation(n) for _ in range(repeats)])
            shuffled = stacked.copy()
            shuffled[column] = pd.Series(original[order], dtype=rows[column].dtype)
            proba = model.predict_proba(shuffled)[:, 1].reshape(repeats, n)
            drops = np.asarray([baseline - roc_auc_score(y, p) for p in proba])
            means.append(float(drops.mean()))
            stds.append(float(drops.std()))
            bar.update(1)
    table = pd.DataFrame({"feature": features.columns, "importance": means, "std": stds})
    return table.sort_values(["importance", "feature"], ascending=[False, True], kind="stable")


def runtime(
    model: Pipeline,
    frame: pd.DataFrame,
    features: FeatureSpec,
    model_path: Path,
    cfg: Evaluate,
    batch_seconds: float | None = None,
) -> dict[str, Any]:
    """Per-row latency (one row per call, as an online service sees it), batch throughput
    and model size. The evaluate stage passes the time its one scoring of the whole split
    took (`batch_seconds`) rather than scoring it a second time."""
    if batch_seconds is None:
        start = time.perf_counter()
        model.predict_proba(frame[features.columns])
        batch_seconds = time.perf_counter() - start
    rows = frame[features.columns].head(cfg.latency_rows)
    timings = []
    for i in range(len(rows)):
        start = time.perf_counter()
        model.predict_proba(rows.iloc[i : i + 1])
        timings.append(time.perf_counter() - start)
    ms = np.asarray(timings) * 1000
    return {
        "model_bytes": model_path.stat().st_size,
        "latency_ms_p50": round(float(np.percentile(ms, 50)), 3),
        "latency_ms_p95": round(float(np.percentile(ms, 95)), 3),
        "batch_rows_per_second": round(len(frame) / batch_seconds, 1),
    }


def evaluate(
    model_path: Path | str,
    test_csv: Path | str,
    features: FeatureSpec,
    data: Data,
    cfg: Evaluate,
    seed: int,
    out: EvaluateOutputs,
    engine: DaskEngine | None = None,
) -> dict[str, Any]:
    """engine: score the test split on that Dask cluster (`train.engine: dask`); the
    importance and the latency stay in this process (a few thousand rows, and latency is
    what one process serving one row sees)."""
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
    start = time.perf_counter()
    if engine is not None:
        from mlops.train.engine import predict_on_cluster

        proba = predict_on_cluster(model_path, frame, engine)
    else:
        proba = predict(model, frame)
    batch_seconds = time.perf_counter() - start
    metrics = {
        **rounded(quality(y, proba, cfg.threshold)),
        "rows": len(frame),
        "positive_rate": round(float(y.mean()), 6),
    }
    slices = slice_metrics(frame, y, proba, data, cfg)
    curves = plot_data(y, proba, cfg)
    curves["importance"] = importance(model, frame, y, features, cfg, seed)
    timing = runtime(model, frame, features, model_path, cfg, batch_seconds)

    write_json(out.metrics, metrics)
    write_json(out.slices, slices)
    for name, table in curves.items():
        write_csv(out.plots / PLOT_FILES[name], table, float_format="%.6g")
    write_json(out.runtime, timing)
    return metrics
