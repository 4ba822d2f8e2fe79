"""Reading and writing pipeline files.

Writes are atomic (temp file + rename in the same folder): a stage that fails half-way
never leaves a truncated output behind, and an earlier good output stays in place.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import pandas as pd

from mlops.core.errors import DataError


def write_atomic(path: Path | str, write: Callable[[Path], None]) -> None:
    """Call write(tmp) and move tmp over path only if it succeeded."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        tmp.chmod(0o644)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: Path | str, data: bytes) -> None:
    write_atomic(path, lambda tmp: _ignore(tmp.write_bytes(data)))


def write_text(path: Path | str, text: str) -> None:
    write_atomic(path, lambda tmp: _ignore(tmp.write_text(text, encoding="utf-8")))


def _ignore(_: object) -> None:
    """write_atomic's callback returns nothing; Path.write_* return a byte count."""


def write_json(path: Path | str, obj: Any) -> None:
    """Sorted keys, fixed indentation and a final newline: stable bytes, readable diffs."""
    text = json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n"
    write_text(path, text)


def write_csv(path: Path | str, frame: pd.DataFrame, float_format: str | None = None) -> None:
    """Data keeps full precision (float_format=None); plot data may round to stay small.

    The line terminator is fixed so the bytes do not depend on the platform.
    """
    write_atomic(
        path,
        lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n", float_format=float_format),
    )


def is_parquet(path: Path | str) -> bool:
    return Path(path).suffix == ".parquet"


def write_table(path: Path | str, frame: pd.DataFrame) -> None:
    """A data file in the format its name says: `.parquet` (columnar, typed, compressed;
    what large data wants) or CSV. Both give the same bytes for the same frame and
    library versions (Parquet records no timestamp), so DVC hashes stay reproducible."""
    if is_parquet(path):
        write_atomic(
            path,
            lambda tmp: frame.to_parquet(
                tmp, index=False, engine="pyarrow", compression="zstd", row_group_size=1 << 20
            ),
        )
    else:
        write_csv(path, frame)


def read_table(
    path: Path | str, columns: Collection[str] | None = None, **csv_options: Any
) -> pd.DataFrame:
    """Read a data file written by write_table (or any CSV): only `columns` that it has,
    if given (Parquet reads just those). Other options apply to CSV only."""
    path = Path(path)
    if not is_parquet(path):
        if columns is not None:
            wanted = set(columns)
            csv_options["usecols"] = lambda c: c in wanted
        return read_csv(path, **csv_options)
    if not path.exists():
        raise DataError(f"{path}: file not found (run the stage that writes it first)")
    try:
        if columns is not None:
            import pyarrow.parquet as pq

            present = set(pq.read_schema(path).names)
            columns = [c for c in columns if c in present]
        frame: pd.DataFrame = pd.read_parquet(path, engine="pyarrow", columns=columns)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        detail = " ".join(str(exc).split())
        raise DataError(f"{path}: cannot read Parquet ({detail})") from None
    return frame


def read_json(path: Path | str) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found (run the stage that writes it first)") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from None


def read_csv(path: Path | str, **options: Any) -> pd.DataFrame:
    """Read a CSV, turning every parse failure into a DataError that names the file."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found (run the stage that writes it first)")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    try:
        frame: pd.DataFrame = pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file has no rows") from None
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
        detail = " ".join(str(exc).split())
        raise DataError(f"{path}: cannot parse ({detail})") from None
    return frame
