"""The prediction log: what the monitor step reads (the format is a contract).

JSON Lines, UTF-8, one object per scored row, appended by the server:
    {"time":"2026-11-27T10:00:00.123Z","request_id":"...","model_version":"v1.2.0",
     "score":0.8123,"label":1,"inputs":{"age":39,"workclass":null,...}}
`score` is P(positive label) as the model computed it (full float precision), `label` is
the label at `evaluate.threshold`, `inputs` the raw input columns as the request sent
them (left out entirely with `serve.log_inputs: false`). The current file is
`predictions.jsonl` in `paths.predictions`; past `serve.log_max_bytes` it is renamed to
`predictions-<UTC yyyymmddThhmmss.ffffff>.jsonl` and the oldest beyond
`serve.log_backups` are deleted. A request's rows are written in one write, so a reader
sees whole requests, except possibly an incomplete last line while the server writes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from mlops.serve.background import Background

CURRENT = "predictions.jsonl"
ROTATED = "predictions-{stamp}.jsonl"


def rfc3339(moment: datetime) -> str:
    """UTC, milliseconds, `Z`: 2026-11-27T10:00:00.123Z."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


QUEUE_REQUESTS = 1000  # requests waiting to be written; beyond, rows are dropped (counted)


class Entry(NamedTuple):
    """One request's scored rows, as the log writes them."""

    request_id: str
    version: str
    scores: Sequence[float]
    labels: Sequence[int]
    inputs: Sequence[dict[str, Any]]


class PredictionLog:
    """Appends scored rows; rotates by size; safe to call from several threads.

    `submit` hands a request's rows to the log's own thread, which formats and writes
    them: the caller's answer does not wait on the disk (formatting 1,000 rows costs about
    as much as a fifth of scoring them). `close` writes what is queued, then stops.
    """

    def __init__(
        self,
        folder: Path | str,
        max_bytes: int,
        backups: int,
        log_inputs: bool,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.backups = backups
        self.log_inputs = log_inputs
        self.on_error = on_error or (lambda _: None)
        self._lock = threading.Lock()
        self._writer: Background[tuple[Entry, datetime]] = Background(
            "prediction-log", QUEUE_REQUESTS, self._write,
            on_error=lambda exc: self.on_error(str(exc)),
            on_full=lambda item: self.on_error(
                f"queue full ({QUEUE_REQUESTS} requests): {len(item[0].scores)} rows dropped"
            ),
        )  # fmt: skip
        self._encode = json.JSONEncoder(
            ensure_ascii=False, separators=(", ", ": "), allow_nan=False, check_circular=False
        ).encode

    @property
    def current(self) -> Path:
        return self.folder / CURRENT

    def lines(self, entry: Entry, now: datetime | None = None) -> bytes:
        """The request's rows as JSON Lines (orjson: ~15x faster than the json module here,
        and a float's shortest repr, which parses back to the same double)."""
        head = {"time": rfc3339(now or datetime.now(UTC)), "request_id": entry.request_id,
                "model_version": entry.version}  # fmt: skip
        scored = zip(entry.scores, entry.labels, entry.inputs, strict=True)
        if self.log_inputs:
            rows = ({**head, "score": s, "label": f, "inputs": row} for s, f, row in scored)
        else:
            rows = ({**head, "score": s, "label": f} for s, f, _ in scored)
        return b"".join([orjson.dumps(row) + b"\n" for row in rows])

    def submit(self, entry: Entry) -> None:
        """Queue a request's rows for the writer thread (started on first use)."""
        self._writer.submit((entry, datetime.now(UTC)))

    def flush(self) -> None:
        """Wait until everything submitted so far is written."""
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()

    def _write(self, item: tuple[Entry, datetime]) -> None:
        self.append(self.lines(*item))

    def append(self, data: bytes) -> None:
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            try:
                size = self.current.stat().st_size
            except FileNotFoundError:
                size = 0
            if size and size + len(data) > self.max_bytes:
                self._rotate()
            with self.current.open("ab") as out:
                out.write(data)

    def _rotate(self) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
        self.current.rename(self.folder / ROTATED.format(stamp=stamp))
        rotated = sorted(self.folder.glob(ROTATED.format(stamp="*")))
        for old in rotated[: max(0, len(rotated) - self.backups)]:
            old.unlink(missing_ok=True)


def read_log(path: Path | str) -> list[dict[str, Any]]:
    """Every row of one log file or of every *.jsonl in a folder, oldest file first; a last
    line that is incomplete (a server still writing) is ignored."""
    path = Path(path)
    files = sorted(path.glob("*.jsonl"), key=_age) if path.is_dir() else [path]
    rows = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        complete = text if text.endswith("\n") else text[: text.rfind("\n") + 1]
        # split on "\n" only: str.splitlines() also breaks at U+0085 and U+2028, which
        # JSON leaves unescaped inside a string (a client may send them in any text field)
        rows += [json.loads(line) for line in complete.split("\n") if line]
    return rows


def _age(path: Path) -> tuple[int, str]:
    # rotated files sort by their stamp; the current file is the newest
    return (1, "") if path.name == CURRENT else (0, path.name)
