"""Collect: read the configured source and write the normalised snapshot under data/.

This is where a forker plugs in their own data: `ingest.sources` in params.yaml takes
local paths or URLs (anything pandas and fsspec read: s3://, gs://, https://, ...).
The output is byte-reproducible from the source, so `data.dvc` stays unchanged when
the snapshot is rebuilt on a fresh clone.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from mlops.core.config import Data, Ingest
from mlops.core.errors import DataError
from mlops.core.files import write_atomic
from mlops.core.hashing import unit_interval


def _read_one(source: str, cfg: Ingest) -> pd.DataFrame:
    options = dict(cfg.read_csv)
    if cfg.columns is not None:
        options.setdefault("header", None)
        options["names"] = cfg.columns
    # Markers are applied after reading so that they are matched on stripped text.
    options["keep_default_na"] = False
    options.setdefault("dtype", str)
    try:
        if source.endswith(".parquet"):
            frame = pd.read_parquet(source).astype(str)
        else:
            frame = pd.read_csv(source, **options)
    except FileNotFoundError:
        raise DataError(f"{source}: source file not found (see ingest.sources)") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{source}: source file is empty") from None
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError, OSError, TypeError) as exc:
        # TypeError: an option in ingest.read_csv that pandas does not know.
        detail = " ".join(str(exc).split())
        raise DataError(f"{source}: cannot read source ({detail})") from None
    return frame


def snake_case(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def simulated_month(row_ids: pd.Series, start: str, count: int, seed: int) -> pd.Series:
    """A fixed, seeded month per row id: appending rows never moves an old row's month."""
    offset = np.floor(unit_interval(row_ids, f"month:{seed}") * count).astype(int)
    first = pd.Period(start, freq="M")
    return pd.Series([str(first + int(k)) for k in offset], index=row_ids.index, dtype=str)


def normalise(raw: pd.DataFrame, cfg: Ingest, data: Data) -> pd.DataFrame:
    """Whitespace, missing markers, value fixes, row id and month; typed columns."""
    frame = raw.rename(columns=snake_case)
    missing = set(cfg.missing_values)
    for column in frame.columns:
        text = frame[column].astype("string").str.strip()
        frame[column] = text.mask(text.isin(missing) | (text == ""))
    for column, mapping in cfg.replace.items():
        if column not in frame.columns:
            raise DataError(f"ingest.replace: column {column!r} is not in the source")
        frame[column] = frame[column].replace(mapping)

    if cfg.id_column is None:
        frame.insert(0, data.id_column, np.arange(len(frame), dtype=np.int64))
    else:
        source_id = snake_case(cfg.id_column)
        if source_id not in frame.columns:
            raise DataError(f"ingest.id_column: column {source_id!r} is not in the source")
        frame = frame.rename(columns={source_id: data.id_column})

    if cfg.simulated_months is not None:
        sim = cfg.simulated_months
        months = simulated_month(frame[data.id_column], sim.start, sim.count, sim.seed)
        frame.insert(1, data.time_column, months)
    elif data.time_column not in frame.columns:
        raise DataError(
            f"source has no {data.time_column!r} column: set ingest.simulated_months "
            "or provide a time column"
        )
    if cfg.until_month is not None:
        frame = frame[frame[data.time_column] <= cfg.until_month]

    # Numbers become numbers; anything else stays text. Validation judges the result.
    for column in frame.columns:
        if column in (data.id_column, data.time_column):
            continue
        numeric = pd.to_numeric(frame[column], errors="coerce")
        if numeric.notna().sum() == frame[column].notna().sum():
            whole = numeric.dropna().eq(numeric.dropna().round()).all()
            frame[column] = numeric.astype("Int64") if whole else numeric
    return frame.reset_index(drop=True)


def collect(cfg: Ingest, data: Data) -> pd.DataFrame:
    """Every source read in order and normalised: the snapshot's rows, not yet written."""
    frames = [_read_one(source, cfg) for source in cfg.sources]
    raw = pd.concat(frames, ignore_index=True)
    if raw.empty:
        raise DataError(f"{', '.join(cfg.sources)}: sources hold no rows")
    return normalise(raw, cfg, data)


def write_snapshot(frame: pd.DataFrame, out: Path | str) -> None:
    """The snapshot CSV format (also of `mlops simulate` batches): fixed line ends."""
    write_atomic(out, lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n"))


def ingest(cfg: Ingest, data: Data, out: Path | str) -> pd.DataFrame:
    """Read every source in order, normalise, and write the snapshot CSV."""
    snapshot = collect(cfg, data)
    write_snapshot(snapshot, out)
    return snapshot
