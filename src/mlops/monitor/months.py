"""Months as the data knows them ("YYYY-MM"): the arrival month of a row, the clock of
staleness and of the new data (the default data's months are simulated)."""

from __future__ import annotations

import re

from mlops.core.sections import MONTH_PATTERN

MONTH = re.compile(MONTH_PATTERN)


def month_number(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def months_between(first: str | None, last: str | None) -> int | None:
    if not first or not last:
        return None
    return month_number(last) - month_number(first)


def month_after(month: str) -> str:
    n = month_number(month) + 1
    return f"{n // 12:04d}-{n % 12 + 1:02d}"
