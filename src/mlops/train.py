"""Train: fit the Pipeline from model.py on the train split and save it with skops."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from mlops.config import Data, Train
from mlops.data.prepare import read_split
from mlops.errors import DataError
from mlops.features import FeatureSpec
from mlops.files import write_json
from mlops.model import build_model
from mlops.model_io import save_model


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
    model.fit(frame[features.columns], y)
    seconds = time.perf_counter() - start
    facts: dict[str, Any] = {
        "model": cfg.model,
        "rows": len(frame),
        "features": len(features.columns),
        "fit_seconds": round(seconds, 3),
    }
    iterations = getattr(model[-1], "n_iter_", None)
    if iterations is not None:
        facts["iterations"] = int(np.max(iterations))
    return model, facts


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
