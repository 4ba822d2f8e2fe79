"""Validate: the snapshot against its schema and quality rules, before anything learns from it.

A failure stops the pipeline with one line naming the file, column, rule and example
rows. On success a small summary (rows, label rate, missing rates, rows per month) is
written for the report and for humans.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pandera.errors

from mlops.core.config import Data, Validate
from mlops.core.errors import DataError
from mlops.core.files import read_csv, write_json
from mlops.data.schema import snapshot_schema

# Which failure to report first when several rules break: structure before content.
_RULE_ORDER = ("column_in_dataframe", "column_in_schema", "coerce_dtype", "dtype")


def _rank(check: str) -> int:
    for rank, prefix in enumerate(_RULE_ORDER):
        if check.startswith(prefix):
            return rank
    return len(_RULE_ORDER)


def _describe(exc: pandera.errors.SchemaErrors, frame: pd.DataFrame, data: Data) -> str:
    cases = exc.failure_cases.copy()
    cases["rank"] = [_rank(str(check)) for check in cases["check"]]
    cases = cases.sort_values("rank", kind="stable")
    first = cases.iloc[0]
    check, column = str(first["check"]), first["column"]
    same = cases[(cases["check"] == first["check"]) & (cases["column"] == column)]
    others = len(cases.groupby(["column", "check"], dropna=False)) - 1
    more = f" (+{others} more failing rules)" if others else ""
    if check == "column_in_dataframe":
        return f"column {first['failure_case']!r}: required column is missing{more}"
    if check == "column_in_schema":
        return f"column {first['failure_case']!r}: unexpected column (not in the schema){more}"
    rows = [int(i) for i in same["index"].dropna().tolist()]
    if rows:
        ids = ", ".join(str(v) for v in frame.loc[rows[:3], data.id_column])
        values = ", ".join(repr(v) for v in same["failure_case"].head(3).tolist())
        example = f"{len(rows)} rows, e.g. {data.id_column} {ids} with {values}"
    else:
        example = f"{first['failure_case']}"
    return f"column {column!r}: rule {check} fails: {example}{more}"


def read_snapshot(path: Path | str, data: Data) -> pd.DataFrame:
    """Read the snapshot and check it against the schema; returns typed columns."""
    path = Path(path)
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as handle:
            handle.seek(-1, 2)
            if handle.read(1) != b"\n":
                raise DataError(f"{path}: last line has no line end: file truncated?")
    frame = read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    if frame.empty:
        raise DataError(f"{path}: file has a header but no rows")
    try:
        return snapshot_schema(data).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        raise DataError(f"{path}: {_describe(exc, frame, data)}") from None


def quality_summary(frame: pd.DataFrame, data: Data, rules: Validate) -> dict[str, Any]:
    """Apply the quality rules that are knobs in params.yaml; return the summary."""
    if len(frame) < rules.min_rows:
        raise DataError(f"{len(frame)} rows, fewer than validate.min_rows={rules.min_rows}")
    missing = frame.isna().mean()
    worst = str(missing.idxmax())
    if missing[worst] > rules.max_missing_rate:
        empty = frame.index[frame[worst].isna()][:3]
        raise DataError(
            f"column {worst!r}: {missing[worst]:.1%} of cells missing, more than "
            f"validate.max_missing_rate={rules.max_missing_rate:.0%}, e.g. {data.id_column} "
            + ", ".join(str(v) for v in frame.loc[empty, data.id_column])
        )
    return {
        "rows": len(frame),
        "columns": len(frame.columns),
        "positive_rate": round(float((frame[data.target] == data.positive_label).mean()), 6),
        "missing_rate": {c: round(float(r), 6) for c, r in missing.items() if r > 0},
        "rows_by_month": {
            str(m): int(n) for m, n in frame[data.time_column].value_counts().sort_index().items()
        },
    }


def validate(snapshot: Path | str, data: Data, rules: Validate, out: Path | str) -> dict[str, Any]:
    """The validate stage: raise DataError on the first broken rule, else write the summary."""
    frame = read_snapshot(snapshot, data)
    try:
        summary = quality_summary(frame, data, rules)
    except DataError as exc:
        raise DataError(f"{snapshot}: {exc}") from None
    write_json(out, summary)
    return summary
