"""Report sections on the two models: metrics with their intervals and reading, the
gate's rules (failures first, passes folded), slices, charts and runtime figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlops.review import report_models
from mlops.review.scoring import Change
from mlops.review.sides import Side
from support.review import EVALUATE, synthetic_review, world


def test_direction_reads_the_interval_in_the_metrics_own_sense():
    read = report_models._direction
    assert read(Change("roc_auc", 0.9, 0.91, 0.002, 0.02, 0.95)) == "better"
    assert read(Change("roc_auc", 0.9, 0.88, -0.03, -0.01, 0.95)) == "worse"
    assert read(Change("log_loss", 0.3, 0.28, -0.03, -0.01, 0.95)) == "better"
    assert read(Change("log_loss", 0.3, 0.32, 0.01, 0.03, 0.95)) == "worse"
    assert read(Change("brier", 0.1, 0.1, -0.001, 0.001, 0.95)) == "no clear change"


def test_metrics_table_marks_the_primary_metric_and_the_interval():
    review = synthetic_review()
    text = report_models.metrics_section(review, "pr_auc")
    assert "Both models scored on the same 2,000 rows: the challenger's test split " in text
    assert "(`build/test.csv`, positive rate" in text
    assert "Intervals: paired bootstrap of the change, 95%." in text
    assert "| metric | champion | challenger | change | 95% CI of change | reading |" in text
    pr_auc = review.comparison.changes["pr_auc"].base
    assert (
        f"| **pr_auc** (primary), higher is better | {pr_auc:.4f} | {pr_auc:.4f} | +0.0000 |"
        in text
    )
    assert "| log_loss, lower is better |" in text
    assert text.count("| no clear change |") == 6  # an unchanged model


def test_rules_failures_are_shown_and_passes_and_skips_folded():
    _, _, proba = world()
    worse = synthetic_review(np.random.default_rng(0).permutation(proba), latency=None)
    text = report_models.rules_section(worse)
    failed = len(worse.decision.failed)
    assert f"Policy: `gate:` in params.yaml of the base `main`. {failed} rules fail:" in text
    before_fold = text.split("<details>")[0]
    assert "| `latency_ms_p95` | - | 50.0000 | **FAIL** |" in before_fold
    assert "| `model_bytes` | 10,000 | 1,000,000 | pass |" in text.split("passing rules")[1]
    assert "not judged</summary>" in text
    assert "- slice g=c: " in text  # the small group
    unchanged = report_models.rules_section(synthetic_review())
    assert "Every rule passes." in unchanged
    assert "**FAIL**" not in unchanged


def test_slices_show_each_group_largest_first_with_changes_and_gaps():
    frame, _, proba = world()
    head = proba.copy()
    head[frame["g"].to_numpy() == "b"] *= 0.5  # the challenger gets group b worse
    text = report_models.slices_section(synthetic_review(head), EVALUATE.min_slice_size)
    assert "Groups under 100 rows (`evaluate.min_slice_size`) are flagged *small*" in text
    rows = [line for line in text.splitlines() if line.startswith(("| a ", "| b ", "| c "))]
    assert [r.split(" |")[0] for r in rows] == ["| a", "| b", "| c *small*"]
    review = synthetic_review(head)
    before = review.comparison.base_slices["g"]["groups"]["b"]
    after = review.comparison.head_slices["g"]["groups"]["b"]
    b = rows[1].split(" | ")
    # Halving the scores keeps b's ranking (same AUC) but loses its positives.
    assert b[2:4] == [f"{before['roc_auc']:.4f} -> {after['roc_auc']:.4f}", "+0.0000"]
    assert b[6:8] == [f"{before['true_positive_rate']:.4f} -> 0.0000",
                      f"-{before['true_positive_rate']:.4f} |"]  # fmt: skip
    assert "g: gaps between groups (max - min over large groups)" in text
    assert "| true_positive_rate |" in text


def test_charts_include_importance_only_when_the_challenger_has_it(params):
    head = Side("workspace", None, "", {})
    head.importance = pd.DataFrame({"feature": ["x1", "x2"], "importance": [0.2, 0.1]})
    with_importance = report_models.charts_section(synthetic_review(head=head), params)
    assert with_importance.startswith("### Charts\n\n**ROC curve**")
    assert with_importance.count("```mermaid") == 4
    assert "orange bars: challenger, blue line: champion" in with_importance
    without = report_models.charts_section(synthetic_review(), params)
    assert without.count("```mermaid") == 3


def test_runtime_figures_with_ratios_and_gaps(tmp_path):
    base, head = Side("main", None, "", {}), Side("workspace", None, "", {})
    base.model_path, head.model_path = tmp_path / "a", tmp_path / "b"
    base.model_path.write_bytes(b"x" * 1000)
    head.model_path.write_bytes(b"x" * 2500)
    base.reports = {"runtime": {"latency_ms_p50": 0.5, "latency_ms_p95": 1.0}, "training": None}
    head.reports = {"runtime": {"latency_ms_p50": 1.0, "latency_ms_p95": "?"},
                    "training": {"fit_seconds": 2.0, "rows": 39143}}  # fmt: skip
    text = report_models.runtime_section(base, head)
    assert "| model file, bytes | 1,000 | 2,500 | x2.50 |" in text
    assert "| latency p50, ms per row | 0.500 | 1.000 | x2.00 |" in text
    assert "| latency p95, ms per row | 1.000 | - | - |" in text  # not a number: not shown
    assert "| fit, seconds | - | 2.000 | - |" in text  # the champion did not record it
    assert "| train rows | - | 39,143 | - |" in text
