"""Params against the data: what params.yaml says about columns, labels and the split must
hold in the data, checked before any stage rewrites anything.

Two places check it, each as early as it can:

- `mlops check-params` (run first by `make run`/`make repro`, and by pre-commit) checks
  what needs no row: every column params.yaml names is a column of the schema
  (data/schema.py) and of the snapshot's header, the positive label is a value the
  schema allows for the target, a column to shift is a number. It reads the header line
  of a CSV snapshot or the footer of a Parquet one: the same cost at ten million rows as
  at ten (no snapshot yet, e.g. before `mlops get-data`: the schema alone).
- the validate stage, the first that reads the rows, checks the rest (`check_rows`): the
  positive label occurs, and each side of the split that prepare will make holds at
  least `validate.min_class_rows` rows of each class. It depends on `prepare:` in
  dvc.yaml for that, so a change of the split reruns validate first and fails there.

Each error is one line naming the key, its value and what the data holds.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops.core.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

    from mlops.core.config import Data, Params, Prepare, Validate


def data_columns(data: Data) -> list[tuple[str, str]]:
    """(key, column) for every column that `data:` names."""
    named = [
        ("data.id_column", data.id_column),
        ("data.time_column", data.time_column),
        ("data.target", data.target),
    ]
    if data.group_column is not None:
        named.append(("data.group_column", data.group_column))
    named += [(f"data.slices[{i}]", column) for i, column in enumerate(data.slices)]
    return named


def named_columns(params: Params) -> list[tuple[str, str]]:
    """(key, column) for every column that params.yaml names (of the snapshot)."""
    return [
        *data_columns(params.data),
        *((f"featurize.exclude.{column}", column) for column in params.featurize.exclude),
        ("monitor.simulate.covariate_column", params.monitor.simulate.covariate_column),
    ]


def _listing(values: Iterable[str], limit: int = 20) -> str:
    values = list(values)
    shown = ", ".join(values[:limit])
    return shown + (f", ... ({len(values)} in all)" if len(values) > limit else "")


def check_columns(
    named: list[tuple[str, str]], columns: list[str], where: str, source: str = "params.yaml"
) -> None:
    """Every named column is one of `columns` (of the schema, or of a file: `where`)."""
    for key, column in named:
        if column not in columns:
            near = get_close_matches(column, columns, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ConfigError(
                f"{source}: {key}: {column!r} is not a column of {where} "
                f"(it has: {_listing(columns)}){hint}"
            )


def header(path: Path | str) -> list[str] | None:
    """The column names of a snapshot file, reading only its first line (CSV) or its
    footer (Parquet); None when there is no file yet."""
    from mlops.core.files import UNREADABLE, is_parquet, reason

    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return None
    if is_parquet(path):
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except UNREADABLE as exc:
            raise DataError(f"{path}: cannot read Parquet ({reason(exc)})") from None
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        first = handle.readline()
    return next(csv.reader([first]), [])


def schema_values(column: Any) -> list[str] | None:
    """The values a pandera Column allows (its isin check), or None if any value goes."""
    for check in column.checks:
        allowed = (check.statistics or {}).get("allowed_values")
        if allowed is not None:
            return [str(value) for value in allowed]
    return None


def check_params_against_data(params: Params) -> str:
    """What check-params checks beyond params.yaml itself; returns what it read."""
    from mlops.data.schema import snapshot_schema

    data, source = params.data, str(params.source)
    schema = snapshot_schema(data)
    named = named_columns(params)
    check_columns(named, list(schema.columns), "the schema (data/schema.py)", source)
    allowed = schema_values(schema.columns[data.target])
    if allowed is not None and data.positive_label not in allowed:
        raise ConfigError(
            f"{source}: data.positive_label: {data.positive_label!r} is not a value of column "
            f"{data.target!r} (the schema allows: {_listing(repr(v) for v in allowed)})"
        )
    covariate = params.monitor.simulate.covariate_column
    dtype = str(schema.columns[covariate].dtype)
    if not dtype.lower().startswith(("int", "float", "uint")):
        raise ConfigError(
            f"{source}: monitor.simulate.covariate_column: {covariate!r} holds {dtype}, "
            "not numbers (the covariate scenario shifts a numeric column)"
        )
    snapshot = params.paths.snapshot
    columns = header(snapshot)
    if columns is None:
        return f"the schema ({snapshot} not present yet)"
    check_columns(named, columns, snapshot, source)
    return f"the schema and the columns of {snapshot}"


def check_rows(
    frame: pd.DataFrame, data: Data, rules: Validate, split: Prepare, source: str = "params.yaml"
) -> dict[str, dict[str, int]]:
    """The checks that need the rows (the schema has passed, so the columns `data:` names
    are there): the positive label occurs, and each side of the split holds at least
    `rules.min_class_rows` rows of each class. Returns the rows and positives per side,
    for the validation summary."""
    from mlops.data.prepare import in_test_split

    target = frame[data.target]
    positive = (target == data.positive_label).to_numpy()
    if not positive.any():
        counts = target.value_counts()
        held = _listing(f"{value!r} ({count} rows)" for value, count in counts.items())
        raise ConfigError(
            f"{source}: data.positive_label: {data.positive_label!r} never occurs in column "
            f"{data.target!r} (it holds: {held or 'nothing'})"
        )
    if positive.all():
        raise DataError(
            f"column {data.target!r}: all {len(frame)} rows are {data.positive_label!r}: one "
            "class only, nothing to learn to tell apart"
        )
    key = frame[data.group_column or data.id_column]
    in_test = in_test_split(key, split.split_salt, split.test_fraction)
    sides = {
        side: {"rows": int(mask.sum()), "positive": int(positive[mask].sum())}
        for side, mask in (("train", ~in_test), ("test", in_test))
    }
    for side, sizes in sides.items():
        fewest = min(sizes["positive"], sizes["rows"] - sizes["positive"])
        if fewest < rules.min_class_rows:
            raise ConfigError(
                f"{source}: prepare.test_fraction: {split.test_fraction} (split_salt "
                f"{split.split_salt!r}) leaves the {side} side of the split "
                f"{sizes['rows']} rows, {sizes['positive']} of them "
                f"{data.positive_label!r}: each side needs validate.min_class_rows="
                f"{rules.min_class_rows} rows of each class (the data: {len(frame)} rows, "
                f"{int(positive.sum())} {data.positive_label!r})"
            )
    return sides
