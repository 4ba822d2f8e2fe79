"""Params against the data: every column params.yaml names exists, the positive label is
allowed and occurs, each side of the split holds both classes; one line naming the key,
its value and what the data holds."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops.core.config import Params
from mlops.core.errors import ConfigError, DataError
from mlops.data.contract import check_params_against_data, check_rows, header
from mlops.data.validate import read_snapshot


def changed(params: Params, section: str, snapshot: str | None = None, **values) -> Params:
    """params with values changed in one section (and paths.snapshot, if given)."""
    update = {section: getattr(params, section).model_copy(update=values)} if values else {}
    if snapshot is not None:
        update["paths"] = params.paths.model_copy(update={"snapshot": snapshot})
    return params.model_copy(update=update)


def fails(check, pattern: str) -> str:
    with pytest.raises((ConfigError, DataError), match=pattern) as info:
        check()
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.fixture(scope="module")
def rows(params, snapshot_path) -> pd.DataFrame:
    return read_snapshot(snapshot_path, params.data)


def test_the_template_agrees_with_its_data(params, snapshot_path):
    with_data = changed(params, "data", snapshot=str(snapshot_path))
    assert check_params_against_data(with_data) == (
        f"the schema and the columns of {snapshot_path}"
    )
    without = changed(params, "data", snapshot="no/such/snapshot.csv")
    assert check_params_against_data(without) == "the schema (no/such/snapshot.csv not present yet)"


@pytest.mark.parametrize(
    ("section", "values", "pattern"),
    [
        ("data", {"slices": ["sex", "gender"]},
         r"^\S*params\.yaml: data\.slices\[1\]: 'gender' is not a column of the schema "
         r"\(data/schema\.py\) \(it has: row_id, month, age, .*, income\)$"),
        ("data", {"target": "salary"}, r"^\S*params\.yaml: data\.target: 'salary' is not a column"),
        ("data", {"positive_label": ">50k"},
         r"^\S*params\.yaml: data\.positive_label: '>50k' is not a value of column 'income' "
         r"\(the schema allows: '<=50K', '>50K'\)$"),
        ("featurize", {"exclude": {"fnlwgt": "weight", "fnlwght": "typo"}},
         r"^\S*params\.yaml: featurize\.exclude\.fnlwght: 'fnlwght' is not a column "
         r".*did you mean 'fnlwgt'\?$"),
    ],
)  # fmt: skip
def test_a_column_or_label_that_the_schema_does_not_have(params, section, values, pattern):
    fails(lambda: check_params_against_data(changed(params, section, **values)), pattern)


def test_the_covariate_to_shift_must_be_a_number(params):
    simulate = params.monitor.simulate.model_copy(update={"covariate_column": "race"})
    bad = params.model_copy(
        update={"monitor": params.monitor.model_copy(update={"simulate": simulate})}
    )
    fails(lambda: check_params_against_data(bad), r"covariate_column: 'race' holds str.*, not num")


def test_the_snapshot_header_is_checked_too(params, tmp_path, rows):
    """The schema adds the id and group columns params name; only the file can say
    whether the snapshot has them. The header (or a Parquet footer) is all that is read."""
    csv = tmp_path / "snapshot.csv"
    rows.rename(columns={"row_id": "id"}).head(3).to_csv(csv, index=False)
    fails(
        lambda: check_params_against_data(changed(params, "data", snapshot=str(csv))),
        rf"^\S*params\.yaml: data\.id_column: 'row_id' is not a column of {csv} \(it has: id, ",
    )
    parquet = tmp_path / "snapshot.parquet"
    pq.write_table(pa.Table.from_pandas(rows.head(3), preserve_index=False), parquet)
    assert header(parquet) == list(rows.columns)
    grouped = changed(params, "data", snapshot=str(parquet), group_column="source_id")
    fails(lambda: check_params_against_data(grouped), r"data\.group_column: 'source_id' is not")
    parquet.write_bytes(b"PAR1 not really")
    fails(lambda: header(parquet), r"cannot read Parquet")


def test_rows_give_the_split_summary(params, rows):
    sides = check_rows(rows, params.data, params.validate_, params.prepare)
    assert sides["train"]["rows"] + sides["test"]["rows"] == len(rows)
    assert sides["test"]["rows"] == 4879  # what prepare writes
    assert 0 < sides["test"]["positive"] < sides["test"]["rows"]


def test_a_label_that_never_occurs_or_one_class_only(params, rows):
    data = params.data.model_copy(update={"positive_label": "<=50K."})
    fails(
        lambda: check_rows(rows, data, params.validate_, params.prepare),
        r"^params\.yaml: data\.positive_label: '<=50K\.' never occurs in column 'income' "
        r"\(it holds: '<=50K' \(18\d{3} rows\), '>50K' \(5\d{3} rows\)\)$",
    )
    one_class = rows.assign(income=">50K")
    fails(
        lambda: check_rows(one_class, params.data, params.validate_, params.prepare),
        r"^column 'income': all 24410 rows are '>50K': one class only",
    )


@pytest.mark.parametrize(
    ("fraction", "side"), [(0.00001, "test"), (0.99999, "train"), (0.001, "test")]
)
def test_each_side_of_the_split_needs_rows_of_each_class(params, rows, fraction, side):
    split = params.prepare.model_copy(update={"test_fraction": fraction})
    fails(
        lambda: check_rows(rows, params.data, params.validate_, split),
        rf"^params\.yaml: prepare\.test_fraction: {fraction} \(split_salt 'adult-split-v1'\) "
        rf"leaves the {side} side of the split \d+ rows, \d+ of them '>50K': each side needs "
        r"validate\.min_class_rows=10 rows of each class \(the data: 24410 rows, 5\d{3} '>50K'\)$",
    )
