"""The promotion policy: rules from `gate:` in params.yaml, each with value and threshold.

Pure functions of a Comparison (both models on the same rows), the challenger's
runtime figures and which champion rows it left out, so that every rule is unit-tested
with no git, DVC or model file. A rule that cannot be judged (a group under
evaluate.min_slice_size, a gap with fewer than two large groups) is listed as skipped,
never silently passed. Which `gate:` applies is review/policy_source.py's business: the
base revision's, never the challenger's own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from mlops.core.config import Gate
from mlops.evaluate.metrics import HIGHER_IS_BETTER
from mlops.review.scoring import Comparison


@dataclass(frozen=True)
class Rule:
    name: str
    value: float | None
    threshold: float | None
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("value", "threshold"):
            if isinstance(out[key], float):
                out[key] = round(out[key], 6)
        return out


@dataclass(frozen=True)
class Decision:
    rules: list[Rule]
    skipped: list[str]

    @property
    def passed(self) -> bool:
        return all(rule.passed for rule in self.rules)

    @property
    def failed(self) -> list[Rule]:
        return [rule for rule in self.rules if not rule.passed]


@dataclass(frozen=True)
class RowsCheck:
    """The rows the champion was scored on (its own test split) that the challenger's
    scored rows no longer hold: a PR must not improve its score by dropping hard rows."""

    id_column: str
    champion_rows: int
    removed: int
    examples: tuple[str, ...] = ()  # a few removed ids, for the reader
    by_period: tuple[tuple[str, int], ...] = ()  # removed rows per period (month)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id_column": self.id_column,
            "champion_rows": self.champion_rows,
            "removed": self.removed,
            "examples": list(self.examples),
            "by_period": dict(self.by_period),
        }


def rows_removed(check: RowsCheck, cfg: Gate) -> Rule:
    share = check.removed / check.champion_rows if check.champion_rows else 0.0
    examples = f", e.g. {check.id_column} {', '.join(check.examples)}" if check.examples else ""
    return Rule(
        "rows_removed",
        share,
        cfg.max_removed_fraction,
        share <= cfg.max_removed_fraction,
        f"{check.removed:,} of the {check.champion_rows:,} rows the champion was scored on are "
        f"not among the challenger's scored rows{examples}; at most "
        f"{cfg.max_removed_fraction:.2%} may be (gate.max_removed_fraction)",
    )


def _sign(metric: str) -> float:
    return 1.0 if HIGHER_IS_BETTER[metric] else -1.0


def non_inferiority(comparison: Comparison, cfg: Gate) -> Rule:
    """The CI of the primary metric's change must not reach `margin` in the worse direction."""
    change = comparison.changes[cfg.primary_metric]
    higher = HIGHER_IS_BETTER[cfg.primary_metric]
    threshold = -cfg.margin if higher else cfg.margin
    value = change.worst
    passed = value >= threshold if higher else value <= threshold
    pct = round(change.confidence * 100)
    side = "above" if higher else "below"
    return Rule(
        f"non_inferiority:{cfg.primary_metric}",
        value,
        threshold,
        passed,
        f"{cfg.primary_metric} {change.head:.4f} vs champion {change.base:.4f}: change "
        f"{change.delta:+.4f}, {pct}% CI [{change.low:+.4f}, {change.high:+.4f}]; the CI must "
        f"stay {side} {threshold:+.4f}",
    )


def floors(comparison: Comparison, cfg: Gate) -> list[Rule]:
    rules = []
    for metric, bound in sorted(cfg.floors.items()):
        value = comparison.changes[metric].head
        higher = HIGHER_IS_BETTER[metric]
        passed = value >= bound if higher else value <= bound
        word = "at least" if higher else "at most"
        rules.append(
            Rule(
                f"floor:{metric}",
                value,
                bound,
                passed,
                f"{metric} {value:.4f}; must be {word} {bound}",
            )
        )
    return rules


def baselines(comparison: Comparison) -> list[Rule]:
    """Better than knowing nothing: the prior-only model (log loss) and chance (AUC 0.5)."""
    loss = comparison.changes["log_loss"].head
    prior = comparison.prior_log_loss
    auc = comparison.changes["roc_auc"].head
    return [
        Rule(
            "baseline:log_loss",
            loss,
            prior,
            loss < prior,
            f"log loss {loss:.4f}; must be below {prior:.4f}, the loss of predicting the "
            f"positive rate {comparison.positive_rate:.3f} for every row",
        ),
        Rule("baseline:roc_auc", auc, 0.5, auc > 0.5, f"ROC AUC {auc:.4f}; must beat chance, 0.5"),
    ]


def slices(comparison: Comparison, cfg: Gate, min_size: int) -> tuple[list[Rule], list[str]]:
    """Per group: metric may drop by at most slice_tolerance. Per column: gaps may grow by
    at most gap_tolerance. Only groups with at least min_size rows are judged."""
    rules: list[Rule] = []
    skipped: list[str] = []
    for column in sorted(comparison.head_slices):
        head = comparison.head_slices[column]
        base = comparison.base_slices.get(column, {"groups": {}, "gaps": {}})
        for group in sorted(head["groups"]):
            h, b = head["groups"][group], base["groups"].get(group)
            if h["n"] < min_size:
                skipped.append(
                    f"slice {column}={group}: {h['n']} rows < evaluate.min_slice_size {min_size}"
                )
                continue
            if b is None:
                skipped.append(f"slice {column}={group}: the champion has no such slice")
                continue
            for metric in cfg.slice_metrics:
                if h.get(metric) is None or b.get(metric) is None:
                    skipped.append(f"slice {column}={group}: {metric} undefined (one class)")
                    continue
                change = _sign(metric) * (h[metric] - b[metric])
                rules.append(
                    Rule(
                        f"slice:{column}={group}:{metric}",
                        change,
                        -cfg.slice_tolerance,
                        change >= -cfg.slice_tolerance,
                        f"{metric} for {column}={group} ({h['n']} rows) {b[metric]:.4f} -> "
                        f"{h[metric]:.4f}; may drop by at most {cfg.slice_tolerance}",
                    )
                )
        for gap in cfg.fairness_gaps:
            h_gap, b_gap = head["gaps"].get(gap), base["gaps"].get(gap)
            if h_gap is None or b_gap is None:
                skipped.append(f"gap {column}:{gap}: fewer than two groups of {min_size}+ rows")
                continue
            growth = h_gap - b_gap
            rules.append(
                Rule(
                    f"gap:{column}:{gap}",
                    growth,
                    cfg.gap_tolerance,
                    growth <= cfg.gap_tolerance,
                    f"largest {gap} difference between {column} groups {b_gap:.4f} -> "
                    f"{h_gap:.4f}; may grow by at most {cfg.gap_tolerance}",
                )
            )
    return rules, skipped


def ceilings(latency_ms_p95: float | None, model_bytes: int, cfg: Gate) -> list[Rule]:
    latency_ok = latency_ms_p95 is not None and latency_ms_p95 <= cfg.max_latency_ms_p95
    latency_text = "not measured" if latency_ms_p95 is None else f"{latency_ms_p95} ms"
    return [
        Rule(
            "latency_ms_p95",
            latency_ms_p95,
            cfg.max_latency_ms_p95,
            latency_ok,
            f"p95 latency per row {latency_text} (evaluate stage); at most "
            f"{cfg.max_latency_ms_p95} ms",
        ),
        Rule(
            "model_bytes",
            float(model_bytes),
            float(cfg.max_model_bytes),
            model_bytes <= cfg.max_model_bytes,
            f"model file {model_bytes:,} bytes; at most {cfg.max_model_bytes:,}",
        ),
    ]


def decide(
    comparison: Comparison,
    cfg: Gate,
    min_slice_size: int,
    latency_ms_p95: float | None,
    model_bytes: int,
    rows: RowsCheck | None = None,
) -> Decision:
    """Apply every rule; the challenger passes only if all of them pass."""
    slice_rules, skipped = slices(comparison, cfg, min_slice_size)
    rules = [
        non_inferiority(comparison, cfg),
        *floors(comparison, cfg),
        *baselines(comparison),
        *slice_rules,
        *ceilings(latency_ms_p95, model_bytes, cfg),
    ]
    if rows is None:
        skipped.append("rows_removed: the champion's scored rows were not available")
    else:
        rules.append(rows_removed(rows, cfg))
    return Decision(rules, skipped)
