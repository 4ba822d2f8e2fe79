"""The model card of a release (Mitchell et al. 2019: intended use, data, metrics,
per-group metrics, limitations), generated from the pipeline's own reports and
params.yaml, so the card cannot drift from the model."""

from __future__ import annotations

from typing import Any

from mlops.core.config import Params
from mlops.core.files import read_json
from mlops.registry.versions import ARTIFACT


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def model_card(params: Params, version: str, commit: str) -> str:
    """The model card as Markdown, from the pipeline's reports and params."""
    p = params.paths
    metrics, slices = read_json(p.metrics), read_json(p.slices)
    runtime, features, training = read_json(p.runtime), read_json(p.features), read_json(p.training)
    used = list(features.get("numeric", [])) + list(features.get("categorical", []))
    lines = [
        f"# Model card: {ARTIFACT} {version}",
        "",
        f"- Commit: `{commit}`",
        f"- Estimator: `{training.get('model', params.train.model)}`, "
        f"{training.get('features', '?')} features, trained on {training.get('rows', '?')} rows "
        f"(seed {params.train.seed})",
        f"- Target: `{params.data.target}`, positive class `{params.data.positive_label}`",
        "",
        "## Intended use",
        "",
        "Binary classification of the target from tabular attributes, as a decision aid "
        "with a human in the loop. Not for decisions about individuals without review: "
        "see the per-group metrics and limitations below.",
        "",
        "## Data",
        "",
        f"- Sources: {', '.join(f'`{s}`' for s in params.ingest.sources)}",
        f"- Test split: {params.prepare.test_fraction:.0%} of rows by a salted hash of "
        f"`{params.data.id_column}` (stable as data grows)",
        "- Features used: " + ", ".join(used),
    ]
    dropped = features.get("dropped", {})
    if dropped:
        lines.append("- Columns not used: " + "; ".join(f"`{k}` ({v})" for k, v in dropped.items()))
    if params.ingest.simulated_months is not None:
        lines.append(
            "- The arrival month of each row is SIMULATED (seeded); the data has no time column."
        )
    lines += ["", "## Metrics (held-out test split)", "", "| metric | value |", "|---|---|"]
    lines += [f"| {name} | {_number(value)} |" for name, value in sorted(metrics.items())]
    lines += ["", "## Per-group metrics", ""]
    for column, result in sorted(slices.items()):
        groups = result.get("groups", {}) if isinstance(result, dict) else {}
        if not groups:
            continue
        names = sorted({k for g in groups.values() for k in g if k not in ("n", "small")})
        lines += [f"### {column}", "", "| group | n | " + " | ".join(names) + " |"]
        lines.append("|---" * (len(names) + 2) + "|")
        for group, values in sorted(groups.items()):
            flag = " (small group)" if values.get("small") else ""
            cells = " | ".join(_number(values.get(n, "")) for n in names)
            lines.append(f"| {group}{flag} | {values.get('n', '?')} | {cells} |")
        gaps = result.get("gaps", {})
        if gaps:
            shown = ", ".join(f"{k} {_number(v)}" for k, v in sorted(gaps.items()))
            lines += ["", f"Largest gap between groups: {shown}"]
        lines.append("")
    lines += ["## Runtime", "", "| measure | value |", "|---|---|"]
    lines += [f"| {name} | {_number(value)} |" for name, value in sorted(runtime.items())]
    lines += [
        "",
        "## Limitations",
        "",
        "- Metrics are measured on one test split of the training distribution; they do not "
        "hold under drift. Groups flagged small have wide uncertainty.",
        "- The model reproduces patterns of the data it was trained on, including historical "
        "biases between groups.",
        "",
    ]
    return "\n".join(lines)
