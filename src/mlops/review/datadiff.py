"""What changed in the data between two snapshots: rows, schema, missing rates, drift.

Rows are matched by the id column, so "added" and "removed" are exact, and counted per
value of the time column (month). Drift per feature is the population stability index
(PSI) of the head's distribution against the base's: numeric columns on the base's
deciles, categorical columns on their categories (rare ones pooled), missing values as
a bin of their own. PSI < 0.1 is usually read as stable, > 0.25 as a shift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlops.core.config import Data

PSI_WATCH, PSI_SHIFT = 0.1, 0.25
_FLOOR = 1e-4  # a bin empty on one side counts as this share, so PSI stays finite


@dataclass
class DataDiff:
    base_rows: int
    head_rows: int
    added: int
    removed: int
    by_period: list[dict[str, Any]]  # period, base, head, added, removed
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    dtype_changes: list[tuple[str, str, str]] = field(default_factory=list)
    missing: list[tuple[str, float, float]] = field(default_factory=list)  # changed only
    drift: list[tuple[str, str, float]] = field(default_factory=list)  # column, kind, psi


def _shares(counts: pd.Series, index: pd.Index) -> np.ndarray:
    values = counts.reindex(index, fill_value=0).to_numpy(dtype=np.float64)
    total = values.sum()
    shares: np.ndarray = np.maximum(values / total if total else values, _FLOOR)
    return shares


def psi(base: pd.Series, head: pd.Series, bins: int = 10, min_share: float = 0.01) -> float:
    """Population stability index of head against base (0 when identical)."""
    if pd.api.types.is_numeric_dtype(base) and pd.api.types.is_numeric_dtype(head):
        edges = np.unique(
            np.nanquantile(base.to_numpy(dtype=np.float64), np.linspace(0, 1, bins + 1))
        )
        if len(edges) < 2:
            b_bins = base.isna().map({True: "missing", False: "value"})
            h_bins = head.isna().map({True: "missing", False: "value"})
        else:
            inner = edges[1:-1]
            b_bins = pd.Series(np.digitize(base, inner), index=base.index).where(base.notna(), -1)
            h_bins = pd.Series(np.digitize(head, inner), index=head.index).where(head.notna(), -1)
    else:
        b_text = base.astype("object").where(base.notna(), "<missing>")
        h_text = head.astype("object").where(head.notna(), "<missing>")
        share = b_text.value_counts(normalize=True)
        common = set(share[share >= min_share].index)
        b_bins = b_text.where(b_text.isin(common), "<other>")
        h_bins = h_text.where(h_text.isin(common), "<other>")
    b_counts, h_counts = b_bins.value_counts(), h_bins.value_counts()
    index = b_counts.index.union(h_counts.index)
    p, q = _shares(b_counts, index), _shares(h_counts, index)
    return float(np.sum((q - p) * np.log(q / p)))


def diff(base: pd.DataFrame, head: pd.DataFrame, data: Data) -> DataDiff:
    key, period = data.id_column, data.time_column
    base_ids, head_ids = set(base[key]), set(head[key]) if key in head else set()
    added_mask = ~head[key].isin(base_ids) if key in head else pd.Series(False, index=head.index)
    removed_mask = ~base[key].isin(head_ids) if key in base else pd.Series(False, index=base.index)
    by_period: list[dict[str, Any]] = []
    if period in base.columns and period in head.columns:
        table = (
            pd.DataFrame(
                {
                    "base": base[period].value_counts(),
                    "head": head[period].value_counts(),
                    "added": head.loc[added_mask, period].value_counts(),
                    "removed": base.loc[removed_mask, period].value_counts(),
                }
            )
            .fillna(0)
            .astype(int)
        )
        table = table.sort_index()
        by_period = [
            {"period": str(p), **{str(k): v for k, v in row.items()}}
            for p, row in table.to_dict("index").items()
        ]
    out = DataDiff(
        base_rows=len(base),
        head_rows=len(head),
        added=int(added_mask.sum()),
        removed=int(removed_mask.sum()),
        by_period=by_period,
    )
    out.columns_added = [c for c in head.columns if c not in base.columns]
    out.columns_removed = [c for c in base.columns if c not in head.columns]
    shared = [c for c in head.columns if c in base.columns]
    for column in shared:
        if str(base[column].dtype) != str(head[column].dtype):
            out.dtype_changes.append((column, str(base[column].dtype), str(head[column].dtype)))
        before, after = float(base[column].isna().mean()), float(head[column].isna().mean())
        if round(before, 4) != round(after, 4):
            out.missing.append((column, before, after))
    special = {key, period, data.target}
    drift = [
        (
            c,
            "numeric" if pd.api.types.is_numeric_dtype(head[c]) else "categorical",
            psi(base[c], head[c]),
        )
        for c in shared
        if c not in special
    ]
    out.drift = sorted(drift, key=lambda item: (-round(item[2], 6), item[0]))
    return out
