"""Train: fit the model type chosen in params.yaml on the train split, save it with skops."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from mlops.core.config import Data, Train
from mlops.core.errors import DataError
from mlops.core.files import write_json
from mlops.data.prepare import read_split
from mlops.features.spec import FeatureSpec
from mlops.train.model_io import save_model
from mlops.train.models import model_types


def build_model(features: FeatureSpec, cfg: Train) -> Pipeline:
    """An unfitted Pipeline of the model type and hyperparameters chosen in params.yaml."""
    kind = model_types()[cfg.model]
    return kind.build(features, cfg.hyperparameters, cfg.seed)


def fit(
    train_csv: Path | str, features: FeatureSpec, data: Data, cfg: Train
) -> tuple[Pipeline, dict[str, Any]]:
    """Fit a fresh model; return it with facts about the fit."""
    frame = read_split(train_csv)
    missing = [c for c in features.columns if c not in frame.columns]
    if missing:
        raise DataError(f"{train_csv}: feature column {missing[0]!r} is missing")
    y = frame[data.target].to_numpy()
    if len(np.unique(y)) < 2:
        raise DataError(f"{train_csv}: column {data.target!r} holds one class only")
    model = build_model(features, cfg)
    start = time.perf_counter()
    workers = None
    if cfg.engine == "dask":
        model, workers = _fit_on_cluster(model, train_csv, frame, features, data, cfg)
    else:
        fit_params = model_types()[cfg.model].fit_params
        model.fit(frame[features.columns], y, **(fit_params(features) if fit_params else {}))
    seconds = time.perf_counter() - start
    after_fit = model_types()[cfg.model].after_fit
    if after_fit is not None:
        after_fit(model)
    facts: dict[str, Any] = {
        "model": cfg.model,
        "engine": cfg.engine if workers is None else f"dask ({workers} workers)",
        "rows": len(frame),
        "features": len(features.features),
        "fit_seconds": round(seconds, 3),
    }
    iterations = getattr(model[-1], "n_iter_", None)
    if iterations is not None:
        facts["iterations"] = int(np.max(iterations))
    return model, facts


def _fit_on_cluster(
    model: Pipeline,
    path: Path | str,
    frame: Any,
    features: FeatureSpec,
    data: Data,
    cfg: Train,
) -> tuple[Pipeline, int]:
    """The fitted Pipeline and how many workers the cluster had."""
    from mlops.train.engine import dask_client, partitioned

    fit_on_cluster = model_types()[cfg.model].fit_on_cluster
    assert fit_on_cluster is not None  # params validation refuses the others
    with dask_client(cfg.dask) as client:
        rows = partitioned(path, frame, cfg.dask)
        fitted: Pipeline = fit_on_cluster(model, rows, data.target, features, client)
        workers = len(client.scheduler_info()["workers"])
    return fitted, workers


def train(
    train_csv: Path | str,
    features: FeatureSpec,
    data: Data,
    cfg: Train,
    model_out: Path | str,
    facts_out: Path | str,
) -> dict[str, Any]:
    model, facts = fit(train_csv, features, data, cfg)
    facts["model_bytes"] = save_model(model, model_out)
    write_json(facts_out, facts)
    return facts
