from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from mlops.data.prepare import read_split
from mlops.data.schema import COLUMNS
from mlops.evaluate.predict import input_columns, predict
from mlops.serve.client import records
from mlops.serve.schema import problems, request_schema


@pytest.fixture(scope="module")
def model(fitted):
    return fitted[0]


@pytest.fixture(scope="module")
def schema(model):
    return request_schema(COLUMNS, input_columns(model), 1000, reject_unseen=False)


def test_the_request_schema_is_the_data_schema_of_the_model_inputs(schema, model) -> None:
    assert schema.names == input_columns(model)
    one = schema.single.json_schema()
    assert set(one["required"]) == set(schema.names)  # every field present; nullable may be null
    assert one["additionalProperties"] is False
    age = one["properties"]["age"]
    assert (age["type"], age["minimum"], age["maximum"]) == ("integer", 16, 100)
    # nullable in data/schema.py -> null allowed; not nullable -> not
    workclass = one["properties"]["workclass"]
    assert {"type": "null"} in workclass["anyOf"]
    assert "anyOf" not in one["properties"]["sex"]
    batch = schema.json_schema()["oneOf"][1]
    assert (batch["minItems"], batch["maxItems"]) == (1, 1000)


def test_records_are_typed_as_evaluation_reads_the_test_split(schema, model, splits) -> None:
    test = read_split(splits[1])
    rows = test.sample(500, random_state=0)
    rows = pd.concat([rows[rows.isna().any(axis=1)].head(20), rows.head(200)])
    assert rows.isna().any().any()  # missing values are part of it
    validated = schema.batch.validate_python(records(rows, schema.names))
    frame = schema.frame(validated)
    expected = rows[schema.names].reset_index(drop=True)
    # numbers as read_csv types them; text as object arrays of the same strings (pandas'
    # str dtype would be converted back to object by the model's encoder: schema.frame_of)
    text = [c.name for c in schema.columns if c.kind == "category"]
    assert text
    assert all(frame[c].dtype == object for c in text)
    assert frame.equals(expected.astype(dict.fromkeys(text, object)))
    assert np.array_equal(predict(model, frame), predict(model, expected))


def test_a_single_missing_value_is_nan_like_in_the_csv(schema) -> None:
    record = {
        **schema.batch.validate_python([_valid(schema)])[0],
        "workclass": None,
        "occupation": None,
    }
    frame = schema.frame([record])
    assert frame["workclass"].dtype == object
    assert np.isnan(frame.loc[0, "workclass"])
    assert frame["age"].dtype == np.int64


def _valid(schema) -> dict:
    from mlops.serve.service import warm_up_record

    return warm_up_record(schema)


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"age": "39"}, "age", "int_type"),  # strict: a string is not a number
        ({"age": 39.5}, "age", "int_type"),
        ({"age": 15}, "age", "greater_than_equal"),
        ({"hours_per_week": 100}, "hours_per_week", "less_than_equal"),
        ({"sex": None}, "sex", "string_type"),  # not nullable in the data schema
        ({"sex": 1}, "sex", "string_type"),
        ({"sex": ""}, "sex", "string_too_short"),
        ({"row_id": 3}, "row_id", "extra_forbidden"),
        ({"age": True}, "age", "int_type"),
    ],
)
def test_invalid_fields_name_the_field_and_the_rule(schema, change, field, rule) -> None:
    with pytest.raises(ValidationError) as caught:
        schema.validate({**_valid(schema), **change}, batch=False)
    (problem,) = problems(caught.value, batch=False)
    assert (problem.field, problem.rule) == (field, rule)
    assert field in problem.line()


def test_an_integral_float_is_an_integer_as_in_json_schema(schema) -> None:
    record = schema.validate({**_valid(schema), "age": 39.0}, batch=False)
    assert record["age"] == 39
    assert type(record["age"]) is int
    rows = schema.validate([_valid(schema), {**_valid(schema), "hours_per_week": 40.0}], True)
    assert type(rows[1]["hours_per_week"]) is int
    assert rows[1]["hours_per_week"] == 40


@pytest.mark.parametrize("value", [39.5, "39", True, math.inf, math.nan, 1e300])
def test_only_an_integral_float_becomes_an_integer(schema, value) -> None:
    record = {**_valid(schema), "age": value, "sex": 1}
    with pytest.raises(ValidationError) as caught:
        schema.validate([_valid(schema), record], batch=True)
    found = {(p.record, p.field, p.rule) for p in problems(caught.value, batch=True)}
    rule = "less_than_equal" if value == 1e300 else "int_type"
    assert found == {(1, "age", rule), (1, "sex", "string_type")}


def test_a_missing_field_is_refused(schema) -> None:
    record = _valid(schema)
    del record["education"]
    with pytest.raises(ValidationError) as caught:
        schema.batch.validate_python([_valid(schema), record])
    (problem,) = problems(caught.value, batch=True)
    assert (problem.record, problem.field, problem.rule) == (1, "education", "missing")
    assert problem.line() == "record 1, field 'education': required field is missing (missing)"


def test_unseen_categories_are_scored_or_rejected_by_the_switch(model) -> None:
    scored = request_schema(COLUMNS, input_columns(model), 10, reject_unseen=False)
    rejected = request_schema(COLUMNS, input_columns(model), 10, reject_unseen=True)
    record = {**_valid(scored), "native_country": "Atlantis"}
    assert scored.single.validate_python(record)["native_country"] == "Atlantis"
    with pytest.raises(ValidationError) as caught:
        rejected.single.validate_python(record)
    assert problems(caught.value, batch=False)[0].rule == "literal_error"
    assert "enum" in str(rejected.single.json_schema()["properties"]["native_country"])
