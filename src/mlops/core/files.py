"""Reading and writing pipeline files.

Writes are atomic (temp file + rename in the same folder): a stage that fails half-way
never leaves a truncated output behind, and an earlier good output stays in place.
"""

from __future__ import annotations

import json
import lzma
import os
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import pandas as pd

from mlops.core.errors import DataError

# What reading a data file raises when its bytes are not what its name says: pandas'
# parser, a text encoding, a compressed stream cut short or corrupt (gzip's EOFError and
# zlib.error, bz2's OSError, xz, zip, tar), a codec pandas imports only when a file needs
# it (zstandard), a Parquet file that is not one (pyarrow's errors are ValueError and
# OSError). None of them is a bug of ours: each becomes one line naming the file.
UNREADABLE: tuple[type[Exception], ...] = (
    ValueError,  # pandas' ParserError, EmptyDataError; pyarrow's ArrowInvalid
    UnicodeError,
    OSError,
    EOFError,
    ImportError,
    zlib.error,
    lzma.LZMAError,
    zipfile.BadZipFile,
    tarfile.TarError,
)


def reason(exc: BaseException) -> str:
    """An exception's message on one line, with its type when the message is empty."""
    return " ".join(str(exc).split()) or type(exc).__name__


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
        some = None
        if columns is not None:
            import pyarrow.parquet as pq

            present = set(pq.read_schema(path).names)
            some = [c for c in columns if c in present]
        return read_parquet(path, some)
    except UNREADABLE as exc:
        raise DataError(f"{path}: cannot read Parquet ({reason(exc)})") from None


def read_parquet(source: Path | str, columns: list[str] | None = None) -> pd.DataFrame:
    """A Parquet file (local path or URL), all or some `columns`, whose text columns are
    valid UTF-8. pyarrow does not check text when reading: bytes that are not UTF-8 would
    fail later, in whatever string operation meets them first, far from the file's name.
    The check is one pass over the columns already in memory (no copy); it raises
    ArrowInvalid (a ValueError)."""
    import pyarrow as pa  # only when a Parquet file is read (import time of the CLI)

    frame: pd.DataFrame = pd.read_parquet(source, engine="pyarrow", columns=columns)
    pa.Table.from_pandas(frame, preserve_index=False).validate(full=True)
    return frame


def parsed_or_none(text: str | None, parse: Callable[[str], Any], invalid: type[Exception]) -> Any:
    """A file read from some revision, as data; None when that revision has no such file
    or it does not parse (an older or broken revision: the caller says what it lacks)."""
    if text is None:
        return None
    try:
        return parse(text)
    except invalid:
        return None


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
    except UNREADABLE as exc:
        raise DataError(f"{path}: cannot parse ({reason(exc)})") from None
    return frame
