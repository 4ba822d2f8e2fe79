"""The contract of the snapshot: columns, types, ranges and allowed categories.

A forker with other data rewrites COLUMNS below (and `data:` in params.yaml); nothing
else in the machinery names a column. Quality ceilings that are knobs (missing rate,
minimum rows) live in params.yaml under `validate:`.
"""

from __future__ import annotations

import pandera.pandas as pa

from mlops.core.config import Data

WORKCLASS = ["Federal-gov", "Local-gov", "Never-worked", "Private", "Self-emp-inc",
             "Self-emp-not-inc", "State-gov", "Without-pay"]  # fmt: skip
EDUCATION = ["10th", "11th", "12th", "1st-4th", "5th-6th", "7th-8th", "9th", "Assoc-acdm",
             "Assoc-voc", "Bachelors", "Doctorate", "HS-grad", "Masters", "Preschool",
             "Prof-school", "Some-college"]  # fmt: skip
MARITAL_STATUS = ["Divorced", "Married-AF-spouse", "Married-civ-spouse",
                  "Married-spouse-absent", "Never-married", "Separated", "Widowed"]  # fmt: skip
OCCUPATION = ["Adm-clerical", "Armed-Forces", "Craft-repair", "Exec-managerial",
              "Farming-fishing", "Handlers-cleaners", "Machine-op-inspct", "Other-service",
              "Priv-house-serv", "Prof-specialty", "Protective-serv", "Sales", "Tech-support",
              "Transport-moving"]  # fmt: skip
RELATIONSHIP = ["Husband", "Not-in-family", "Other-relative", "Own-child", "Unmarried", "Wife"]
RACE = ["Amer-Indian-Eskimo", "Asian-Pac-Islander", "Black", "Other", "White"]
SEX = ["Female", "Male"]
NATIVE_COUNTRY = ["Cambodia", "Canada", "China", "Columbia", "Cuba", "Dominican-Republic",
                  "Ecuador", "El-Salvador", "England", "France", "Germany", "Greece",
                  "Guatemala", "Haiti", "Holand-Netherlands", "Honduras", "Hong", "Hungary",
                  "India", "Iran", "Ireland", "Italy", "Jamaica", "Japan", "Laos", "Mexico",
                  "Nicaragua", "Outlying-US(Guam-USVI-etc)", "Peru", "Philippines", "Poland",
                  "Portugal", "Puerto-Rico", "Scotland", "South", "Taiwan", "Thailand",
                  "Trinadad&Tobago", "United-States", "Vietnam", "Yugoslavia"]  # fmt: skip
INCOME = ["<=50K", ">50K"]


def _number(low: int, high: int, nullable: bool = False) -> pa.Column:
    return pa.Column("Int64", pa.Check.in_range(low, high), nullable=nullable, coerce=True)


def _category(values: list[str], nullable: bool = False) -> pa.Column:
    return pa.Column(str, pa.Check.isin(values), nullable=nullable, coerce=True)


# The feature and target columns, in snapshot order. Edit this for your data.
COLUMNS: dict[str, pa.Column] = {
    "age": _number(16, 100),
    "workclass": _category(WORKCLASS, nullable=True),
    "fnlwgt": _number(1, 10_000_000),
    "education": _category(EDUCATION),
    "education_num": _number(1, 16),
    "marital_status": _category(MARITAL_STATUS),
    "occupation": _category(OCCUPATION, nullable=True),
    "relationship": _category(RELATIONSHIP),
    "race": _category(RACE),
    "sex": _category(SEX),
    "capital_gain": _number(0, 99_999),
    "capital_loss": _number(0, 99_999),
    "hours_per_week": _number(1, 99),
    "native_country": _category(NATIVE_COUNTRY, nullable=True),
    "income": _category(INCOME),
}


def snapshot_schema(data: Data) -> pa.DataFrameSchema:
    """The whole snapshot: row id and month (added by ingest) plus COLUMNS."""
    columns = {
        data.id_column: pa.Column("int64", pa.Check.ge(0), unique=True, coerce=True),
        data.time_column: pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d{2}$"), coerce=True),
        **COLUMNS,
    }
    if data.group_column is not None:
        columns[data.group_column] = pa.Column(nullable=False)
    # strict: an unexpected column is an error, not silently a new feature.
    return pa.DataFrameSchema(columns, strict=True, ordered=False, name="snapshot")
