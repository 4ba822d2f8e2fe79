"""Report sections on what changed: data (same, unreadable, or diffed by rows, period,
schema, missing rates and drift), long params diffs, and the commits compared.
(The params diff itself: test_report.py.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlops.review import report_changes
from mlops.review.sides import Side
from support.review import BASE_SHA, HEAD_SHA, synthetic_review


def snapshot(path: Path, ids: range, seed: int, shift: float = 0.0) -> Path:
    rng = np.random.default_rng(seed)
    n = len(ids)
    pd.DataFrame({
        "row_id": list(ids), "month": [f"2025-{1 + i % 2:02d}" for i in ids],
        "age": rng.normal(40 + shift, 10, n).round(), "sex": rng.choice(["F", "M"], n),
        "income": rng.choice(["<=50K", ">50K"], n),
    }).to_csv(path, index=False)  # fmt: skip
    return path


def sides(base_hash: str | None, head_hash: str | None) -> tuple[Side, Side]:
    base = Side("model@v1.0.0 (prod)", BASE_SHA, "old model", {}, data_hash=base_hash)
    head = Side("workspace", HEAD_SHA, "new model", {}, data_hash=head_hash)
    return base, head


def test_the_same_data_hash_is_said_in_one_line(params):
    review = synthetic_review(None, *sides("abc" * 11, "abc" * 11))
    assert report_changes.data_section(review, params) == (
        "### Data\n\nSame data on both sides (data md5 `abcabcabcabc` -> `abcabcabcabc`)."
    )


def test_a_snapshot_that_cannot_be_read_is_said(params):
    review = synthetic_review(None, *sides("1" * 32, None))
    text = report_changes.data_section(review, params)
    assert text.endswith("Data changed (data md5 `111111111111` -> `?`), but a snapshot could "
                         "not be read to compare.")  # fmt: skip


def test_changed_data_is_diffed(params, tmp_path: Path):
    base, head = sides("1" * 32, "2" * 32)
    base.snapshot_path = snapshot(tmp_path / "base.csv", range(0, 1000), 0)
    head.snapshot_path = snapshot(tmp_path / "head.csv", range(200, 1400), 1, shift=10.0)
    text = report_changes.data_section(synthetic_review(None, base, head), params)
    assert "Rows 1,000 -> 1,200: 400 added, 200 removed (matched by `row_id`)." in text
    assert "| month | champion | challenger | added | removed |" in text
    assert "| 2025-01 | 500 | 600 | 200 | 100 |" in text
    assert "No column added, removed or retyped." in text
    assert "**Missing values**: no change in any column's missing rate." in text
    drift = text.split("**Drift**")[1]
    assert "| `age` | numeric |" in drift
    assert drift.index("`age`") < drift.index("`sex`")  # worst first
    assert "| shift |" in drift.split("`sex`")[0]  # age moved by a standard deviation


def test_schema_and_missing_rate_changes_are_listed(params, tmp_path: Path):
    base, head = sides("1" * 32, "2" * 32)
    base.snapshot_path = snapshot(tmp_path / "base.csv", range(1000), 0)
    changed = pd.read_csv(snapshot(tmp_path / "head.csv", range(1000), 0))
    changed = changed.drop(columns=["sex"]).assign(hours=40)
    changed.loc[:99, "age"] = np.nan
    changed.to_csv(tmp_path / "head.csv", index=False)
    head.snapshot_path = tmp_path / "head.csv"
    text = report_changes.data_section(synthetic_review(None, base, head), params)
    assert "- column added: `hours`\n- column removed: `sex`" in text
    assert "| `age` | 0.00% | 10.00% | +10.00 pt |" in text


def test_a_long_params_diff_is_cut_with_a_count():
    keys = report_changes.PARAMS_ROWS + 5
    base = Side("b", None, "", {"k": {f"p{i:03d}": i for i in range(keys)}, "same": 1})
    head = Side("h", None, "", {"k": {f"p{i:03d}": i + 1 for i in range(keys)}, "same": 1})
    text = report_changes.params_section(base, head)
    assert f"{keys} changed keys in params.yaml" in text
    assert text.count("| `k.p") == report_changes.PARAMS_ROWS
    assert text.endswith("5 more changed keys not shown.")


def test_an_emptied_section_shows_as_a_change():
    base = Side("b", None, "", {"ingest": {"replace": {"income": "x"}}})
    head = Side("h", None, "", {"ingest": {"replace": {}}})
    text = report_changes.params_section(base, head)
    assert '| `ingest.replace.income` | `"x"` | (absent) |' in text
    assert "| `ingest.replace` | (absent) | `{}` |" in text


@pytest.mark.parametrize("notes", [[], ["rebuilt model differs"]])
def test_commits_compared(notes):
    base, head = sides(None, None)
    base.obtained.update(model="DVC cache", data="DVC remote")
    base.notes.extend(notes)
    text = report_changes.commits_section(base, head)
    assert text.splitlines()[2] == (
        f'- champion: `model@v1.0.0 (prod)` at `{BASE_SHA}` "old model"; model from DVC '
        "cache, data from DVC remote"
    )
    assert text.splitlines()[3] == f'- challenger: workspace at `{HEAD_SHA}` "new model"'
    assert text.endswith("\n- note: rebuilt model differs") == bool(notes)
    outside = Side("workspace", None, "", {})
    assert '- challenger: workspace at `-` ""' in report_changes.commits_section(base, outside)
