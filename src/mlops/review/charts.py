"""Charts for the PR comment: Mermaid `xychart-beta` blocks, which GitHub renders natively.

No image host and no upload: the chart is text in the comment. Mermaid's XY chart has no
legend, so each chart fixes its colours (champion blue, challenger orange, reference
grey) in its front matter and the caption names them. Every chart comes with its data
as a plain table, for plain-text readers and for renderers without Mermaid.

Legible at GitHub's width: category labels as long as feature names would overlap on a
horizontal axis, so the importance chart is drawn with horizontal bars (names down the
side, one per line). A test renders every chart with real Mermaid and checks that no two
axis labels overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlops.core.config import Evaluate
from mlops.evaluate.curves import plot_data

BASE_COLOUR, HEAD_COLOUR, REFERENCE_COLOUR = "#4c78a8", "#f58518", "#9d9d9d"
LEGEND = "blue: champion, orange: challenger"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float] | np.ndarray
    kind: str = "line"  # or "bar"
    colour: str = BASE_COLOUR


@dataclass(frozen=True)
class Chart:
    title: str
    x_title: str
    x_labels: Sequence[str]
    y_title: str
    series: Sequence[Series]
    y_range: tuple[float, float] | None = None
    horizontal: bool = False  # categories down the side: for long labels
    # A numeric x axis from..to (points evenly spaced over it) instead of one label per
    # point; x_labels then name the points in the data table only.
    x_range: tuple[float, float] | None = None


def _text(value: str) -> str:
    """A quoted Mermaid string: double quotes would end it, so they become single ones."""
    return '"' + str(value).replace('"', "'").replace("\n", " ") + '"'


def _number(value: float) -> str:
    return f"{float(value):.4g}" if np.isfinite(value) else "0"


def mermaid(chart: Chart) -> str:
    """The chart as Mermaid source (without the ``` fence)."""
    palette = ", ".join(s.colour for s in chart.series)
    lines = [
        "---",
        "config:",
        "  themeVariables:",
        "    xyChart:",
        f'      plotColorPalette: "{palette}"',
        "---",
        "xychart-beta horizontal" if chart.horizontal else "xychart-beta",
        f"  title {_text(chart.title)}",
    ]
    if chart.x_range is not None:
        low, high = chart.x_range
        lines.append(f"  x-axis {_text(chart.x_title)} {_number(low)} --> {_number(high)}")
    else:
        labels = ", ".join(_text(x) for x in chart.x_labels)
        lines.append(f"  x-axis {_text(chart.x_title)} [{labels}]")
    y_axis = f"  y-axis {_text(chart.y_title)}"
    if chart.y_range is not None:
        y_axis += f" {_number(chart.y_range[0])} --> {_number(chart.y_range[1])}"
    lines.append(y_axis)
    for series in chart.series:
        lines.append(f"  {series.kind} [{', '.join(_number(v) for v in series.values)}]")
    return "\n".join(lines)


def table(chart: Chart) -> str:
    """The chart's data as a markdown table."""
    header = [chart.x_title, *(s.name for s in chart.series)]
    rows = [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for i, label in enumerate(chart.x_labels):
        cells = [str(label), *(f"{float(s.values[i]):.4f}" for s in chart.series)]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def block(chart: Chart, caption: str = LEGEND) -> str:
    """Markdown: caption, the Mermaid block, and the data table folded under it."""
    return "\n".join(
        [
            f"**{chart.title}** ({caption})",
            "",
            "```mermaid",
            mermaid(chart),
            "```",
            "",
            "<details><summary>data</summary>",
            "",
            table(chart),
            "",
            "</details>",
        ]
    )


def _pair(base: Sequence[float] | np.ndarray, head: Sequence[float] | np.ndarray) -> list[Series]:
    return [
        Series("champion", list(base), "line", BASE_COLOUR),
        Series("challenger", list(head), "line", HEAD_COLOUR),
    ]


def curve_charts(
    y: np.ndarray, base: np.ndarray, head: np.ndarray, cfg: Evaluate, points: int = 21
) -> list[Chart]:
    """ROC, precision-recall and calibration of both models on the same rows.

    The curves are evaluate.plot_data's (the same grid as reports/plots), read at `points`
    evenly spaced values from 0 to 1 and drawn on a numeric axis (Mermaid places its own
    ticks: 21 category labels would collide at GitHub's width)."""
    b, h = plot_data(y, base, cfg), plot_data(y, head, cfg)
    xs = np.linspace(0.0, 1.0, points)

    def at(table: pd.DataFrame, x: str, value: str) -> np.ndarray:
        out: np.ndarray = np.interp(xs, table[x].to_numpy(), table[value].to_numpy())
        return out

    grid = [f"{v:.2f}" for v in xs]
    roc = Chart(
        "ROC curve",
        "false positive rate",
        grid,
        "true positive rate",
        [
            *_pair(at(b["roc"], "fpr", "tpr"), at(h["roc"], "fpr", "tpr")),
            Series("chance", xs, "line", REFERENCE_COLOUR),
        ],
        (0.0, 1.0),
        x_range=(0.0, 1.0),
    )
    pr = Chart(
        "Precision-recall curve",
        "recall",
        grid,
        "precision",
        _pair(at(b["pr"], "recall", "precision"), at(h["pr"], "recall", "precision")),
        (0.0, 1.0),
        x_range=(0.0, 1.0),
    )
    return [roc, pr, calibration_chart(y, base, head, cfg.calibration_bins)]


def calibration_chart(y: np.ndarray, base: np.ndarray, head: np.ndarray, bins: int) -> Chart:
    """Observed positive rate per predicted-probability bin; bins empty for a model are
    left out, so both lines are drawn on the bins both models use."""
    edges = np.linspace(0.0, 1.0, bins + 1)

    def observed(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        index = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
        counts = np.bincount(index, minlength=bins)
        positives = np.bincount(index, weights=y, minlength=bins)
        return counts, np.divide(positives, counts, out=np.zeros(bins), where=counts > 0)

    base_n, base_rate = observed(base)
    head_n, head_rate = observed(head)
    used = (base_n > 0) & (head_n > 0)
    labels = [f"{edges[i]:.1f}-{edges[i + 1]:.1f}" for i in range(bins) if used[i]]
    mids = (edges[:-1] + edges[1:])[used] / 2
    return Chart(
        "Calibration",
        "predicted probability",
        labels,
        "observed positive rate",
        [*_pair(base_rate[used], head_rate[used]), Series("ideal", mids, "line", REFERENCE_COLOUR)],
        (0.0, 1.0),
    )


def importance_chart(
    base: pd.DataFrame | None, head: pd.DataFrame | None, top: int = 12
) -> Chart | None:
    """Permutation importance (drop in ROC AUC), as horizontal bars so that the feature
    names never overlap: challenger as bars, champion as a line drawn over them (Mermaid
    draws series in order and colours them by palette order)."""
    if head is None or head.empty:
        return None
    features = list(head.sort_values("importance", ascending=False, kind="stable")["feature"])
    features = features[:top]
    head_values = head.set_index("feature")["importance"].reindex(features).fillna(0.0)
    base_values = (
        base.drop_duplicates("feature").set_index("feature")["importance"].reindex(features)
        if base is not None
        else pd.Series(np.nan, index=features)
    ).fillna(0.0)
    return Chart(
        "Feature importance (drop in ROC AUC when shuffled)",
        "feature",
        features,
        "importance",
        [
            Series("challenger", head_values.to_numpy(), "bar", HEAD_COLOUR),
            Series("champion", base_values.to_numpy(), "line", BASE_COLOUR),
        ],
        horizontal=True,
    )
