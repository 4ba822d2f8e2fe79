"""Charts as Mermaid text: the palette follows the series (Mermaid's XY chart has no
legend), numbers are finite, each chart has its data table, and the curves are the
evaluate stage's. (Rendering with real Mermaid: tests/e2e/test_charts_mermaid.py.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops.evaluate.curves import plot_data
from mlops.review import charts
from support.review import EVALUATE, world

CHART = charts.Chart(
    "Title", "x", ["a", "b"], "y",
    [charts.Series("one", [0.5, np.nan], "bar", "#111111"),
     charts.Series("two", [1.0, 2.0], "line", "#222222")],
    (0.0, 1.0),
)  # fmt: skip


def test_mermaid_source_fixes_the_palette_in_series_order():
    lines = charts.mermaid(CHART).splitlines()
    assert lines[:6] == ["---", "config:", "  themeVariables:", "    xyChart:",
                         '      plotColorPalette: "#111111, #222222"', "---"]  # fmt: skip
    assert lines[6:] == [
        "xychart-beta",
        '  title "Title"',
        '  x-axis "x" ["a", "b"]',
        '  y-axis "y" 0 --> 1',
        "  bar [0.5, 0]",  # NaN would break the chart: drawn as 0
        "  line [1, 2]",
    ]


def test_without_a_range_the_y_axis_is_free():
    free = charts.Chart("t", "x", ["a"], "y", [charts.Series("s", [3.0])])
    assert '  y-axis "y"' in charts.mermaid(free).splitlines()


def test_a_block_has_caption_fence_and_folded_table():
    text = charts.block(CHART, "blue: one")
    assert text.startswith("**Title** (blue: one)\n\n```mermaid\n---\n")
    assert text.count("```") == 2
    assert text.endswith(
        "<details><summary>data</summary>\n\n| x | one | two |\n|---|---|---|\n"
        "| a | 0.5000 | 1.0000 |\n| b | nan | 2.0000 |\n\n</details>"
    )
    assert charts.block(CHART).startswith(f"**Title** ({charts.LEGEND})")


def test_curve_charts_show_points_of_the_evaluate_curves():
    _, y, base = world()
    head = np.clip(base + 0.1, 0, 1)
    roc, pr, calibration = charts.curve_charts(y, base, head, EVALUATE, points=11)
    assert roc.x_labels == [f"{x:.2f}" for x in np.linspace(0, 1, 11)]
    expected = plot_data(y, head, EVALUATE)["roc"]["tpr"].to_numpy()[::10]
    assert np.allclose(roc.series[1].values, expected)  # the challenger's own ROC
    assert [s.colour for s in roc.series] == [charts.BASE_COLOUR, charts.HEAD_COLOUR,
                                              charts.REFERENCE_COLOUR]  # fmt: skip
    assert np.allclose(roc.series[2].values, np.linspace(0, 1, 11))  # chance: the diagonal
    assert [s.name for s in pr.series] == ["champion", "challenger"]
    assert calibration.title == "Calibration"
    assert roc.y_range == pr.y_range == (0.0, 1.0)


def test_importance_chart_ranks_by_the_challenger_and_aligns_the_champion():
    head = pd.DataFrame({"feature": ["a", "b", "c", "d"], "importance": [0.1, 0.3, 0.2, 0.0]})
    base = pd.DataFrame({"feature": ["c", "a", "a", "z"], "importance": [0.05, 0.2, 0.9, 1.0]})
    chart = charts.importance_chart(base, head, top=3)
    assert chart is not None
    assert chart.x_labels == ["b", "c", "a"]
    bars, line = chart.series
    assert (bars.kind, line.kind) == ("bar", "line")
    assert list(bars.values) == [0.3, 0.2, 0.1]
    # b: not in the champion's table (0); a: its first row; z: not shown.
    assert list(line.values) == [0.0, 0.05, 0.2]
    only_head = charts.importance_chart(None, head)
    assert only_head is not None
    assert list(only_head.series[1].values) == [0.0] * 4


@pytest.mark.parametrize("head", [None, pd.DataFrame({"feature": [], "importance": []})])
def test_no_importance_chart_without_the_challengers_importance(head):
    assert (
        charts.importance_chart(pd.DataFrame({"feature": ["a"], "importance": [1]}), head) is None
    )
