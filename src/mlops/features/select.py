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

import numpy as np
import pandas as pd

from mlops.core.config import Data, Featurize
from mlops.core.errors import ConfigError, DataError
from mlops.core.files import write_json
from mlops.features.engineer import engineer

Kind = Literal["numeric", "categorical"]

# The rules work on integer codes of each column's distinct values (pandas.factorize:
# one hashing pass per column), then count with bincount: linear in rows, so ten million
# rows cost seconds, not the minutes that pairwise groupbys and sorts took.


def _kind(series: pd.Series) -> Kind:
    numeric = pd.api.types.is_numeric_dtype(series)
    return (
        "numeric"
        if numeric and not isinstance(series.dtype, pd.CategoricalDtype)
        else "categorical"
    )


def _codes(series: pd.Series) -> tuple[np.ndarray, int]:
    """Code of each row's value (-1 if missing) and the number of distinct values."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), len(uniques)


def _distinct(codes: np.ndarray, size: int) -> int:
    return int(np.count_nonzero(np.bincount(codes, minlength=size)))


def _is_duplicate(a: tuple[np.ndarray, int], b: tuple[np.ndarray, int]) -> bool:
    """True if a and b determine each other exactly (a relabelling, e.g. education-num),
    judged on the rows where both are present: as many distinct (a, b) pairs as distinct
    a values and as distinct b values."""
    (ca, na), (cb, nb) = a, b
    both = (ca >= 0) & (cb >= 0)
    if both.all():
        if na != nb:  # the common case, decided without touching the rows
            return False
    elif not both.any():
        return False
    else:
        ca, cb = ca[both], cb[both]
        na_seen, nb_seen = _distinct(ca, na), _distinct(cb, nb)
        if na_seen != nb_seen:
            return False
    pairs = ca * nb + cb
    n_pairs = _distinct(pairs, na * nb) if na * nb <= 1 << 24 else len(pd.unique(pairs))
    return n_pairs == _distinct(ca, na) == _distinct(cb, nb)


def _auc_of_groups(score: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> float:
    """ROC AUC (ties count one half) when rows come in groups that share a score: the
    Mann-Whitney statistic over the distinct scores, in ascending order."""
    distinct, inverse = np.unique(score, return_inverse=True)
    pos = np.bincount(inverse, weights=pos, minlength=len(distinct))
    neg = np.bincount(inverse, weights=neg, minlength=len(distinct))
    below = np.cumsum(neg) - neg
    total = pos.sum() * neg.sum()
    return float(np.dot(pos, below + 0.5 * neg) / total)


def single_feature_auc(x: pd.Series, y: pd.Series) -> float:
    """AUC of the column alone (categories scored by their label rate), folded to >= 0.5."""
    labels = np.asarray(y, dtype=np.int64)
    if _kind(x) == "numeric":
        values = x.fillna(x.median()).to_numpy(dtype=np.float64)
        codes, uniques = pd.factorize(values)
        pos = np.bincount(codes, weights=labels, minlength=len(uniques))
        rows = np.bincount(codes, minlength=len(uniques)).astype(np.float64)
        score = np.asarray(uniques, dtype=np.float64)
    else:
        codes, groups = pd.factorize(x, use_na_sentinel=False)  # missing: a group of its own
        pos = np.bincount(codes, weights=labels, minlength=len(groups))
        rows = np.bincount(codes, minlength=len(groups)).astype(np.float64)
        score = pos / rows
    auc = _auc_of_groups(score, pos, rows - pos)
    return max(auc, 1.0 - auc)


def select_features(train: pd.DataFrame, data: Data, cfg: Featurize) -> dict[str, Any]:
    """Apply the rules; return the selection with a reason for every dropped column."""
    special = {data.id_column, data.time_column, data.target}
    if data.group_column is not None:
        special.add(data.group_column)
    unknown = sorted(set(cfg.exclude) - set(train.columns))
    if unknown:
        raise ConfigError(f"params.yaml: featurize.exclude: {unknown[0]!r} is not a column")
    inputs = [c for c in train.columns if c not in special and c not in cfg.exclude]
    train = engineer(train)
    y = train[data.target]
    kept: dict[str, Kind] = {}
    codes: dict[str, tuple[np.ndarray, int]] = {}
    dropped: dict[str, str] = {}
    for column in train.columns:
        x = train[column]
        if column == data.group_column:
            dropped[column] = "not a feature: group of rows (data.group_column)"
            continue
        if column in special:
            dropped[column] = "not a feature: row id, time or target"
            continue
        if column in cfg.exclude:
            dropped[column] = f"excluded in params: {cfg.exclude[column]}"
            continue
        codes[column] = _codes(x)
        if (rate := float(np.mean(codes[column][0] < 0))) > cfg.max_missing_rate:
            dropped[column] = f"too sparse: {rate:.0%} missing > {cfg.max_missing_rate:.0%}"
        elif codes[column][1] <= 1:
            dropped[column] = "constant"
        elif twin := next((k for k in kept if _is_duplicate(codes[k], codes[column])), None):
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
