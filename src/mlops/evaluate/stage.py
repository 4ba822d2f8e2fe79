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
from sklearn.pipeline import Pipeline

from mlops.core.config import DaskEngine, Data, Evaluate
from mlops.core.errors import DataError
from mlops.core.files import write_csv, write_json
from mlops.core.progress import progress
from mlops.data.prepare import read_split
from mlops.evaluate.curves import PLOT_FILES, plot_data
from mlops.evaluate.metrics import quality, roc_auc, rounded
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


def _widths(transformer: Any, n: int) -> list[int] | None:
    """How many output columns each of the n input columns of a fitted transformer gives,
    when every output is computed from one input column alone (elementwise encoders and
    scalers, and Pipelines of them); None for any other transformer."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline as Steps
    from sklearn.preprocessing import (
        FunctionTransformer,
        OneHotEncoder,
        OrdinalEncoder,
        StandardScaler,
    )

    if isinstance(transformer, str):
        return [1] * n if transformer == "passthrough" else None
    if isinstance(transformer, FunctionTransformer) and transformer.func is None:
        return [1] * n  # how a fitted ColumnTransformer holds "passthrough"
    if isinstance(transformer, Steps):
        widths = [1] * n
        for _, step in transformer.steps:
            inner = _widths(step, sum(widths))
            if inner is None or (set(inner) != {1} and set(widths) != {1}):
                return None
            widths = widths if set(inner) == {1} else inner
        return widths
    if isinstance(transformer, OrdinalEncoder | StandardScaler):
        return [1] * n
    if isinstance(transformer, SimpleImputer) and not transformer.add_indicator:
        return [1] * n  # a column it drops (all missing) shows in the total width
    if (
        isinstance(transformer, OneHotEncoder)
        and transformer.drop is None
        and not getattr(transformer, "_infrequent_enabled", False)
    ):
        return [len(categories) for categories in transformer.categories_]
    return None


def encoded_columns(
    model: Pipeline, rows: pd.DataFrame
) -> tuple[np.ndarray, list[list[int]]] | None:
    """The rows as the model's last step sees them, and for each column of `rows` the
    encoded columns computed from it alone (none: the model never looks at it).

    Only when that is what the model does: its steps before the last leave the rows as
    they are (feature engineering that derives nothing, the default) up to one fitted
    ColumnTransformer of per-column encoders with a dense output. Then shuffling a column
    and encoding the rows gives the encoded rows with that column's encoded columns
    shuffled the same way, exactly. Else None."""
    from sklearn.compose import ColumnTransformer

    steps = [step for _, step in model.steps[:-1]] if isinstance(model, Pipeline) else []
    if not steps or not isinstance(steps[-1], ColumnTransformer):
        return None
    for step in steps[:-1]:
        out = step.transform(rows)
        if not (isinstance(out, pd.DataFrame) and out.columns.equals(rows.columns)):
            return None
        if not out.equals(rows):
            return None
    encoder = steps[-1]
    encoded = encoder.transform(rows)
    if not isinstance(encoded, np.ndarray) or encoded.ndim != 2:
        return None
    position = {column: i for i, column in enumerate(rows.columns)}
    groups: list[list[int]] = [[] for _ in rows.columns]
    for name, transformer, columns in encoder.transformers_:
        if isinstance(transformer, str) and transformer == "drop":
            continue
        if not isinstance(columns, list | tuple | np.ndarray | pd.Index):
            return None  # a slice or a callable: not worth resolving here
        names = [rows.columns[int(c)] if isinstance(c, int | np.integer) else c for c in columns]
        widths = _widths(transformer, len(names))
        where = encoder.output_indices_[name]
        if widths is None or sum(widths) != where.stop - where.start:
            return None
        start = where.start
        for column, width in zip(names, widths, strict=True):
            if column not in position:
                return None
            groups[position[column]].extend(range(start, start + width))
            start += width
    return encoded, groups


def _distinct(rows: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the first of each distinct (row, codes) pair, and for every pair the
    position of its first among them. The repeats of a shuffle often give a row the same
    new value again (a column of two values: always the other one); the same input gives
    the same score, so each distinct one is scored once (~0.7x of the rows on the default
    data). Pairs are compared by their bytes: equal bytes are the same input. An object
    array (nullable integers from Parquet) holds Python objects, not values, in its bytes:
    each pair is then its own."""
    if codes.dtype == object:
        every = np.arange(len(rows))
        return every, every
    pair_bytes = np.hstack([
        rows.astype(np.int64).reshape(-1, 1).view(np.uint8),
        np.ascontiguousarray(codes).view(np.uint8).reshape(len(rows), -1),
    ])  # fmt: skip
    width = pair_bytes.shape[1]
    key = np.ascontiguousarray(pair_bytes).view(np.dtype((np.void, width))).ravel()
    _, first, back = np.unique(key, return_index=True, return_inverse=True)
    return first, back.ravel()


def importance(
    model: Pipeline,
    frame: pd.DataFrame,
    y: np.ndarray,
    features: FeatureSpec,
    cfg: Evaluate,
    seed: int,
    encoded: bool = True,
    proba: np.ndarray | None = None,
) -> pd.DataFrame:
    """Permutation importance on the test split: drop in ROC AUC when a column is shuffled.

    On at most `evaluate.importance_rows` rows (a seeded sample): the ranking of the
    columns and the size of each drop are settled long before millions of rows, while
    the cost grows with rows x columns x repeats. The repeats of one column are scored
    in one call (rows stacked), which saves the model's per-call overhead.

    encoded: when the model encodes each column on its own (encoded_columns), the rows
    are encoded once and each shuffle is applied to the encoded columns, and only the
    rows whose encoded values the shuffle changed are scored again, each distinct
    (row, new value) once (a row's score depends on that row alone; a column the model
    never looks at changes none): the same numbers as scoring every shuffled row with
    the whole model (a test compares), for ~0.3x of its time on the default data.

    proba: the model's scores of `frame`, if already computed: the baseline when every
    row is kept."""
    rng = np.random.RandomState(seed)
    rows = frame[features.columns]
    if len(rows) > cfg.importance_rows:
        keep = np.sort(rng.choice(len(rows), size=cfg.importance_rows, replace=False))
        rows, y, proba = rows.iloc[keep], y[keep], None
    rows = rows.reset_index(drop=True)
    n, repeats = len(rows), cfg.importance_repeats
    baseline_proba = model.predict_proba(rows)[:, 1] if proba is None else proba
    baseline = roc_auc(y, baseline_proba)
    fast = encoded_columns(model, rows) if encoded else None
    stacked = pd.concat([rows] * repeats, ignore_index=True) if fast is None else None
    means, stds = [], []
    with progress("importance", len(features.columns), unit="columns") as bar:
        for i, column in enumerate(features.columns):
            # Drawn for every column, used or not: each column's shuffles do not depend on
            # which path scores them.
            order = np.concatenate([rng.permutation(n) for _ in range(repeats)])
            if fast is not None:
                matrix, groups = fast
                codes = matrix[:, groups[i]]  # this column's encoded columns, all rows
                before, after = np.tile(codes, (repeats, 1)), codes[order]
                # A row whose shuffled value is its own (a shuffle of a column with few
                # distinct values leaves many) scores as before: score only the others.
                # pd.isna: the matrix is an object array when nullable integers (as
                # Parquet reads them) pass through the encoder; the model is given it
                # as it is, as it was fitted on it (not converted: see the tests)
                moved = ((before != after) & ~(pd.isna(before) & pd.isna(after))).any(axis=1)
                proba = np.tile(baseline_proba, repeats)
                if moved.any():
                    changed = np.flatnonzero(moved)  # of the n x repeats stacked rows
                    source, codes_after = changed % n, after[changed]
                    first, back = _distinct(source, codes_after)
                    shuffled = matrix[source[first]]  # those rows, as copies
                    shuffled[:, groups[i]] = codes_after[first]
                    proba[changed] = model[-1].predict_proba(shuffled)[:, 1][back]
                proba = proba.reshape(repeats, n)
            else:
                assert stacked is not None
                original = rows[column].to_numpy()
                shuffled_rows = stacked.copy()
                shuffled_rows[column] = pd.Series(original[order], dtype=rows[column].dtype)
                proba = model.predict_proba(shuffled_rows)[:, 1].reshape(repeats, n)
            drops = np.asarray([baseline - roc_auc(y, p) for p in proba])
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
    # The baseline of the importance: this process's scores, not the cluster's.
    local = proba if engine is None else None
    curves["importance"] = importance(model, frame, y, features, cfg, seed, proba=local)
    timing = runtime(model, frame, features, model_path, cfg, batch_seconds)

    write_json(out.metrics, metrics)
    write_json(out.slices, slices)
    for name, table in curves.items():
        write_csv(out.plots / PLOT_FILES[name], table, float_format="%.6g")
    write_json(out.runtime, timing)
    return metrics
