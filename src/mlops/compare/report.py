"""`mlops report --base REV`: the PR comment, comparing the champion with the workspace.

The champion is the gate's: `--champion` if given, else the current GTO prod model, else
REV (the PR's base). Before anything is in prod, that is exactly "REV vs the workspace".

The first line is the verdict of the same policy the gate applies (compare/review.py
computes both from one scoring of both models on the same rows). Then: metrics with the
paired bootstrap CI of each change, the rules, per-slice metrics, charts, params diff,
data diff, runtime and the commits compared. The text depends only on the inputs (no
clock, no random state outside the seeded bootstrap), reads as plain text, and is cut
to fit a GitHub comment with a note saying so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from mlops.compare import charts, datadiff
from mlops.compare.policy import Rule
from mlops.compare.review import Review, review
from mlops.compare.scoring import Change
from mlops.compare.sides import Side
from mlops.config import Params
from mlops.files import read_csv, write_atomic
from mlops.github import COMMENT_LIMIT
from mlops.metrics import HIGHER_IS_BETTER
from mlops.registry import resolve_champion

# Room for what wraps the report in the comment (CML's watermark, a heading).
LIMIT = COMMENT_LIMIT - 1_536
DRIFT_ROWS = 15
PARAMS_ROWS = 60


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _signed(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:+.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


# --- verdict and metrics -----------------------------------------------------------------


def verdict(result: Review, primary: str) -> str:
    change = result.comparison.changes[primary]
    pct = round(change.confidence * 100)
    against = f"champion `{result.base.label}` ({result.base.short})"
    figures = (
        f"{primary} {change.base:.4f} -> {change.head:.4f} ({change.delta:+.4f}, "
        f"{pct}% CI [{change.low:+.4f}, {change.high:+.4f}])"
    )
    rules = result.decision.rules
    if result.decision.passed:
        return f"**Gate: PASSED** against {against}: {figures}; all {len(rules)} rules pass."
    failed = result.decision.failed
    names = ", ".join(f"`{r.name}`" for r in failed[:4])
    more = f" and {len(failed) - 4} more" if len(failed) > 4 else ""
    return (
        f"**Gate: FAILED** against {against}: {figures}; {len(failed)} of {len(rules)} rules "
        f"fail: {names}{more}."
    )


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
                _fmt(change.base),
                _fmt(change.head),
                _signed(change.delta),
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
            _table(
                ["metric", "champion", "challenger", "change", f"{pct}% CI of change", "reading"],
                rows,
            ),
        ]
    )


def _rule_number(value: float | None) -> str:
    if value is not None and float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return _fmt(value)


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
    parts = [
        "### Gate rules",
        "",
        "Policy: `gate:` in params.yaml. "
        + ("Every rule passes." if decision.passed else f"{len(decision.failed)} rules fail:"),
    ]
    if decision.failed:
        parts += ["", _table(header, [_rule_row(r) for r in decision.failed])]
    passing = [r for r in decision.rules if r.passed]
    if passing:
        parts += [
            "",
            _details(
                f"{len(passing)} passing rules", _table(header, [_rule_row(r) for r in passing])
            ),
        ]
    if decision.skipped:
        listed = "\n".join(f"- {s}" for s in decision.skipped)
        parts += ["", _details(f"{len(decision.skipped)} not judged", listed)]
    return "\n".join(parts)


# --- slices ------------------------------------------------------------------------------


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
                row += [f"{_fmt(before)} -> {_fmt(after)}", _signed(change)]
            rows.append(row)
        header = ["group", "rows", "ROC AUC", "change", "accuracy", "change", "TPR", "change"]
        gaps = [
            [
                metric,
                _fmt(base["gaps"].get(metric)),
                _fmt(value),
                _signed(
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
            _table(header, rows),
            "",
            _details(
                f"{column}: gaps between groups (max - min over large groups)",
                _table(["gap", "champion", "challenger", "change"], gaps),
            ),
        ]
    return "\n".join(parts)


# --- charts ------------------------------------------------------------------------------


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


# --- params and data ---------------------------------------------------------------------


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}{key}."))
        return out or {prefix.rstrip("."): {}}
    return {prefix.rstrip("."): value}


def _value(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    return f"`{json.dumps(value, sort_keys=True, default=str)}`"


_ABSENT = object()


def params_section(base: Side, head: Side) -> str:
    before, after = _flatten(base.params), _flatten(head.params)
    keys = sorted(set(before) | set(after))
    changed = [
        [f"`{k}`", _value(before.get(k, _ABSENT)), _value(after.get(k, _ABSENT))]
        for k in keys
        if before.get(k, _ABSENT) != after.get(k, _ABSENT)
    ]
    if not changed:
        return "### Params\n\nNo change in params.yaml."
    shown = changed[:PARAMS_ROWS]
    more = (
        f"\n\n{len(changed) - PARAMS_ROWS} more changed keys not shown."
        if len(changed) > PARAMS_ROWS
        else ""
    )
    return (
        "\n".join(
            [
                "### Params",
                "",
                f"{len(changed)} changed keys in params.yaml:",
                "",
                _table(["key", "champion", "challenger"], shown),
            ]
        )
        + more
    )


def _read(path: Path | None) -> pd.DataFrame | None:
    return read_csv(path, low_memory=False) if path is not None and path.exists() else None


def _psi_reading(value: float) -> str:
    if value > datadiff.PSI_SHIFT:
        return "shift"
    return "watch" if value > datadiff.PSI_WATCH else "stable"


def data_section(result: Review, params: Params) -> str:
    base, head = result.base, result.head
    title = "### Data"
    hashes = f"data md5 `{(base.data_hash or '?')[:12]}` -> `{(head.data_hash or '?')[:12]}`"
    if base.data_hash and base.data_hash == head.data_hash:
        return f"{title}\n\nSame data on both sides ({hashes})."
    before, after = _read(base.snapshot_path), _read(head.snapshot_path)
    if before is None or after is None:
        return f"{title}\n\nData changed ({hashes}), but a snapshot could not be read to compare."
    d = datadiff.diff(before, after, params.data)
    parts = [
        title,
        "",
        f"{hashes}. Rows {d.base_rows:,} -> {d.head_rows:,}: {d.added:,} added, "
        f"{d.removed:,} removed (matched by `{params.data.id_column}`).",
    ]
    if d.by_period:
        rows = [
            [
                str(r["period"]),
                f"{r['base']:,}",
                f"{r['head']:,}",
                f"{r['added']:,}",
                f"{r['removed']:,}",
            ]
            for r in d.by_period
        ]
        parts += [
            "",
            f"**Rows by `{params.data.time_column}`**",
            "",
            _table([params.data.time_column, "champion", "challenger", "added", "removed"], rows),
        ]
    schema = [f"- column added: `{c}`" for c in d.columns_added]
    schema += [f"- column removed: `{c}`" for c in d.columns_removed]
    schema += [f"- `{c}` type {a} -> {b}" for c, a, b in d.dtype_changes]
    parts += [
        "",
        "**Schema**",
        "",
        "\n".join(schema) if schema else "No column added, removed or retyped.",
    ]
    if d.missing:
        rows = [
            [f"`{c}`", f"{a:.2%}", f"{b:.2%}", f"{(b - a) * 100:+.2f} pt"] for c, a, b in d.missing
        ]
        parts += [
            "",
            "**Missing values**",
            "",
            _table(["column", "champion", "challenger", "change"], rows),
        ]
    else:
        parts += ["", "**Missing values**: no change in any column's missing rate."]
    if d.drift:
        rows = [
            [f"`{c}`", kind, f"{value:.4f}", _psi_reading(value)]
            for c, kind, value in d.drift[:DRIFT_ROWS]
        ]
        parts += [
            "",
            f"**Drift** (PSI of challenger data vs champion data; > {datadiff.PSI_WATCH} "
            f"watch, > {datadiff.PSI_SHIFT} shift)",
            "",
            _table(["feature", "kind", "PSI", "reading"], rows),
        ]
    return "\n".join(parts)


# --- runtime and commits -----------------------------------------------------------------


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
    figures = [
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
            _table(["figure", "champion", "challenger", "ratio"], rows),
        ]
    )


def _number(value: float | None, digits: int) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def commits_section(base: Side, head: Side) -> str:
    notes = "".join(f"\n- note: {n}" for n in base.notes)
    return "\n".join(
        [
            "### Commits compared",
            "",
            f'- champion: `{base.label}` at `{base.commit}` "{base.subject}"; model from '
            f"{base.obtained.get('model', '?')}, data from {base.obtained.get('data', '?')}",
            f'- challenger: workspace at `{head.commit or "-"}` "{head.subject}"' + notes,
        ]
    )


# --- assembly ----------------------------------------------------------------------------


def fit_to_limit(text: str, limit: int = LIMIT) -> str:
    """Cut at a line end under the limit, close an open code block, say what was cut."""
    if len(text) <= limit:
        return text
    note = (
        f"\n\n---\n*Report truncated to fit a GitHub comment: {{cut:,}} of {len(text):,} "
        "characters left out. Run `make report` for the full text.*\n"
    )
    room = limit - len(note) - 20
    head = text[:room]
    head = head[: head.rfind("\n")] if "\n" in head else head
    if head.count("```") % 2:
        head += "\n```"
    if head.count("<details>") > head.count("</details>"):
        head += "\n\n</details>" * (head.count("<details>") - head.count("</details>"))
    return head + note.format(cut=len(text) - len(head))


def render(result: Review, params: Params, command: str) -> str:
    primary = params.gate.primary_metric
    sections = [
        verdict(result, primary),
        f"## Model review: workspace ({result.head.short}) vs "
        f"`{result.base.label}` ({result.base.short})",
        metrics_section(result, primary),
        rules_section(result),
        slices_section(result, params.evaluate.min_slice_size),
        params_section(result.base, result.head),
        data_section(result, params),
        runtime_section(result.base, result.head),
        commits_section(result.base, result.head),
        charts_section(result, params),
        f"<sub>Generated by `{command}`: champion and challenger scored on the same rows; "
        "the same inputs give the same text. Rules and margins: `gate:` in params.yaml.</sub>",
    ]
    return fit_to_limit("\n\n".join(sections) + "\n")


def run_report(
    params: Params,
    base: str,
    out: Path | str,
    root: Path | str = ".",
    champion: str | None = None,
) -> str:
    """Write the report; return the verdict in a few words.

    The champion is resolved as the gate resolves it (`champion`, else the current prod
    model, else `base`), so the comment's verdict is the verdict of the check."""
    root = Path(root)
    resolved = resolve_champion(champion, base, root)
    command = f"mlops report --base {base}" + (f" --champion {champion}" if champion else "")
    with review(params, resolved, root, need_data=True) as result:
        text = render(result, params, command)
        passed = result.decision.passed
    write_atomic(root / out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return "gate would pass" if passed else f"gate would fail: {len(result.decision.failed)} rules"
