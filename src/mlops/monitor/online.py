"""Drift the serving process computes online: the PSI of each input feature, and of the
model's scores, over a rolling window of the most recent scored rows.

The batch monitor (monitor/drift.py) and this window use the same bins and the same PSI,
fixed by the reference, so a gauge and a monitor report on the same rows agree (a test
checks it). What the server does with it:

    profile = Profile.read(path)                 # or reference_profile(params): see below
    window = RollingDrift(profile, params.monitor.online.window)
    window.add(inputs, score)                    # for each scored row, as it is logged
    window.feature_psi()  -> {feature: psi}      # gauge mlops_feature_psi{feature=...}
    window.prediction_psi() -> psi               # gauge mlops_prediction_psi
    window.rows                                  # gauge mlops_drift_window_rows

`alert_rules(params.monitor)` is the Prometheus rule group for those gauges, with the
thresholds of `monitor:` (drift.psi, prediction_psi, min_rows, online.alert_for).
The profile is small JSON (bins and reference counts), built from the production
model's training rows and its scores on the held-out rows; it holds no row of data.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from mlops.core.config import Monitor, Params
from mlops.core.errors import DataError
from mlops.core.files import read_json, write_json
from mlops.monitor.drift import NUMERIC, Bins, make_bins, psi_from_counts

SCORE_BINS_SHARE = 0.0  # scores are numbers: no category pooling


def bin_of(bins: Bins, value: object) -> int:
    """The bin of one value, exactly as Bins.index bins a column of them."""
    missing = bins.size - 1
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    if bins.kind == NUMERIC:
        try:
            number = float(str(value)) if not isinstance(value, int | float) else float(value)
        except ValueError:
            return missing  # a text where a number belongs: pd.to_numeric(coerce) makes it NaN
        if math.isnan(number):
            return missing
        return bisect.bisect_right(bins.edges, number)
    try:
        return bins.categories.index(str(value))
    except ValueError:
        return len(bins.categories)  # rare or unseen: "other"


@dataclass(frozen=True)
class Profile:
    """The reference, reduced to what online drift needs: bins and their counts."""

    features: dict[str, Bins]
    counts: dict[str, list[float]]
    score_bins: Bins
    score_counts: list[float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": {
                name: {**bins.to_dict(), "counts": self.counts[name]}
                for name, bins in self.features.items()
            },
            "scores": {**self.score_bins.to_dict(), "counts": self.score_counts},
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Profile:
        features = {name: Bins.from_dict(b) for name, b in raw["features"].items()}
        counts = {name: [float(c) for c in b["counts"]] for name, b in raw["features"].items()}
        for name, bins in features.items():
            if len(counts[name]) != bins.size:
                raise DataError(f"drift profile: feature {name!r} has counts for other bins")
        return cls(
            features,
            counts,
            Bins.from_dict(raw["scores"]),
            [float(c) for c in raw["scores"]["counts"]],
        )

    def write(self, path: Path | str) -> None:
        write_json(path, self.to_dict())

    @classmethod
    def read(cls, path: Path | str) -> Profile:
        raw = read_json(path)
        try:
            return cls.from_dict(raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path}: not a drift profile ({exc})") from None


def build_profile(
    train: pd.DataFrame, columns: list[str], test_scores: np.ndarray, cfg: Monitor
) -> Profile:
    """Bins and counts of the reference: training rows per input column, and the model's
    scores on its held-out rows (as the batch monitor compares them)."""
    features, counts = {}, {}
    for column in columns:
        bins = make_bins(train[column], cfg.bins, cfg.min_category_share)
        features[column] = bins
        counts[column] = bins.counts(train[column]).tolist()
    scores = pd.Series(np.asarray(test_scores, dtype=np.float64))
    score_bins = make_bins(scores, cfg.bins, SCORE_BINS_SHARE)
    return Profile(features, counts, score_bins, score_bins.counts(scores).tolist())


def reference_profile(
    params: Params, champion_rev: str | None = None, base: str = "HEAD", root: Path | str = "."
) -> Profile:
    """The profile of the production model (else `base`), obtained as `mlops monitor`
    obtains its reference."""
    from mlops.evaluate.predict import predict
    from mlops.monitor.reference import load_reference

    reference = load_reference(params, champion_rev, base, root)
    scores = predict(reference.model, reference.test, "the reference")
    return build_profile(reference.train, reference.inputs, scores, params.monitor)


class RollingDrift:
    """Bin counts of the last `window` scored rows, kept up to date one row at a time
    (O(features) per row); thread-safe, for a server with several workers threads."""

    def __init__(self, profile: Profile, window: int) -> None:
        self.profile = profile
        self.window = window
        self._names = list(profile.features)
        self._rows: deque[tuple[tuple[int, ...] | None, int]] = deque()
        self._counts = {name: np.zeros(b.size) for name, b in profile.features.items()}
        self._with_inputs = 0
        self._score_counts = np.zeros(profile.score_bins.size)
        self._lock = threading.Lock()

    @property
    def rows(self) -> int:
        return len(self._rows)

    def add(self, inputs: Mapping[str, object] | None, score: float) -> None:
        """One scored row: its raw inputs (None when the server logs none) and score."""
        feature_bins = None
        if inputs is not None:
            feature_bins = tuple(
                bin_of(self.profile.features[name], inputs.get(name)) for name in self._names
            )
        score_bin = bin_of(self.profile.score_bins, float(score))
        with self._lock:
            if len(self._rows) == self.window:
                self._forget(*self._rows.popleft())
            self._rows.append((feature_bins, score_bin))
            self._count(feature_bins, score_bin, +1)

    def _forget(self, feature_bins: tuple[int, ...] | None, score_bin: int) -> None:
        self._count(feature_bins, score_bin, -1)

    def _count(self, feature_bins: tuple[int, ...] | None, score_bin: int, step: int) -> None:
        self._score_counts[score_bin] += step
        if feature_bins is not None:
            self._with_inputs += step
            for name, index in zip(self._names, feature_bins, strict=True):
                self._counts[name][index] += step

    def feature_psi(self) -> dict[str, float]:
        """PSI of each input feature over the rows of the window that carried inputs."""
        with self._lock:
            if not self._with_inputs:
                return {}
            return {
                name: psi_from_counts(np.asarray(self.profile.counts[name]), counts)
                for name, counts in self._counts.items()
            }

    def prediction_psi(self) -> float | None:
        with self._lock:
            if not self._rows:
                return None
            return psi_from_counts(np.asarray(self.profile.score_counts), self._score_counts)


def alert_rules(cfg: Monitor) -> str:
    """Prometheus alerting rules for the online drift gauges, thresholds from `monitor:`.
    A window with fewer than `min_rows` rows never alerts (its PSI is noise)."""
    rules = {
        "groups": [
            {
                "name": "mlops-drift",
                "rules": [
                    {
                        "alert": "MlopsInputFeatureDrift",
                        "expr": (
                            f"(mlops_feature_psi > {cfg.drift.psi:g}) and ignoring(feature) "
                            f"(mlops_drift_window_rows >= {cfg.min_rows})"
                        ),
                        "for": cfg.online.alert_for,
                        "labels": {"severity": "warning"},
                        "annotations": {
                            "summary": "Input feature {{ $labels.feature }} drifted",
                            "description": (
                                'PSI {{ $value | printf "%.3f" }} of {{ $labels.feature }} '
                                "over the last scored rows, above monitor.drift.psi = "
                                f"{cfg.drift.psi:g}. The monitor workflow judges the new "
                                "data and opens the retraining PR when it calls for one."
                            ),
                        },
                    },
                    {
                        "alert": "MlopsPredictionDrift",
                        "expr": (
                            f"(mlops_prediction_psi > {cfg.prediction_psi:g}) "
                            f"and (mlops_drift_window_rows >= {cfg.min_rows})"
                        ),
                        "for": cfg.online.alert_for,
                        "labels": {"severity": "warning"},
                        "annotations": {
                            "summary": "The model's scores drifted",
                            "description": (
                                'PSI {{ $value | printf "%.3f" }} of the scores over the '
                                "last scored rows, above monitor.prediction_psi = "
                                f"{cfg.prediction_psi:g}."
                            ),
                        },
                    },
                ],
            }
        ]
    }
    return yaml.safe_dump(rules, sort_keys=False, width=1000)
