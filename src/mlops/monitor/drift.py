"""How far new rows are from the reference, per input feature and for the predictions.

Distances, not tests: with thousands of rows a test rejects "no change at all" for any
change, however small, so its p-value says more about the row count than about the
drift. A distance says how far the distribution moved, and a threshold in params.yaml
says how far is too far. The distances come from SciPy (already in the lock through
scikit-learn); Evidently or NannyML would each add 40 to 50 packages to it:

- PSI, the population stability index, on bins fixed by the reference: numbers on the
  reference's quantiles, categories by value (those under `min_category_share` pooled
  into one bin, together with any value the reference never had), missing values as a
  bin of their own. PSI = KL(new || ref) + KL(ref || new), with scipy.special.rel_entr;
  a bin empty on one side counts as a tiny share so that it stays finite. It is the
  review's data-diff PSI (review/datadiff.py) with the bins kept, so that the serving
  process can count rows into the same bins online (monitor/online.py).
- Wasserstein distance (scipy.stats.wasserstein_distance) of the numbers, divided by the
  reference's standard deviation, so one threshold serves every column.
- Jensen-Shannon distance (scipy.spatial.distance.jensenshannon, base 2: 0 to 1) of the
  category shares.
- Data quality: missing share (and its increase), share of values in categories the
  reference never saw, share of numbers outside the reference's [min, max] (a text
  where a number belongs counts as out of range).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr
from scipy.stats import wasserstein_distance

FLOOR = 1e-4  # share given to a bin empty on one side (as review/datadiff.py)
MISSING, OTHER = "<missing>", "<other>"
NUMERIC, CATEGORICAL = "numeric", "categorical"


@dataclass(frozen=True)
class Bins:
    """Bins fixed by the reference: `edges` (inner quantile edges) for numbers, or
    `categories` for text. The last bin is always 'missing'; for text, the one before it
    is 'other' (rare or unseen categories)."""

    kind: str
    edges: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def labels(self) -> list[str]:
        if self.kind == NUMERIC:
            bounds = ["-inf", *(f"{e:g}" for e in self.edges), "inf"]
            return [f"[{a}, {b})" for a, b in pairwise(bounds)] + [MISSING]
        return [*self.categories, OTHER, MISSING]

    @property
    def size(self) -> int:
        # numbers: one bin more than inner edges; text: the categories and "other"; both:
        # "missing"
        return (len(self.edges) + 1 if self.kind == NUMERIC else len(self.categories) + 1) + 1

    def index(self, values: pd.Series) -> np.ndarray:
        """The bin of each value."""
        if self.kind == NUMERIC:
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
            out = np.searchsorted(np.asarray(self.edges), numbers, side="right")
            out[np.isnan(numbers)] = self.size - 1
            return out
        lookup = {c: i for i, c in enumerate(self.categories)}
        codes = values.astype("object").astype(str).map(lookup).fillna(len(self.categories))
        found: np.ndarray = codes.to_numpy(dtype=np.int64, copy=True)
        found[values.isna().to_numpy()] = self.size - 1
        return found

    def counts(self, values: pd.Series) -> np.ndarray:
        return np.bincount(self.index(values), minlength=self.size).astype(np.float64)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "edges": list(self.edges), "categories": list(self.categories)}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Bins:
        return cls(raw["kind"], tuple(raw["edges"]), tuple(raw["categories"]))


def is_numeric(values: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(values)) and not pd.api.types.is_bool_dtype(values)


def make_bins(reference: pd.Series, bins: int, min_share: float) -> Bins:
    """Bins for one column, from its reference values (see the module docstring)."""
    if is_numeric(reference):
        values = reference.dropna().to_numpy(dtype=np.float64)
        if len(values) == 0:
            return Bins(NUMERIC)
        edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)))
        return Bins(NUMERIC, tuple(float(e) for e in edges[1:-1]))
    shares = reference.dropna().astype(str).value_counts(normalize=True)
    common = sorted(str(c) for c in shares[shares >= min_share].index)
    return Bins(CATEGORICAL, categories=tuple(common))


def shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    share: np.ndarray = np.maximum(counts / total if total else counts, FLOOR)
    return share


def psi_from_counts(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of current against reference bin counts."""
    p, q = shares(reference), shares(current)
    return float(np.sum(rel_entr(q, p) + rel_entr(p, q)))


def js_from_counts(reference: np.ndarray, current: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2) between two sets of bin counts."""
    return float(jensenshannon(reference, current, base=2))


@dataclass(frozen=True)
class FeatureDrift:
    name: str
    kind: str
    psi: float
    wasserstein: float | None  # numbers: in reference standard deviations
    jensen_shannon: float | None  # categories
    missing_reference: float
    missing_current: float
    unseen_rate: float | None  # categories: values the reference never had
    out_of_range_rate: float | None  # numbers: outside the reference's [min, max]

    @property
    def missing_increase(self) -> float:
        return self.missing_current - self.missing_reference

    def as_dict(self) -> dict[str, Any]:
        def r(value: float | None) -> float | None:
            return None if value is None else round(value, 6)

        return {
            "name": self.name,
            "kind": self.kind,
            "psi": r(self.psi),
            "wasserstein": r(self.wasserstein),
            "jensen_shannon": r(self.jensen_shannon),
            "missing_reference": r(self.missing_reference),
            "missing_current": r(self.missing_current),
            "missing_increase": r(self.missing_increase),
            "unseen_rate": r(self.unseen_rate),
            "out_of_range_rate": r(self.out_of_range_rate),
        }


def _rate(mask: np.ndarray, of: np.ndarray) -> float:
    total = int(of.sum())
    return float((mask & of).sum() / total) if total else 0.0


@dataclass(frozen=True)
class ReferenceColumn:
    """What the drift figures need of one reference column, computed once and compared
    with any number of batches."""

    name: str
    bins: Bins
    counts: np.ndarray
    values: np.ndarray  # numbers: the non-missing values (Wasserstein); text: empty
    seen: frozenset[str]  # text: every value the reference has
    missing: float

    @classmethod
    def of(cls, reference: pd.Series, bins: int, min_share: float) -> ReferenceColumn:
        binning = make_bins(reference, bins, min_share)
        numeric = binning.kind == NUMERIC
        return cls(
            str(reference.name),
            binning,
            binning.counts(reference),
            reference.dropna().to_numpy(dtype=np.float64) if numeric else np.empty(0),
            frozenset() if numeric else frozenset(reference.dropna().astype(str)),
            float(reference.isna().mean()) if len(reference) else 0.0,
        )


def feature_drift(ref: ReferenceColumn, current: pd.Series) -> FeatureDrift:
    """Every figure of one input column (current: raw values, text as read)."""
    present = current.notna().to_numpy()
    missing = float(current.isna().mean()) if len(current) else 0.0
    if ref.bins.kind == NUMERIC:
        numbers = pd.to_numeric(current, errors="coerce")
        values = numbers.dropna().to_numpy(dtype=np.float64)
        low, high = (ref.values.min(), ref.values.max()) if len(ref.values) else (0.0, 0.0)
        # a text where a number belongs: out of range for quality, and in the PSI bins
        # counted with the missing values (it has no place among the numbers)
        outside = (
            numbers.isna().to_numpy() | (numbers < low).to_numpy() | (numbers > high).to_numpy()
        )
        distance = None
        if len(ref.values) and len(values):
            scale = float(np.std(ref.values)) or 1.0
            distance = float(wasserstein_distance(ref.values, values)) / scale
        return FeatureDrift(
            ref.name, NUMERIC, psi_from_counts(ref.counts, ref.bins.counts(numbers)),
            distance, None, ref.missing, missing, None, _rate(outside, present),
        )  # fmt: skip
    unseen = ~current.astype("object").astype(str).isin(ref.seen).to_numpy()
    counts = ref.bins.counts(current)
    return FeatureDrift(
        ref.name, CATEGORICAL, psi_from_counts(ref.counts, counts),
        None, js_from_counts(ref.counts, counts), ref.missing, missing,
        _rate(unseen, present), None,
    )  # fmt: skip


def input_drift(columns: list[ReferenceColumn], current: pd.DataFrame) -> list[FeatureDrift]:
    """Per reference column that the current rows have (a log without inputs has none)."""
    return [feature_drift(ref, current[ref.name]) for ref in columns if ref.name in current]


def score_psi(reference: np.ndarray, current: np.ndarray, bins: int) -> float:
    """PSI of the model's scores on new rows against its scores on the reference rows."""
    ref = ReferenceColumn.of(pd.Series(reference, dtype="float64", name="score"), bins, 0.0)
    return psi_from_counts(ref.counts, ref.bins.counts(pd.Series(current, dtype="float64")))
