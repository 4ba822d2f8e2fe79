"""The snapshot's contract (pandera): the default data passes it, and each kind of
breach (range, category, nullability, unique id, month format, unknown column) fails it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.errors
import pytest

from mlops.data.schema import COLUMNS, snapshot_schema


@pytest.fixture(scope="module")
def rows(snapshot_path) -> pd.DataFrame:
    """200 rows of the default snapshot, as read_snapshot reads them (text)."""
    return pd.read_csv(snapshot_path, dtype=str, keep_default_na=False, na_values=[""], nrows=200)


def checks_failing(schema, frame: pd.DataFrame) -> set[tuple[str, str]]:
    with pytest.raises(pandera.errors.SchemaErrors) as info:
        schema.validate(frame, lazy=True)
    cases = info.value.failure_cases
    # A column-level failure (missing or unexpected column) names the column as its case.
    return {
        (
            str(case) if str(check).startswith("column_in_") else str(column),
            str(check).split("(")[0],
        )
        for column, check, case in zip(
            cases["column"], cases["check"], cases["failure_case"], strict=True
        )
    }


def test_the_default_snapshot_passes_with_typed_columns(params, rows):
    typed = snapshot_schema(params.data).validate(rows)
    assert list(typed.columns) == [params.data.id_column, params.data.time_column, *COLUMNS]
    assert str(typed["age"].dtype) == "Int64"
    assert str(typed[params.data.id_column].dtype) == "int64"


@pytest.mark.parametrize(
    ("column", "value", "check"),
    [
        ("age", "101", "in_range"),
        ("education_num", "0", "in_range"),
        ("sex", "Unknown", "isin"),
        ("income", ">50K.", "isin"),  # the raw adult.test label, before ingest fixes it
        ("month", "2025-1", "str_matches"),
        ("education", None, "not_nullable"),
    ],
)
def test_each_breach_names_its_column_and_rule(params, rows, column, value, check):
    broken = rows.copy()
    broken.loc[broken.index[3], column] = value
    assert (column, check) in checks_failing(snapshot_schema(params.data), broken)


def test_nullable_columns_accept_missing_values(params, rows):
    holes = rows.copy()
    for column in ("workclass", "occupation", "native_country"):
        holes.loc[holes.index[:5], column] = np.nan
    typed = snapshot_schema(params.data).validate(holes)
    assert (
        typed.loc[typed.index[:5], ["workclass", "occupation", "native_country"]]
        .isna()
        .all(axis=None)
    )


def test_row_ids_are_unique_and_columns_are_exactly_the_schema(params, rows):
    schema = snapshot_schema(params.data)
    duplicated = rows.copy()
    duplicated.loc[duplicated.index[1], "row_id"] = duplicated.loc[duplicated.index[0], "row_id"]
    assert ("row_id", "field_uniqueness") in checks_failing(schema, duplicated)
    extra = rows.assign(new_feature="1")
    assert ("new_feature", "column_in_schema") in checks_failing(schema, extra)
    missing = rows.drop(columns=["age"])
    assert ("age", "column_in_dataframe") in checks_failing(schema, missing)


def test_id_and_time_columns_come_from_params(params, rows):
    data = params.data.model_copy(update={"id_column": "id", "time_column": "period"})
    renamed = rows.rename(columns={"row_id": "id", "month": "period"})
    snapshot_schema(data).validate(renamed)
    assert checks_failing(snapshot_schema(data), rows)  # the old names are now unexpected
