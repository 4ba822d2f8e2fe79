"""Which rows of the champion's own test split the challenger's scored rows lack, on the
default data (the champion's snapshot, its split by the salted hash of row_id)."""

from __future__ import annotations

from pathlib import Path

from mlops.data.prepare import read_split
from mlops.review.compare import removed_rows
from mlops.review.sides import Side


def champion_with(snapshot: Path, params) -> Side:
    side = Side("main", "a" * 40, "champion", {"prepare": params.prepare.model_dump()})
    side.snapshot_path = snapshot
    return side


def test_the_champions_test_rows_missing_from_the_scored_rows_are_counted(
    params, splits, snapshot_path: Path
) -> None:
    test = read_split(splits[1])
    champion = champion_with(snapshot_path, params)
    same = removed_rows(champion, test, params)
    assert (same.champion_rows, same.removed) == (len(test), 0)

    hard = test[test["income"] == 1].head(250)  # a PR that drops rows its model gets wrong
    check = removed_rows(champion, test.drop(index=hard.index), params)
    assert (check.champion_rows, check.removed) == (len(test), 250)
    assert len(check.examples) == 5
    assert all(e.isdigit() for e in check.examples)
    assert sum(n for _, n in check.by_period) == 250
    assert {p for p, _ in check.by_period} <= set(test["month"].astype(str))

    # A new split salt moves rows between train and test: the champion's rows go missing.
    moved = champion_with(snapshot_path, params)
    moved.params = {"prepare": {**params.prepare.model_dump(), "split_salt": "other"}}
    assert removed_rows(moved, test, params).removed > 0.7 * len(test)
