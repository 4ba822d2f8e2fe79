"""Unit tests of the report's parts: data diff and drift, params diff, the size limit,
and the gate's summary line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops.core.config import Data
from mlops.review import datadiff
from mlops.review.gate import summary_line
from mlops.review.report import LIMIT, fit_to_limit
from mlops.review.report_changes import params_section
from mlops.review.sides import Side

DATA = Data(
    id_column="row_id", time_column="month", target="income", positive_label=">50K",
    slices=["sex"],
)  # fmt: skip


def _frame(ids: range, seed: int = 0, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(ids)
    return pd.DataFrame(
        {
            "row_id": list(ids),
            "month": [f"2025-{1 + i % 3:02d}" for i in ids],
            "age": rng.normal(40 + shift, 10, n).round(),
            "sex": rng.choice(["Female", "Male"], n, p=[0.33, 0.67]),
            "income": rng.choice(["<=50K", ">50K"], n, p=[0.76, 0.24]),
        }
    )


def test_psi_is_zero_for_the_same_data_and_grows_with_a_shift():
    base = _frame(range(5000))
    assert datadiff.psi(base["age"], base["age"]) == pytest.approx(0.0, abs=1e-12)
    assert datadiff.psi(base["sex"], base["sex"]) == pytest.approx(0.0, abs=1e-12)
    resampled = _frame(range(5000), seed=1)
    shifted = _frame(range(5000), seed=1, shift=8.0)
    small = datadiff.psi(base["age"], resampled["age"])
    large = datadiff.psi(base["age"], shifted["age"])
    assert small < datadiff.PSI_WATCH < datadiff.PSI_SHIFT < large


def test_data_diff_counts_rows_added_and_removed_by_month_and_schema_changes():
    base = _frame(range(0, 900))
    head = _frame(range(300, 1500)).drop(columns=["sex"])
    head["new"] = 1.0
    head.loc[head.index[:120], "age"] = np.nan
    d = datadiff.diff(base, head, DATA)
    assert (d.base_rows, d.head_rows, d.added, d.removed) == (900, 1200, 600, 300)
    assert sum(r["added"] for r in d.by_period) == 600
    assert sum(r["removed"] for r in d.by_period) == 300
    assert [r["period"] for r in d.by_period] == ["2025-01", "2025-02", "2025-03"]
    assert d.columns_added == ["new"]
    assert d.columns_removed == ["sex"]
    assert d.missing == [("age", 0.0, pytest.approx(0.1))]
    assert {c for c, _, _ in d.drift} == {"age"}  # id, month, target are not features


def _side(params: dict) -> Side:
    return Side("x", None, "", params)


def test_params_diff_lists_changed_added_and_removed_keys_only():
    base = {"train": {"seed": 42, "hgb": {"max_iter": 300, "max_depth": None}}, "old": 1}
    head = {"train": {"seed": 42, "hgb": {"max_iter": 3, "max_depth": 1}}, "gate": {"m": 0.1}}
    text = params_section(_side(base), _side(head))
    assert "4 changed keys" in text
    assert "| `train.hgb.max_iter` | `300` | `3` |" in text
    assert "| `train.hgb.max_depth` | `null` | `1` |" in text
    assert "| `old` | `1` | (absent) |" in text
    assert "| `gate.m` | (absent) | `0.1` |" in text
    assert "seed" not in text
    assert params_section(_side(base), _side(base)).endswith("No change in params.yaml.")


def test_an_oversized_report_is_cut_with_a_note_and_no_open_block():
    body = "**Gate: PASSED** ...\n\n" + "\n".join(
        f"```mermaid\nxychart-beta\n  line [{i}, {i}]\n```" for i in range(20_000)
    )
    text = fit_to_limit(body)
    assert len(body) > LIMIT >= len(text)
    assert text.startswith("**Gate: PASSED**")
    assert text.count("```") % 2 == 0
    assert "Report truncated to fit a GitHub comment" in text
    assert fit_to_limit("short\n") == "short\n"


def test_the_gate_summary_line_names_the_champion_and_the_failed_rules():
    champion = {"label": "main", "commit": "0123456789abcdef", "model": "DVC cache"}
    rules = [{"name": f"rule{i}"} for i in range(8)]
    passed = {"decision": "pass", "champion": champion, "rules": rules, "failed": []}
    assert summary_line(passed) == (
        "gate: PASS against main (0123456, model from DVC cache): all 8 rules pass"
    )
    failed = {**passed, "decision": "fail", "failed": [r["name"] for r in rules[:6]]}
    line = summary_line(failed)
    assert line.startswith("gate: FAIL against main (0123456, model from DVC cache): 6 of 8")
    assert line.endswith("rule0, rule1, rule2, rule3, rule4 and 1 more")
