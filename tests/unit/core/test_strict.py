"""The base of every params.yaml section: unknown keys, coercion and mutation are errors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mlops.core.strict import Strict


class Section(Strict):
    rate: float
    count: int
    name: str = "x"


def test_a_valid_section_loads():
    section = Section.model_validate({"rate": 0.5, "count": 3})
    assert (section.rate, section.count, section.name) == (0.5, 3, "x")


def test_unknown_keys_are_rejected_by_name():
    with pytest.raises(ValidationError) as info:
        Section.model_validate({"rate": 0.5, "count": 3, "cuont": 4})
    (error,) = info.value.errors()
    assert (error["type"], error["loc"]) == ("extra_forbidden", ("cuont",))


@pytest.mark.parametrize(
    ("raw", "key"),
    [({"rate": 0.5, "count": "3"}, "count"),  # a quoted number stays a string
     ({"rate": 0.5, "count": 3.0}, "count"),  # a float is not silently truncated
     ({"rate": 0.5, "count": True}, "count"),  # nor a boolean read as 1
     ({"rate": "0.5", "count": 3}, "rate")],
)  # fmt: skip
def test_values_are_not_coerced(raw, key):
    with pytest.raises(ValidationError) as info:
        Section.model_validate(raw)
    assert [e["loc"] for e in info.value.errors()] == [(key,)]


def test_a_loaded_section_is_immutable():
    section = Section.model_validate({"rate": 0.5, "count": 3})
    with pytest.raises(ValidationError, match="frozen"):
        section.count = 4  # type: ignore[misc]
