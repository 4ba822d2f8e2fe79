"""Drift the serving process computes online: the PSI of each input feature, and of the
model's scores, over a rolling window of the most recent scored rows.

The batch monitor (monitor/drift.py) and this window use the same bins and the same PSI,
fixed by the reference, so a gauge and a monitor report on the same rows agree (a test
checks it). What the server does with it (serve/app.py, serve/drift.py):

    profile = Profile.read(path)                 # where it comes from: serve/model.py
    window = RollingDrift(profile, params.monitor.online.window)
    window.add_batch(frame, scores)              # each scored batch, after the answer
    window.feature_psi()  -> {feature: psi}      # gauge mlops_feature_psi{feature=...}
    window.prediction_psi() -> psi               # gauge mlops_prediction_psi
    window.rows                                  # gauge mlops_drift_window_rows

The profile is small JSON (bins and reference counts), built from a model's training
rows and its scores on the held-out rows; it holds no row of data. `reference_profile`
builds it for a revision from git and DVC (as `mlops monitor` gets its reference),
`split_profile` from the working tree's splits (what `mlops bundle` ships in the image).

`alert_rules(params.monitor)` is the Prometheus rule group for those gauges, with the
thresholds of `monitor:` (drift.psi, prediction_psi, min_rows, online.alert_for);
`alerts_file` writes it into the deployed rule file (`mlops alert-rules`).
"""

from __future__ import annotations

import bisect
import math
import threading
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
FACTORIZE_FROM = 16  # rows; below, a dict lookup per value is faster (measured here)


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


def split_profile(params: Params, model: Any, root: Path | str = ".") -> Profile:
    """The profile of a model the working tree's pipeline trained: its train split, and its
    scores on the test split (`paths.train`, `paths.test`). What reference_profile gives
    for the commit whose pipeline wrote them (both are prepare's split of the same
    snapshot; tests/e2e/test_serve.py checks they are equal), without git or DVC:
    `mlops bundle` and `mlops serve --model workspace` use it."""
    from mlops.data.prepare import read_split
    from mlops.evaluate.predict import input_columns, predict

    root = Path(root)
    for path in (params.paths.train, params.paths.test):
        if not (root / path).is_file():
            raise DataError(f"{path}: not found (the pipeline's split; run `make run` first)")
    train, test = read_split(root / params.paths.train), read_split(root / params.paths.test)
    scores = predict(model, test, "the test split")
    return build_profile(train, input_columns(model), scores, params.monitor)


class RollingDrift:
    """Bin counts of the last `window` scored rows, kept up to date a batch at a time.

    The window is a ring of bin numbers (a row is its bin in every feature, and its
    score's bin), so adding n rows costs O(n x features) in numpy whatever the window's
    size: what leaves the ring is subtracted from the counts, what enters is added. The
    lock guards only that bookkeeping (microseconds); binning happens before it and the
    PSI after it, so scrapes and scoring threads never wait on each other's numpy work.
    """

    def __init__(self, profile: Profile, window: int) -> None:
        self.profile = profile
        self.window = window
        self._names = list(profile.features)
        sizes = [bins.size for bins in profile.features.values()]
        # one flat count vector for every feature's bins: feature f's bin b is offsets[f] + b
        self._offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self._bounds = np.cumsum([0, *sizes])
        self._lookups = {
            name: {c: i for i, c in enumerate(b.categories)}
            for name, b in profile.features.items()
            if b.kind != NUMERIC
        }
        self._codes = np.zeros((window, len(sizes)), dtype=np.int64)
        self._has_inputs = np.zeros(window, dtype=bool)
        self._score_codes = np.zeros(window, dtype=np.int64)
        self._next = 0  # the ring's slot the next row goes to
        self._filled = 0
        self._counts = np.zeros(int(self._bounds[-1]))
        self._with_inputs = 0
        self._score_counts = np.zeros(profile.score_bins.size)
        self._lock = threading.Lock()

    @property
    def rows(self) -> int:
        return self._filled

    # --- binning (no lock: pure functions of the profile) --------------------------------

    def bin_column(self, name: str, values: np.ndarray) -> np.ndarray:
        """The bin of each value of one input column, exactly as Bins.index bins it (and
        bin_of bins one value), ~20x faster on the frames a server scores."""
        bins = self.profile.features[name]
        if bins.kind == NUMERIC:
            if values.dtype.kind not in "iuf":  # text among numbers: as Bins.index coerces it
                return bins.index(pd.Series(values))
            numbers = values.astype(np.float64, copy=False)
            out = np.searchsorted(np.asarray(bins.edges), numbers, side="right")
            out[np.isnan(numbers)] = bins.size - 1
            return out
        lookup, other, missing = self._lookups[name], len(bins.categories), bins.size - 1
        if (
            len(values) > FACTORIZE_FROM
            and pd.api.types.infer_dtype(values, skipna=True) == "string"
        ):
            # many texts (what the service scores): look up each distinct value once
            codes, uniques = pd.factorize(values)  # missing values: code -1
            table = [lookup.get(u, other) for u in uniques]
            found: np.ndarray = np.array([*table, missing], dtype=np.int64)[codes]
            return found
        # anything else is compared as text, as Bins.index does (12 and 12.0 differ)
        out = np.fromiter(
            (lookup.get(v if type(v) is str else str(v), other) for v in values),
            dtype=np.int64,
            count=len(values),
        )
        out[np.asarray(pd.isna(values), dtype=bool)] = missing
        return out

    def bin_frame(self, inputs: pd.DataFrame | Mapping[str, np.ndarray], rows: int) -> np.ndarray:
        """Rows x features: each row's bin in every input feature (of a frame, or of its
        columns as arrays)."""
        columns = [self.bin_column(name, np.asarray(inputs[name])) for name in self._names]
        return np.column_stack(columns) if columns else np.zeros((rows, 0), np.int64)

    def bin_scores(self, scores: np.ndarray) -> np.ndarray:
        numbers = np.asarray(scores, dtype=np.float64)
        out = np.searchsorted(np.asarray(self.profile.score_bins.edges), numbers, side="right")
        out[np.isnan(numbers)] = self.profile.score_bins.size - 1
        return out

    # --- adding rows ----------------------------------------------------------------------

    def add(self, inputs: Mapping[str, object] | None, score: float) -> None:
        """One scored row: its raw inputs (None when there are none) and its score."""
        codes = None
        if inputs is not None:
            codes = np.array(
                [[bin_of(self.profile.features[n], inputs.get(n)) for n in self._names]],
                dtype=np.int64,
            ).reshape(1, len(self._names))
        self.add_codes(codes, np.array([bin_of(self.profile.score_bins, float(score))]))

    def add_batch(
        self, inputs: pd.DataFrame | Mapping[str, np.ndarray] | None, scores: np.ndarray
    ) -> None:
        """Scored rows at once: the frame the model scored, or its columns (None: no
        inputs), and their scores."""
        codes = None if inputs is None else self.bin_frame(inputs, len(scores))
        self.add_codes(codes, self.bin_scores(scores))

    def add_codes(self, codes: np.ndarray | None, score_codes: np.ndarray) -> None:
        """Rows already binned (bin_frame, bin_scores): the ring and the counts move."""
        n = len(score_codes)
        if codes is not None and codes.shape != (n, len(self._names)):
            raise ValueError(f"{codes.shape} bins for {n} scores of {len(self._names)} inputs")
        if n > self.window:  # only the last `window` rows can stay
            codes = None if codes is None else codes[-self.window :]
            score_codes, n = score_codes[-self.window :], self.window
        if n == 0:
            return
        flat = None if codes is None else codes + self._offsets
        with self._lock:
            slots = (self._next + np.arange(n)) % self.window
            # the ring fills from slot 0 on: until it is full, only slots below `filled` hold rows
            leaving = slots if self._filled == self.window else slots[slots < self._filled]
            if len(leaving):
                self._score_counts -= np.bincount(
                    self._score_codes[leaving], minlength=len(self._score_counts)
                )
                had = leaving[self._has_inputs[leaving]]
                if len(had):
                    self._counts -= np.bincount(
                        self._codes[had].ravel(), minlength=len(self._counts)
                    )
                    self._with_inputs -= len(had)
            self._score_codes[slots] = score_codes
            self._score_counts += np.bincount(score_codes, minlength=len(self._score_counts))
            self._has_inputs[slots] = flat is not None
            if flat is not None:
                self._codes[slots] = flat
                self._counts += np.bincount(flat.ravel(), minlength=len(self._counts))
                self._with_inputs += n
            self._next = int((self._next + n) % self.window)
            self._filled = min(self.window, self._filled + n)

    # --- the figures ----------------------------------------------------------------------

    def feature_psi(self) -> dict[str, float]:
        """PSI of each input feature over the rows of the window that carried inputs."""
        with self._lock:
            if not self._with_inputs:
                return {}
            counts = self._counts.copy()
        return {
            name: psi_from_counts(
                np.asarray(self.profile.counts[name]),
                counts[self._bounds[i] : self._bounds[i + 1]],
            )
            for i, name in enumerate(self._names)
        }

    def prediction_psi(self) -> float | None:
        with self._lock:
            if not self._filled:
                return None
            counts = self._score_counts.copy()
        return psi_from_counts(np.asarray(self.profile.score_counts), counts)


def alert_rules(cfg: Monitor) -> str:
    """Prometheus alerting rules for the online drift gauges, thresholds from `monitor:`.
    A window with fewer than `min_rows` rows never alerts (its PSI is noise)."""
    rules = {
        "groups": [
            {
                "name": "mlops-drift",
                "rules": [
                    {
                        "alert": "ModelInputDrift",
                        "expr": (
                            f"(mlops_feature_psi > {cfg.drift.psi:g}) and ignoring(feature) "
                            f"(mlops_drift_window_rows >= {cfg.min_rows})"
                        ),
                        "for": cfg.online.alert_for,
                        "labels": {"severity": "warn"},
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
                        "alert": "ModelPredictionDrift",
                        "expr": (
                            f"(mlops_prediction_psi > {cfg.prediction_psi:g}) "
                            f"and (mlops_drift_window_rows >= {cfg.min_rows})"
                        ),
                        "for": cfg.online.alert_for,
                        "labels": {"severity": "warn"},
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


# The generated part of the alert rule file (paths.alerts) starts at this line; above it,
# the hand-written rules. `mlops alert-rules` rewrites what follows it.
GENERATED = (
    "  # --- generated by `mlops alert-rules` from monitor: in params.yaml: change the "
    "thresholds there, not below ---"
)


def alerts_file(text: str, cfg: Monitor) -> str:
    """A Prometheus rule file (its `groups:` list last) with its generated part replaced
    by alert_rules(cfg)'s group, or appended when it has none yet."""
    head = text.split(GENERATED)[0] if GENERATED in text else text.rstrip("\n") + "\n\n"
    groups = yaml.safe_load(alert_rules(cfg))["groups"]
    body = yaml.safe_dump(groups, sort_keys=False, width=1000)
    return head + GENERATED + "\n" + "".join(f"  {line}" for line in body.splitlines(True))
