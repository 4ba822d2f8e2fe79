"""Report sections about the two models: metrics with intervals, the gate's rules,
per-group metrics, runtime and charts."""

from __future__ import annotations

from mlops.core.config import Params
from mlops.core.markdown import details, fmt, signed, table
from mlops.evaluate.metrics import HIGHER_IS_BETTER
from mlops.review import charts
from mlops.review.compare import Review
from mlops.review.policy import Rule
from mlops.review.scoring import Change
from mlops.review.sides import Side


def _direction(change: Change) -> str:
    if change.low <= 0 <= change.high:
        return "no clear change"
    improved = (change.low > 0) == HIGHER_IS_BETTER[change.metric]
    return "better" if improved else "worse"


def metrics_section(result: Review, primary: str) -> str:
    comparison = result.comparison
    pct = round(next(iter(comparison.changes.values())).confidence * 100)
    rows = []
    for metric, change in comparison.changes.items():
        name = f"**{metric}** (primary)" if metric == primary else metric
        arrow = "higher is better" if HIGHER_IS_BETTER[metric] else "lower is better"
        rows.append(
            [
                f"{name}, {arrow}",
                fmt(change.base),
                fmt(change.head),
                signed(change.delta),
                f"[{change.low:+.4f}, {change.high:+.4f}]",
                _direction(change),
            ]
        )
    return "\n".join(
        [
            "### Metrics",
            "",
            f"Both models scored on the same {comparison.rows:,} rows: the challenger's test "
            f"split (`{result.test_path}`, positive rate {comparison.positive_rate:.3f}). "
            f"Intervals: paired bootstrap of the change, {pct}%.",
            "",
            table(
                ["metric", "champion", "challenger", "change", f"{pct}% CI of change", "reading"],
                rows,
            ),
        ]
    )


def _rule_number(value: float | None) -> str:
    if value is not None and float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return fmt(value)


def _rule_row(rule: Rule) -> list[str]:
    result = "pass" if rule.passed else "**FAIL**"
    return [
        f"`{rule.name}`",
        _rule_number(rule.value),
        _rule_number(rule.threshold),
        result,
        rule.detail,
    ]


def rules_section(result: Review) -> str:
    decision = result.decision
    header = ["rule", "value", "threshold", "result", "detail"]
    policy = result.policy
    where = (
        f"`gate:` in params.yaml of the base `{policy.base_label}`"
        if not policy.first_adoption
        else "`gate:` in this branch's params.yaml (the base has none: first adoption)"
    )
    taken = (
        f" Taken from this branch because the base lacks them: "
        f"{', '.join(f'`{k}`' for k in policy.from_challenger)}."
        if policy.from_challenger
        else ""
    )
    parts = [
        "### Gate rules",
        "",
        f"Policy: {where}.{taken} "
        + ("Every rule passes." if decision.passed else f"{len(decision.failed)} rules fail:"),
    ]
    if decision.failed:
        parts += ["", table(header, [_rule_row(r) for r in decision.failed])]
    passing = [r for r in decision.rules if r.passed]
    if passing:
        parts += [
            "",
            details(
                f"{len(passing)} passing rules", table(header, [_rule_row(r) for r in passing])
            ),
        ]
    if decision.skipped:
        listed = "\n".join(f"- {s}" for s in decision.skipped)
        parts += ["", details(f"{len(decision.skipped)} not judged", listed)]
    rows = result.rows
    if rows is not None and rows.removed:
        periods = ", ".join(f"{p}: {n:,}" for p, n in rows.by_period) or "-"
        parts += [
            "",
            f"**Rows removed**: {rows.removed:,} of the {rows.champion_rows:,} rows the champion "
            f"was scored on are missing from the challenger's scored rows (by period: "
            f"{periods}; e.g. `{rows.id_column}` {', '.join(rows.examples)}).",
        ]
    return "\n".join(parts)


def slices_section(result: Review, min_size: int) -> str:
    comparison = result.comparison
    parts = [
        "### Slices",
        "",
        f"Per group of each slice column, on the same rows. Groups under {min_size} rows "
        "(`evaluate.min_slice_size`) are flagged *small*: shown, not gated, left out of gaps.",
    ]
    for column, head in comparison.head_slices.items():
        base = comparison.base_slices.get(column, {"groups": {}, "gaps": {}})
        rows = []
        for group, h in sorted(head["groups"].items(), key=lambda item: (-item[1]["n"], item[0])):
            b = base["groups"].get(group, {})
            row = [f"{group}" + (" *small*" if h["small"] else ""), f"{h['n']:,}"]
            for metric in ("roc_auc", "accuracy", "true_positive_rate"):
                before, after = b.get(metric), h.get(metric)
                change = None if before is None or after is None else after - before
                row += [f"{fmt(before)} -> {fmt(after)}", signed(change)]
            rows.append(row)
        header = ["group", "rows", "ROC AUC", "change", "accuracy", "change", "TPR", "change"]
        gaps = [
            [
                metric,
                fmt(base["gaps"].get(metric)),
                fmt(value),
                signed(
                    None
                    if value is None or base["gaps"].get(metric) is None
                    else value - base["gaps"][metric]
                ),
            ]
            for metric, value in head["gaps"].items()
        ]
        parts += [
            "",
            f"**{column}**",
            "",
            table(header, rows),
            "",
            details(
                f"{column}: gaps between groups (max - min over large groups)",
                table(["gap", "champion", "challenger", "change"], gaps),
            ),
        ]
    return "\n".join(parts)


def charts_section(result: Review, params: Params) -> str:
    comparison = result.comparison
    blocks = [
        charts.block(chart)
        for chart in charts.curve_charts(
            comparison.y, comparison.base_proba, comparison.head_proba, params.evaluate
        )
    ]
    importance = charts.importance_chart(result.base.importance, result.head.importance)
    if importance is not None:
        caption = "orange bars: challenger, blue line: champion; from each side's evaluate stage"
        blocks.append(charts.block(importance, caption))
    return "\n\n".join(["### Charts", *blocks])


def runtime_section(base: Side, head: Side) -> str:
    def get(side: Side, report: str, key: str) -> float | None:
        values = side.reports.get(report) or {}
        value = values.get(key)
        return float(value) if isinstance(value, int | float) else None

    wanted = [
        ("latency p50, ms per row", "runtime", "latency_ms_p50"),
        ("latency p95, ms per row", "runtime", "latency_ms_p95"),
        ("batch, rows per second", "runtime", "batch_rows_per_second"),
        ("fit, seconds", "training", "fit_seconds"),
        ("train rows", "training", "rows"),
    ]
    figures: list[tuple[str, float | None, float | None]] = [
        ("model file, bytes", float(base.model_bytes() or 0), float(head.model_bytes() or 0))
    ]
    figures += [(name, get(base, rep, key), get(head, rep, key)) for name, rep, key in wanted]
    rows = []
    for name, before, after in figures:
        ratio = f"x{after / before:.2f}" if before and after is not None else "-"
        digits = 0 if name.startswith(("model", "train rows", "batch")) else 3
        rows.append([name, _number(before, digits), _number(after, digits), ratio])
    return "\n".join(
        [
            "### Runtime",
            "",
            "Latency and fit time as measured by each side's own pipeline run (on the machine "
            "that ran it), model size from the model files.",
            "",
            table(["figure", "champion", "challenger", "ratio"], rows),
        ]
    )


def _number(value: float | None, digits: int) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"
