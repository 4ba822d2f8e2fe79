"""The monitor's markdown report (`paths.monitor_report`): the verdict and its reasons
first, then Mermaid charts (drift per feature, performance by month) with their data,
then every figure. It is the body of the retraining pull request, so it must read well
on GitHub and as plain text, and stay under GitHub's size limit."""

from __future__ import annotations

from typing import Any

from mlops.core.markdown import details, fmt, signed, table
from mlops.review.charts import HEAD_COLOUR, REFERENCE_COLOUR, Chart, Series, block

TITLE = "Monitor report"
KIND_NAMES = {
    "input_drift": "input drift",
    "prediction_drift": "prediction drift",
    "label_shift": "label shift",
    "decay": "decay",
    "data_quality": "data quality",
    "staleness": "staleness",
}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def model_name(reference: dict[str, Any]) -> str:
    if reference["chosen_by"] == "registry":
        return f"the production model `{reference['label']}`"
    return f"the model at `{reference['label']}`"


def headline(document: dict[str, Any]) -> str:
    current, reference = document["current"], document["reference"]
    verdict = {
        "retrain": "**Retrain**: the new data calls for a new model",
        "drift, no retrain": "**Drift, no retrain**: something moved, nothing in `retrain_on`",
        "no drift": "**No drift**: nothing crossed a threshold of `monitor:` in params.yaml",
    }[document["verdict"]]
    labelled = "labelled" if current["labelled"] else "no labels"
    months = ", ".join(current["months"]) or "no month"
    return (
        f"{verdict}.\n\n"
        f"New data: {current['rows']:,} rows of {months} ({current['kind']} "
        f"`{current['source']}`, {labelled}), against {model_name(reference)} "
        f"({reference['commit'][:7]}), trained on "
        f"{reference['train_rows']:,} rows up to {reference['newest_month']}."
    )


def reasons(document: dict[str, Any]) -> str:
    found = document["reasons"]
    lines = ["### Why"]
    if not found:
        lines.append("No threshold crossed.")
    for reason in found:
        lines.append(f"- **{KIND_NAMES[reason['kind']]}**: {reason['text']}")
    lines += [f"- note: {note}" for note in document["notes"]]
    return "\n".join(lines)


def drift_chart(document: dict[str, Any]) -> str | None:
    features = sorted(document["features"], key=lambda f: (-f["psi"], f["name"]))
    if not features:
        return None
    threshold = document["thresholds"]["drift"]["psi"]
    chart = Chart(
        "Drift per input feature (PSI)",
        "feature",
        [f["name"] for f in features],
        "PSI",
        [
            Series("PSI", [f["psi"] for f in features], "bar", HEAD_COLOUR),
            Series("threshold", [threshold] * len(features), "line", REFERENCE_COLOUR),
        ],
        (0.0, max(threshold * 1.5, max(f["psi"] for f in features) * 1.1)),
    )
    return block(chart, "orange bars: PSI of each feature; grey line: monitor.drift.psi")


def performance_chart(document: dict[str, Any]) -> str | None:
    perf = document["performance"]
    if not perf or not perf["by_month"]:
        return None
    points = [("reference", perf["reference"])] + [(m["month"], m) for m in perf["by_month"]]
    lows = [p["ci_low"] for _, p in points]
    highs = [p["ci_high"] for _, p in points]
    low = max(0.0, min(lows) - 0.05)
    high = min(1.0, max(highs) + 0.02) if perf["metric"] != "log_loss" else max(highs) * 1.1
    chart = Chart(
        f"Performance by month ({perf['metric']})",
        "rows",
        [name for name, _ in points],
        perf["metric"],
        [
            Series(perf["metric"], [p["value"] for _, p in points], "bar", HEAD_COLOUR),
            Series("CI low", lows, "line", REFERENCE_COLOUR),
            Series("CI high", highs, "line", REFERENCE_COLOUR),
        ],
        (low, high),
    )
    caption = (
        f"orange bars: the production model on its held-out reference rows, then on each "
        f"month of new rows; grey lines: the {perf['confidence']:.0%} confidence interval"
    )
    return block(chart, caption)


def figures(document: dict[str, Any]) -> str:
    rows = []
    moved = set(document["drifted_features"])
    for f in sorted(document["features"], key=lambda f: (-f["psi"], f["name"])):
        rows.append([
            f"`{f['name']}`", f["kind"], fmt(f["psi"], 3), fmt(f["wasserstein"], 3),
            fmt(f["jensen_shannon"], 3),
            f"{_pct(f['missing_reference'])} -> {_pct(f['missing_current'])}",
            _pct(f["unseen_rate"]), _pct(f["out_of_range_rate"]),
            "**yes**" if f["name"] in moved else "no",
        ])  # fmt: skip
    parts = []
    if rows:
        header = ["feature", "kind", "PSI", "Wasserstein (sd)", "Jensen-Shannon", "missing",
                  "unseen", "out of range", "drifted"]  # fmt: skip
        parts.append(table(header, rows))
    summary = []
    if document["prediction"]:
        p = document["prediction"]
        means = f"mean score {fmt(p['mean_reference'])} -> {fmt(p['mean_current'])}"
        summary.append(["predictions: PSI of the scores", fmt(p["psi"], 3), means])
    if document["labels"]:
        lab = document["labels"]
        summary.append([
            "positive rate", f"{_pct(lab['reference'])} -> {_pct(lab['current'])}",
            f"change {signed(lab['change'])}, CI [{signed(lab['ci_low'])}, "
            f"{signed(lab['ci_high'])}]",
        ])  # fmt: skip
    if document["performance"]:
        perf = document["performance"]
        ref, cur, ch = perf["reference"], perf["current"], perf["change"]
        summary.append([
            f"{perf['metric']} (reference -> new)", f"{fmt(ref['value'])} -> {fmt(cur['value'])}",
            f"change {signed(ch['value'])}, {perf['confidence']:.0%} CI "
            f"[{signed(ch['ci_low'])}, {signed(ch['ci_high'])}]",
        ])  # fmt: skip
    stale = document["staleness"]
    summary.append([
        "staleness", f"{fmt(stale['months'])} months",
        f"newest training month {stale['newest_training_month']}, newest new month "
        f"{stale['newest_month']} (limit {stale['max_months']})",
    ])  # fmt: skip
    parts.append(table(["what", "value", "detail"], summary))
    return "\n\n".join(parts)


def render(document: dict[str, Any]) -> str:
    reference = document["reference"]
    charts = [c for c in (drift_chart(document), performance_chart(document)) if c]
    sections = [
        f"## {TITLE}",
        headline(document),
        reasons(document),
        *charts,
        "### Figures",
        figures(document),
        details(
            "Where the reference came from, and how to reproduce",
            f"- reference model: `{reference['label']}` at {reference['commit']} (chosen by "
            f"{reference['chosen_by']}); model from {reference['model']}, training data from "
            f"{reference['data']}\n"
            f"- reference rows: {reference['train_rows']:,} training rows (input drift), "
            f"{reference['test_rows']:,} held-out rows (scores and performance)\n"
            f"- reproduce: `uv run mlops monitor --current {document['current']['source']}` "
            "(thresholds: `monitor:` in params.yaml)",
        ),
    ]
    return "\n\n".join(sections) + "\n"
