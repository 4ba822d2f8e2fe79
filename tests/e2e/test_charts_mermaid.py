"""Charts: the Mermaid text the report emits parses and renders with the real Mermaid
library (in Chromium), including awkward inputs, and each chart has its data table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops.core.config import Evaluate
from mlops.monitor import report as monitor_report
from mlops.review import charts
from support.mermaid_check import blocks, check

EVALUATE = Evaluate(
    threshold=0.5, min_slice_size=100, calibration_bins=10, curve_points=101,
    importance_repeats=1, latency_rows=10,
)  # fmt: skip


def _scores(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    y = (signal + rng.normal(size=n) > 0.5).astype(int)
    good = 1 / (1 + np.exp(-2 * signal))
    worse = np.clip(good + rng.normal(scale=0.3, size=n), 0, 1)
    return y, good, worse


def _markdown() -> str:
    """Every kind of chart block, with normal and awkward inputs."""
    y, good, worse = _scores()
    constant = np.full(len(y), 0.3)  # a degenerate model: one calibration bin, flat ROC
    importance = pd.DataFrame(
        {"feature": ['odd "quoted" name', "capital gain", "age", "x:y"],
         "importance": [0.05, np.nan, -0.001, 0.0]}
    )  # fmt: skip
    parts = [charts.block(c) for c in charts.curve_charts(y, good, worse, EVALUATE)]
    parts += [charts.block(c) for c in charts.curve_charts(y, good, constant, EVALUATE)]
    chart = charts.importance_chart(importance.iloc[::-1], importance)
    assert chart is not None
    parts.append(charts.block(chart, "orange bars: challenger, blue line: champion"))
    only_head = charts.importance_chart(None, importance)
    assert only_head is not None
    parts.append(charts.block(only_head))
    parts += _monitor_charts()
    return "\n\n".join(parts)


def _monitor_charts() -> list[str]:
    """The monitor report's charts: drift per feature, performance by month (one month
    and several), with an awkward feature name."""
    estimate = {"value": 0.93, "ci_low": 0.92, "ci_high": 0.94, "rows": 4000}
    document = {
        "features": [
            {"name": 'odd "quoted" name', "psi": 0.43},
            {"name": "age", "psi": 0.0},
            {"name": "x:y", "psi": 0.12},
        ],
        "thresholds": {"drift": {"psi": 0.2}},
        "performance": {
            "metric": "roc_auc", "confidence": 0.95, "reference": estimate,
            "by_month": [{"month": "2025-07", **estimate, "value": 0.71, "ci_low": 0.69}],
        },
    }  # fmt: skip
    several = {**document["performance"], "by_month": [
        {"month": f"2025-{m:02d}", **estimate} for m in range(7, 13)]}  # fmt: skip
    found = [
        monitor_report.drift_chart(document),
        monitor_report.performance_chart(document),
        monitor_report.performance_chart({**document, "performance": several}),
    ]
    assert all(found)
    return [str(chart) for chart in found]


def test_every_block_parses_and_renders_with_real_mermaid():
    diagrams = blocks(_markdown())
    assert len(diagrams) == 11
    results = check(diagrams)
    assert [r["error"] for r in results] == [None] * len(diagrams)
    assert all(r["svgBytes"] > 1000 for r in results)


def test_the_harness_rejects_a_broken_block():
    broken = charts.mermaid(charts.importance_chart(None, pd.DataFrame(
        {"feature": ["a"], "importance": [0.1]}))).replace("bar [", "bar [oops, ")  # fmt: skip
    results = check([broken])
    assert results[0]["ok"] is False
    assert "Parse error" in results[0]["error"]


def test_each_chart_has_its_data_as_a_table():
    y, good, worse = _scores()
    roc, pr, calibration = charts.curve_charts(y, good, worse, EVALUATE)
    text = charts.block(roc)
    table = text.split("<summary>data</summary>")[1]
    assert table.count("\n| ") == 1 + len(roc.x_labels)  # header + one row per point
    assert (roc.x_labels[0], roc.x_labels[-1]) == ("0.00", "1.00")
    assert [s.name for s in roc.series] == ["champion", "challenger", "chance"]
    # the curves are evaluate.plot_data's: the ROC starts at (0, tpr0) and ends at (1, 1)
    assert roc.series[0].values[-1] == pytest.approx(1.0)
    assert all(0 <= v <= 1 for s in (*pr.series, *calibration.series) for v in s.values)


def test_calibration_uses_only_bins_both_models_fill():
    y, good, _ = _scores()
    constant = np.full(len(y), 0.33)
    chart = charts.calibration_chart(y, good, constant, bins=10)
    assert chart.x_labels == ["0.3-0.4"]
    champion, challenger, ideal = (s.values for s in chart.series)
    assert champion[0] == pytest.approx(y[(good >= 0.3) & (good < 0.4)].mean())
    assert challenger[0] == pytest.approx(y.mean())
    assert ideal[0] == pytest.approx(0.35)


def test_text_is_quoted_safely():
    text = charts.mermaid(
        charts.Chart('say "hi"', "x", ['a "b"', "c"], "y", [charts.Series("s", [1.0, 2.0])])
    )
    assert "title \"say 'hi'\"" in text
    assert '["a \'b\'", "c"]' in text


def test_every_chart_is_legible_at_githubs_width(params):
    """No axis label overlaps another once laid out as wide as a GitHub comment: the
    permutation importance of the real feature names (long: marital-status,
    relationship, ...) is drawn with horizontal bars for that reason."""
    y, good, worse = _scores()
    names = ["marital-status", "relationship", "capital-gain", "education", "occupation",
             "age", "hours-per-week", "capital-loss", "workclass", "native-country", "sex",
             "race"]  # fmt: skip
    importance = pd.DataFrame({"feature": names, "importance": np.linspace(0.08, 0.0, 12)})
    chart = charts.importance_chart(importance.iloc[::-1], importance)
    assert chart is not None
    assert chart.horizontal
    assert charts.mermaid(chart).splitlines()[6] == "xychart-beta horizontal"
    drawn = [*charts.curve_charts(y, good, worse, EVALUATE), chart]
    results = check([charts.mermaid(c) for c in drawn])
    assert [r["error"] for r in results] == [None] * len(drawn)
    assert [r["overlaps"] for r in results] == [[]] * len(drawn)

    # The check can fail: the same names on a vertical axis collide.
    vertical = charts.Chart(**{**chart.__dict__, "horizontal": False})
    (crowded,) = check([charts.mermaid(vertical)])
    assert crowded["overlaps"], "expected overlapping feature names on a vertical chart"
