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
from mlops.core.files import UNREADABLE, read_parquet, reason, write_table
from mlops.core.hashing import unit_interval

# What a source that cannot be read raises; TypeError: an option in ingest.read_csv that
# pandas does not know.
SOURCE_ERRORS: tuple[type[Exception], ...] = (*UNREADABLE, TypeError)


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
            # Typed already: numbers stay numbers, text is normalised like CSV text.
            frame = read_parquet(source)
            if cfg.columns is not None:
                frame.columns = pd.Index(cfg.columns)
        else:
            frame = pd.read_csv(source, **options)
    except FileNotFoundError:
        raise DataError(f"{source}: source file not found (see ingest.sources)") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{source}: source file is empty") from None
    except SOURCE_ERRORS as exc:
        raise DataError(f"{source}: cannot read source ({reason(exc)})") from None
    return frame


def snake_case(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def simulated_month(row_ids: pd.Series, start: str, count: int, seed: int) -> pd.Series:
    """A fixed, seeded month per row id: appending rows never moves an old row's month."""
    offset = np.floor(unit_interval(row_ids, f"month:{seed}", "months") * count).astype(int)
    first = pd.Period(start, freq="M")
    labels = np.asarray([str(first + k) for k in range(count)], dtype=object)
    return pd.Series(labels[offset], index=row_ids.index, dtype=str)


def _text(column: pd.Series, missing: set[str], mapping: dict[str, str]) -> pd.Categorical:
    """Stripped text with missing markers as missing and values replaced, as a categorical.

    The rules run on the distinct values only (a few dozen per column), never per row,
    which is what makes ten million rows cheap: the rows only carry codes."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    text = pd.Series(uniques, dtype="string").str.strip()
    text = text.mask(text.isin(missing) | (text == ""))
    if mapping:
        text = text.replace(mapping)
    clean_codes, categories = pd.factorize(text, use_na_sentinel=True)
    clean_codes = np.append(clean_codes, -1)  # a missing raw value (code -1) stays missing
    return pd.Categorical.from_codes(
        clean_codes[codes], categories=pd.Index(categories, dtype=object)
    )


def _typed(column: pd.Series) -> pd.Series:
    """Numbers become numbers (whole numbers Int64); any other text stays text."""
    if pd.api.types.is_numeric_dtype(column) and not isinstance(column.dtype, pd.CategoricalDtype):
        values = column
    else:
        cat = column.cat.remove_unused_categories()
        numeric = pd.to_numeric(pd.Series(cat.cat.categories, dtype=object), errors="coerce")
        if numeric.isna().any():
            return column
        codes = cat.cat.codes.to_numpy()
        values = pd.Series(
            np.append(numeric.to_numpy(dtype=np.float64), np.nan)[codes], index=column.index
        )
    present = values.dropna()
    whole = bool(present.eq(present.round()).all())
    return values.astype("Int64") if whole else values.astype(np.float64)


def normalise(raw: pd.DataFrame, cfg: Ingest, data: Data) -> pd.DataFrame:
    """Whitespace, missing markers, value fixes, row id and month; typed columns."""
    frame = raw.rename(columns=snake_case)
    unknown = [c for c in cfg.replace if c not in frame.columns]
    if unknown:
        raise DataError(f"ingest.replace: column {unknown[0]!r} is not in the source")
    missing = set(cfg.missing_values)
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]) or isinstance(
            frame[column].dtype, pd.CategoricalDtype
        ):
            frame[column] = _text(frame[column], missing, cfg.replace.get(column, {}))

    if cfg.id_column is None:
        frame.insert(0, data.id_column, np.arange(len(frame), dtype=np.int64))
    else:
        source_id = snake_case(cfg.id_column)
        if source_id not in frame.columns:
            raise DataError(f"ingest.id_column: column {source_id!r} is not in the source")
        frame = frame.rename(columns={source_id: data.id_column})
        frame[data.id_column] = _as_text(frame[data.id_column])

    if cfg.simulated_months is not None:
        sim = cfg.simulated_months
        months = simulated_month(frame[data.id_column], sim.start, sim.count, sim.seed)
        frame.insert(1, data.time_column, months)
    elif data.time_column not in frame.columns:
        raise DataError(
            f"source has no {data.time_column!r} column: set ingest.simulated_months "
            "or provide a time column"
        )
    else:
        frame[data.time_column] = _as_text(frame[data.time_column])
    if cfg.until_month is not None:
        frame = frame[frame[data.time_column] <= cfg.until_month]

    for column in frame.columns:
        if column not in (data.id_column, data.time_column):
            frame[column] = _typed(frame[column])
    return frame.reset_index(drop=True)


def _as_text(column: pd.Series) -> pd.Series:
    """Plain text (ids and months are compared and sorted as text, not as categories)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.astype(object).astype("string")
    return column


def collect(cfg: Ingest, data: Data) -> pd.DataFrame:
    """Every source read in order and normalised: the snapshot's rows, not yet written."""
    frames = [_read_one(source, cfg) for source in cfg.sources]
    raw = pd.concat(frames, ignore_index=True)
    if raw.empty:
        raise DataError(f"{', '.join(cfg.sources)}: sources hold no rows")
    return normalise(raw, cfg, data)


def write_snapshot(frame: pd.DataFrame, out: Path | str) -> None:
    """The snapshot's format (also of `mlops simulate` batches): CSV with fixed line ends,
    or Parquet when the path ends in `.parquet`."""
    write_table(out, frame)


def ingest(cfg: Ingest, data: Data, out: Path | str) -> pd.DataFrame:
    """Read every source in order, normalise, and write the snapshot."""
    snapshot = collect(cfg, data)
    write_snapshot(snapshot, out)
    return snapshot
