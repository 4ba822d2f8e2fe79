"""`mlops simulate`: one month of new data, as it is or with a seeded kind of drift.

The default data has simulated arrival months, and the snapshot holds only the months up
to `ingest.until_month`: the later months are the "new data" that arrives. A batch is
the rows of one month read from `ingest.sources` (until_month ignored), in the
snapshot's format, labelled, and optionally altered (strengths in `monitor.simulate`):

- `none`: the month's real rows as they are.
- `covariate`: the inputs move, the relation to the label does not. Rows are resampled
  with replacement, with weight exp(strength * z), z the z-score of
  `covariate_column` (age by default: an older population, and with it the mix of
  every category that goes with age).
- `prior`: the positive rate moves. Rows are resampled with replacement, positives and
  negatives separately, to `prior_positive_rate`.
- `concept`: the relation between inputs and label moves, nothing else. The labels of a
  random `concept_fraction` of the rows are permuted among those rows: every input and
  the positive rate stay exactly as they were.
- `quality`: broken values. In every column but the id, month and target, a random
  `quality_fraction` of the cells breaks: half go missing, the other half become a
  value the source never had (numbers times 100, as a unit error; text in upper case,
  as an upstream format change).

Every draw is seeded by (seed, month, scenario): the same command writes the same bytes.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from mlops.core.config import Params
from mlops.core.errors import DataError
from mlops.data.ingest import collect, write_snapshot

SCENARIOS = ("none", "covariate", "prior", "concept", "quality")


def source_rows(params: Params) -> pd.DataFrame:
    """Every row of `ingest.sources`, normalised as the snapshot is, whatever until_month."""
    return collect(params.ingest.model_copy(update={"until_month": None}), params.data)


def month_rows(params: Params, month: str, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """The real rows that arrived in `month` (from `rows`, default: the whole source)."""
    rows = source_rows(params) if rows is None else rows
    months = rows[params.data.time_column].astype("string")
    found = rows[months == month].reset_index(drop=True)
    if found.empty:
        known = sorted(months.dropna().unique())
        span = f"{known[0]} to {known[-1]}" if known else "none"
        raise DataError(f"month {month}: no rows in ingest.sources (months there: {span})")
    return found


def _rng(seed: int, month: str, scenario: str) -> np.random.Generator:
    # crc32: a stable number per text (Python's hash() is salted per process)
    return np.random.default_rng([seed, zlib.crc32(month.encode()), SCENARIOS.index(scenario)])


def _resample(frame: pd.DataFrame, weights: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    picked = np.sort(
        rng.choice(len(frame), size=len(frame), replace=True, p=weights / weights.sum())
    )
    return frame.iloc[picked].reset_index(drop=True)


def covariate(
    frame: pd.DataFrame, column: str, strength: float, rng: np.random.Generator
) -> pd.DataFrame:
    if column not in frame.columns:
        raise DataError(f"monitor.simulate.covariate_column: column {column!r} is not in the data")
    values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    if values.notna().sum() < 2 or not values.std() > 0:
        raise DataError(
            f"monitor.simulate.covariate_column: {column!r} needs varying numbers to shift"
        )
    z = ((values - values.mean()) / values.std()).fillna(0.0).to_numpy()
    return _resample(frame, np.exp(strength * z), rng)


def prior(
    frame: pd.DataFrame, positive: np.ndarray, rate: float, rng: np.random.Generator
) -> pd.DataFrame:
    if positive.all() or not positive.any():
        raise DataError("prior scenario: the month has one class only; cannot change its rate")
    weights = np.where(positive, rate / positive.sum(), (1 - rate) / (~positive).sum())
    return _resample(frame, weights, rng)


def concept(
    frame: pd.DataFrame, target: str, fraction: float, rng: np.random.Generator
) -> pd.DataFrame:
    out = frame.copy()
    chosen = np.flatnonzero(rng.random(len(out)) < fraction)
    labels = out[target].to_numpy(copy=True)
    labels[chosen] = labels[rng.permutation(chosen)]
    out[target] = pd.Series(labels, index=out.index, dtype=out[target].dtype)
    return out


def quality(
    frame: pd.DataFrame, keep: set[str], fraction: float, rng: np.random.Generator
) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if column in keep:
            continue
        broken = rng.random(len(out)) < fraction
        missing = broken & (rng.random(len(out)) < 0.5)
        altered = broken & ~missing & out[column].notna().to_numpy()
        if pd.api.types.is_numeric_dtype(out[column]):
            out.loc[altered, column] = out.loc[altered, column] * 100
        else:  # text (ingest keeps it as categories): unseen values need plain text
            out[column] = out[column].astype("string")
            out.loc[altered, column] = out.loc[altered, column].str.upper()
        out.loc[missing, column] = pd.NA
    return out


def simulate(
    params: Params, month: str, scenario: str, seed: int | None = None,
    rows: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """The batch of `month` under `scenario` (see the module docstring)."""
    if scenario not in SCENARIOS:
        raise DataError(f"scenario {scenario!r}: expected one of {', '.join(SCENARIOS)}")
    cfg, data = params.monitor.simulate, params.data
    frame = month_rows(params, month, rows)
    rng = _rng(cfg.seed if seed is None else seed, month, scenario)
    if scenario == "covariate":
        return covariate(frame, cfg.covariate_column, cfg.covariate_strength, rng)
    if scenario == "prior":
        positive = (frame[data.target] == data.positive_label).to_numpy()
        return prior(frame, positive, cfg.prior_positive_rate, rng)
    if scenario == "concept":
        return concept(frame, data.target, cfg.concept_fraction, rng)
    if scenario == "quality":
        keep = {data.id_column, data.time_column, data.target}
        return quality(frame, keep, cfg.quality_fraction, rng)
    return frame


def write_batch(
    params: Params, month: str, scenario: str, out: Path | str, seed: int | None = None,
    rows: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    batch = simulate(params, month, scenario, seed, rows)
    write_snapshot(batch, out)
    return batch
