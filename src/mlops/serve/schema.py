"""The request record, generated from the schema that validates the training data.

One source of truth: `COLUMNS` in data/schema.py (types, ranges, nullability, allowed
categories) restricted to the columns the model takes. A number outside its range, a
wrong type, a missing or an extra field is a 422 naming the field and the rule. A
category the schema does not list is, by default, scored as evaluation scores it (the
model's encoder treats it as unknown) and counted in /metrics: a new category in
production is drift to watch, not a malformed request; `serve.unseen_categories: reject`
makes it a 422 instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from mlops.core.errors import DataError

KIND_INTEGER, KIND_NUMBER, KIND_CATEGORY = "integer", "number", "category"


@dataclass(frozen=True)
class Column:
    """One input column as the service checks it."""

    name: str
    kind: str  # integer | number | category
    nullable: bool
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] = ()

    @cached_property  # read on every request (unseen categories)
    def allowed(self) -> frozenset[str]:
        return frozenset(self.categories)


def _kind(name: str, column: pa.Column) -> str:
    dtype = str(column.dtype).lower()
    if dtype.startswith(("int", "uint")):
        return KIND_INTEGER
    if dtype.startswith("float"):
        return KIND_NUMBER
    # pandas' text dtype is "str"/"object", or "string[pyarrow]" once pyarrow is installed
    if dtype in {"str", "object"} or dtype.startswith("string"):
        return KIND_CATEGORY
    raise DataError(f"data/schema.py: column {name!r}: dtype {dtype} cannot be served")


def columns_for(schema: dict[str, pa.Column], inputs: Sequence[str]) -> list[Column]:
    """The model's input columns, each described by its entry in the data schema."""
    out = []
    for name in inputs:
        if name not in schema:
            raise DataError(f"the model takes column {name!r}, which data/schema.py does not list")
        column = schema[name]
        low = high = None
        allowed: tuple[str, ...] = ()
        for check in column.checks:
            stats = check.statistics or {}
            if check.name == "in_range":
                low, high = stats.get("min_value"), stats.get("max_value")
            elif check.name == "isin":
                allowed = tuple(str(v) for v in stats.get("allowed_values", ()))
        out.append(Column(name, _kind(name, column), bool(column.nullable), low, high, allowed))
    return out


def _integral_floats(data: Any, error: ValidationError) -> bool:
    """JSON Schema's integer: 39.0 is 39 (a JSON number without a fraction). Where the
    strict int check refused such a float, put the int in its place (True if any); "39",
    true and 39.5 stay what they are and are refused again. Done after a refusal, not by
    a validator per value: that Python call per integer cost ~0.3 ms at 1,000 rows."""
    changed = False
    for item in error.errors(include_url=False):
        value = item["input"]
        if item["type"] != "int_type" or not isinstance(value, float) or not value.is_integer():
            continue
        whole = int(value)
        *path, last = item["loc"]
        holder = data
        for key in path:
            holder = holder[key]
        if isinstance(holder, dict) and holder.get(last) is value:
            holder[last] = whole
            changed = True
    return changed


def _annotation(column: Column, reject_unseen: bool) -> Any:
    if column.kind == KIND_CATEGORY:
        if reject_unseen and column.categories:
            kind: Any = Literal[column.categories]
        else:
            examples = list(column.categories[:3])
            kind = Annotated[str, Field(min_length=1, examples=examples or None)]
    elif column.kind == KIND_INTEGER:
        # no allow_inf_nan: an int is never either, and pydantic checks it by a Python call
        # per value (~0.3 ms at 1,000 rows); a float, inf or not, is not an int
        kind = Annotated[int, Field(ge=column.minimum, le=column.maximum)]
    else:
        kind = Annotated[float, Field(ge=column.minimum, le=column.maximum, allow_inf_nan=False)]
    return kind | None if column.nullable else kind


@dataclass(frozen=True)
class RequestSchema:
    """Validates request bodies and turns records into the frame the model scores."""

    columns: tuple[Column, ...]
    max_rows: int
    record: Any  # the TypedDict of one record
    batch: TypeAdapter[Any]
    single: TypeAdapter[Any]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def validate(self, data: Any, batch: bool) -> Any:
        """A parsed body (a list of records if `batch`, else one record) validated: the
        records, typed; or pydantic's ValidationError. Integral floats are integers."""
        adapter = self.batch if batch else self.single
        try:
            return adapter.validate_python(data)
        except ValidationError as error:
            if not _integral_floats(data, error):
                raise
        return adapter.validate_python(data)

    def json_schema(self) -> dict[str, Any]:
        """The request body's JSON schema: one record, or an array of 1..max_rows records."""
        one = self.single.json_schema()
        return {
            "oneOf": [
                one,
                {"type": "array", "items": one, "minItems": 1, "maxItems": self.max_rows},
            ]
        }

    def frame(self, records: list[dict[str, Any]]) -> pd.DataFrame:
        """Records -> the DataFrame the model scores (see `scored_columns`)."""
        return self.frame_of(self.scored_columns(records)[0])

    def frame_of(self, data: dict[str, np.ndarray]) -> pd.DataFrame:
        """The columns of `scored_columns` as a frame, each keeping its array's dtype.

        Text stays object: pandas >= 3 turns object arrays of str into its `str` dtype in
        the constructor, and the model's encoder turns that back into object; the two
        cost ~1 ms at 1,000 rows (measured here) for the same codes, so the same
        probabilities as on the test split as read_csv types it (the skew test checks
        them bit for bit)."""
        rows = pd.RangeIndex(len(data[self.names[0]]))  # one index: no alignment to check
        series = {
            name: pd.Series(data[name], index=rows, dtype=data[name].dtype, copy=False)
            for name in self.names
        }
        return pd.DataFrame(series, index=rows, columns=self.names, copy=False)

    def scored_columns(
        self, records: list[dict[str, Any]]
    ) -> tuple[dict[str, np.ndarray], RowStats]:
        """Records -> the columns of the frame the model scores, with the values
        evaluation reads from the test split (pandas' read_csv): integers int64 (float64
        with NaN when any is missing), numbers float64, categories the same strings
        (object arrays: see `frame_of`) with NaN for a missing value. With them, per
        column, how many values were missing and how many categories the schema does not
        list (these feed /metrics on every request). The arrays themselves feed the
        online drift window (reading them back out of the frame costs more than binning
        them). Validated records have every field, so the values are read column by
        column in C (map, itemgetter), not by a Python loop per value."""
        data: dict[str, Any] = {}
        missing: dict[str, int] = {}
        unseen: dict[str, int] = {}
        for column in self.columns:
            values = list(map(itemgetter(column.name), records))
            # validated records: only a nullable field can be null
            absent = values.count(None) if column.nullable else 0
            missing[column.name] = absent
            if column.kind == KIND_CATEGORY:
                if column.categories:
                    known = sum(map(column.allowed.__contains__, values))
                    unseen[column.name] = len(values) - absent - known
                if absent:
                    values = [math.nan if v is None else v for v in values]
                data[column.name] = np.array(values, dtype=object)
            elif column.kind == KIND_INTEGER and not absent:
                data[column.name] = np.array(values, dtype=np.int64)
            else:  # numpy reads None as NaN in a float array
                data[column.name] = np.array(values, dtype=np.float64)
        return data, RowStats(missing, unseen)


@dataclass(frozen=True)
class RowStats:
    """Per column: values missing, and categories the data schema does not list."""

    missing: dict[str, int]
    unseen: dict[str, int]


def request_schema(
    schema: dict[str, pa.Column], inputs: Sequence[str], max_rows: int, reject_unseen: bool
) -> RequestSchema:
    columns = tuple(columns_for(schema, inputs))
    fields = {c.name: _annotation(c, reject_unseen) for c in columns}
    record: Any = TypedDict("Record", fields)  # type: ignore[misc]
    # strict: "39" is not an age and 39.5 is not an integer; extra fields are refused.
    record.__pydantic_config__ = ConfigDict(extra="forbid", strict=True)  # type: ignore[attr-defined]
    rows: Any = Annotated[list[record], Field(min_length=1, max_length=max_rows)]
    batch: TypeAdapter[Any] = TypeAdapter(rows)
    return RequestSchema(columns, max_rows, record, batch, TypeAdapter(record))


@dataclass(frozen=True)
class Problem:
    """One reason a request is refused: where, which rule, and a sentence."""

    record: int | None
    field: str | None
    rule: str
    message: str

    def line(self) -> str:
        where = [f"record {self.record}"] if self.record is not None else []
        where += [f"field {self.field!r}"] if self.field else []
        return f"{', '.join(where) + ': ' if where else ''}{self.message} ({self.rule})"


def problems(error: ValidationError, batch: bool) -> list[Problem]:
    """pydantic's errors as (record, field, rule, message), the first ones first."""
    out = []
    for item in error.errors(include_url=False):
        loc = list(item["loc"])
        record = loc.pop(0) if batch and loc and isinstance(loc[0], int) else None
        field = str(loc[0]) if loc else None
        rule = str(item["type"])
        message = str(item["msg"])
        if rule == "missing":
            message = "required field is missing"
        elif rule == "extra_forbidden":
            message = "unknown field (the model's inputs are listed in GET /metadata)"
        out.append(Problem(record if isinstance(record, int) else None, field, rule, message))
    return out
