"""What the monitor judges (`mlops monitor --current PATH`): new rows, from a batch file,
a folder of batches, or the serving prediction log.

- A batch is a CSV in the snapshot's format (what `mlops simulate` writes, or a month of
  your own data): the inputs, the month, and the label when it is known.
- A folder is every `*.jsonl` in it (a prediction log, rotated files included) or, when
  it has none, every `*.csv` (batches).
- The prediction log is JSON Lines written by the server (one object per scored row:
  `time`, `score`, and `inputs` unless the server logs no inputs). A last line without
  its line end is a line the server is still writing: it is left out. The log has no
  labels, so only input and prediction drift are measured on it.

Values are not checked against the snapshot's schema here: a broken value is what the
monitor has to measure (missing, unseen, out of range), not a reason to stop.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlops.core.config import Data
from mlops.core.errors import DataError
from mlops.core.files import read_csv

KIND_BATCH, KIND_LOG = "batch", "prediction log"
SCORE = "__score__"  # the logged score's column in a prediction log's frame
_TIME = re.compile(r"^(\d{4}-(0[1-9]|1[0-2]))-\d{2}T")


@dataclass(frozen=True)
class Current:
    frame: pd.DataFrame  # raw inputs (text as read), the time column, the target if known
    kind: str  # KIND_BATCH or KIND_LOG
    source: str
    files: int
    scores: np.ndarray | None  # the scores the server logged (prediction log only)
    labelled: bool


def _read_batch(path: Path) -> pd.DataFrame:
    return read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _log_rows(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] != "":
        lines = lines[:-1]  # the server is writing it: not a whole line yet
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}: line {number}: expected a JSON object")
        match = _TIME.match(str(row.get("time", "")))
        score = row.get("score")
        if match is None:
            raise DataError(f"{path}: line {number}: 'time' is not an RFC 3339 date-time")
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
            raise DataError(f"{path}: line {number}: 'score' is not a probability")
        inputs = row.get("inputs")
        if inputs is not None and not isinstance(inputs, dict):
            raise DataError(f"{path}: line {number}: 'inputs' is not a JSON object")
        rows.append({"month": match.group(1), "score": float(score), "inputs": inputs})
    return rows


def _read_log(files: list[Path], data: Data, source: str) -> Current:
    rows = [row for path in files for row in _log_rows(path)]
    if not rows:
        raise DataError(f"{source}: the prediction log holds no scored rows yet")
    records = []
    for row in rows:
        inputs = row["inputs"] or {}
        record = {k: (None if v is None else str(v)) for k, v in inputs.items()}
        record[data.time_column] = row["month"]
        records.append(record)
    frame = pd.DataFrame.from_records(records).astype("object")
    frame = frame.where(frame.notna(), None)
    scores = np.array([row["score"] for row in rows], dtype=np.float64)
    return Current(frame, KIND_LOG, source, len(files), scores, labelled=False)


def read_current(path: Path | str, data: Data) -> Current:
    """The rows at `path` (a batch CSV, a folder of them, or a prediction log)."""
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise DataError(
            f"{path}: not found (a batch CSV, a folder of batches, or a prediction log)"
        )
    if path.is_dir():
        logs = sorted(path.glob("*.jsonl"))
        if logs:
            return _read_log(logs, data, source)
        files = sorted(path.glob("*.csv"))
        if not files:
            raise DataError(f"{path}: folder holds no *.csv batch and no *.jsonl log")
    elif path.suffix == ".jsonl":
        return _read_log([path], data, source)
    else:
        files = [path]
    frames = [_read_batch(f) for f in files]
    columns = set(frames[0].columns)
    for f, frame in zip(files[1:], frames[1:], strict=True):
        if set(frame.columns) != columns:
            raise DataError(f"{f}: its columns differ from those of {files[0].name}")
    frame = pd.concat(frames, ignore_index=True)
    if data.time_column not in frame.columns:
        raise DataError(f"{path}: no {data.time_column!r} column (the month each row arrived)")
    labelled = data.target in frame.columns and bool(frame[data.target].notna().all())
    return Current(frame, KIND_BATCH, source, len(files), None, labelled)
