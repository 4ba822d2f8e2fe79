"""Featurize: choose the model's features and record why each other column is out.

The candidates are the columns of the train split after feature engineering
(features/engineer.py). The result (reports/features.json) is small and git-tracked, so
a PR that changes the feature set shows it in the diff. Rules, in order: excluded in
params (with the reason written there), too sparse, constant, a one-to-one duplicate of
a kept column, or so predictive alone that it must be a leak of the label.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pandas as pd
from sklearn.metrics import roc_auc_score

from mlops.core.config import Data, Featurize
from mlops.core.errors import ConfigError, DataError
from mlops.core.files import write_json
from mlops.features.engineer import engineer

Kind = Literal["numeric", "categorical"]


def _kind(series: pd.Series) -> Kind:
    return "numeric" if pd.api.types.is_numeric_dtype(series) else "categorical"


def _is_duplicate(a: pd.Series, b: pd.Series) -> bool:
    """True if a and b determine each other exactly (a relabelling, e.g. education-num)."""
    both = pd.DataFrame({"a": a, "b": b}).dropna()
    if both.empty:
        return False
    return bool(
        both.groupby("a")["b"].nunique().max() == 1 and both.groupby("b")["a"].nunique().max() == 1
    )


def single_feature_auc(x: pd.Series, y: pd.Series) -> float:
    """AUC of the column alone (categories scored by their label rate), folded to >= 0.5."""
    if _kind(x) == "numeric":
        score = x.fillna(x.median())
    else:
        filled = x.astype("object").where(x.notna(), "<missing>")
        score = filled.map(y.groupby(filled).mean())
    auc = float(roc_auc_score(y, score))
    return max(auc, 1.0 - auc)


def select_features(train: pd.DataFrame, data: Data, cfg: Featurize) -> dict[str, Any]:
    """Apply the rules; return the selection with a reason for every dropped column."""
    special = {data.id_column, data.time_column, data.target}
    unknown = sorted(set(cfg.exclude) - set(train.columns))
    if unknown:
        raise ConfigError(f"params.yaml: featurize.exclude: {unknown[0]!r} is not a column")
    inputs = [c for c in train.columns if c not in special and c not in cfg.exclude]
    train = engineer(train)
    y = train[data.target]
    kept: dict[str, Kind] = {}
    dropped: dict[str, str] = {}
    for column in train.columns:
        x = train[column]
        if column in special:
            dropped[column] = "not a feature: row id, time or target"
        elif column in cfg.exclude:
            dropped[column] = f"excluded in params: {cfg.exclude[column]}"
        elif (rate := float(x.isna().mean())) > cfg.max_missing_rate:
            dropped[column] = f"too sparse: {rate:.0%} missing > {cfg.max_missing_rate:.0%}"
        elif x.nunique(dropna=True) <= 1:
            dropped[column] = "constant"
        elif twin := next((k for k in kept if _is_duplicate(train[k], x)), None):
            dropped[column] = f"duplicate: one-to-one with {twin}"
        elif (auc := single_feature_auc(x, y)) > cfg.max_single_feature_auc:
            dropped[column] = f"leaky: AUC {auc:.3f} alone > {cfg.max_single_feature_auc}"
        else:
            kept[column] = _kind(x)
    if not kept:
        raise DataError("featurize: every column was dropped; see the reasons in features.json")
    return {
        "inputs": inputs,
        "numeric": [c for c, k in kept.items() if k == "numeric"],
        "categorical": [c for c, k in kept.items() if k == "categorical"],
        "dropped": dropped,
    }


def featurize(train: pd.DataFrame, data: Data, cfg: Featurize, out: Path | str) -> dict[str, Any]:
    selection = select_features(train, data, cfg)
    write_json(out, selection)
    return selection
