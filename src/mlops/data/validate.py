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

from mlops.core.config import Data, Prepare, Validate
from mlops.core.errors import DataError
from mlops.core.files import is_parquet, read_table, write_json
from mlops.core.progress import progress
from mlops.data.contract import check_columns, check_rows, data_columns
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


# Rows per pandera call: bounds the memory its checks take on large snapshots (masks and
# coerced copies of one chunk at a time) and gives the progress bar its steps.
CHUNK_ROWS = 1 << 20


def read_raw(path: Path | str) -> pd.DataFrame:
    """The snapshot as stored: CSV as text (the schema coerces it, so a bad cell gets a
    rule name, not a parser error), Parquet with the types it was written with."""
    path = Path(path)
    if not is_parquet(path) and path.exists() and path.stat().st_size > 0:
        with path.open("rb") as handle:
            handle.seek(-1, 2)
            if handle.read(1) != b"\n":
                raise DataError(f"{path}: last line has no line end: file truncated?")
    frame = read_table(path, dtype=str, keep_default_na=False, na_values=[""])
    if frame.empty:
        raise DataError(f"{path}: file has a header but no rows")
    return frame


def check_schema(frame: pd.DataFrame, path: Path | str, data: Data) -> pd.DataFrame:
    """Check the frame against the schema, a chunk of rows at a time; returns the
    coerced frame. Ids must be unique across chunks too."""
    schema = snapshot_schema(data)
    parts = []
    with progress("validate", len(frame)) as bar:
        for start in range(0, len(frame), CHUNK_ROWS):
            chunk = frame.iloc[start : start + CHUNK_ROWS]
            try:
                parts.append(schema.validate(chunk, lazy=True))
            except pandera.errors.SchemaErrors as exc:
                raise DataError(f"{path}: {_describe(exc, frame, data)}") from None
            bar.update(len(chunk))
    checked = parts[0] if len(parts) == 1 else pd.concat(parts)
    if len(parts) > 1:
        duplicated = checked[data.id_column].duplicated(keep=False)
        if duplicated.any():
            ids = checked.loc[duplicated, data.id_column].head(3).tolist()
            raise DataError(
                f"{path}: column {data.id_column!r}: rule field_uniqueness fails: "
                f"{int(duplicated.sum())} rows, e.g. {data.id_column} "
                + ", ".join(str(i) for i in ids)
            )
    return checked


def read_snapshot(path: Path | str, data: Data) -> pd.DataFrame:
    """Read the snapshot and check it against the schema; returns typed columns."""
    return check_schema(read_raw(path), path, data)


def read_typed(path: Path | str, data: Data) -> pd.DataFrame:
    """Read a snapshot that the validate stage has passed, typed as the schema says,
    without checking it again (prepare runs after validate: checking twice doubled the
    cost of both). Text columns become categoricals: the same values, a fraction of the
    memory."""
    path = Path(path)
    schema = snapshot_schema(data)
    if is_parquet(path):
        frame = read_table(path)
    else:
        dtypes: dict[str, Any] = {data.id_column: "int64", data.time_column: str}
        for name, column in schema.columns.items():
            if name not in dtypes and name != data.group_column:
                dtypes[name] = "Int64" if str(column.dtype) == "Int64" else "category"
        frame = read_table(path, dtype=dtypes, keep_default_na=False, na_values=[""])
    keep = (data.id_column, data.time_column, data.group_column)
    for name, column in schema.columns.items():
        if name in frame.columns and name not in keep:
            if str(column.dtype) == "Int64" and str(frame[name].dtype) != "Int64":
                frame[name] = frame[name].astype("Int64")
            elif str(column.dtype) != "Int64" and not isinstance(
                frame[name].dtype, pd.CategoricalDtype
            ):
                frame[name] = frame[name].astype("category")
    return frame


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


def validate(
    snapshot: Path | str,
    data: Data,
    rules: Validate,
    split: Prepare,
    out: Path | str,
    source: str = "params.yaml",
) -> dict[str, Any]:
    """The validate stage: raise on the first broken rule (the schema, the columns and
    labels params.yaml names, the quality rules, each side of the split prepare will
    make), else write the summary. `source`: the params file, for its errors."""
    frame = check_schema(read_raw(snapshot), snapshot, data)
    check_columns(data_columns(data), list(frame.columns), str(snapshot), source)
    try:
        summary = quality_summary(frame, data, rules)
    except DataError as exc:
        raise DataError(f"{snapshot}: {exc}") from None
    summary["split"] = check_rows(frame, data, rules, split, source)
    write_json(out, summary)
    return summary
