"""From figures to a verdict: which thresholds of `monitor:` are crossed (the reasons), is
that drift, and does it call for retraining.

Each reason has a kind:
- `input_drift`: an input feature moved (PSI, or Wasserstein for numbers, or
  Jensen-Shannon for categories, over its threshold), when at least
  `drift.min_features` features did;
- `prediction_drift`: the model's scores moved (PSI of the scores);
- `label_shift`: the positive rate moved (labelled rows only);
- `decay`: the model got worse on labelled rows, beyond `decay.max_drop` with the
  bootstrap's confidence (this is how a concept change shows: the inputs may not move
  at all);
- `data_quality`: more missing values, unseen categories or numbers out of range;
- `staleness`: the newest new month is more than `max_staleness_months` after the
  newest month the model was trained on.

`drift` is true when any reason other than staleness is found; `retrain` when any
reason's kind is listed in `retrain_on`. Below `min_rows` new rows there is no verdict
(drift and retrain false): the figures of a few rows are noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlops.core.config import Monitor
from mlops.monitor.drift import FeatureDrift
from mlops.monitor.performance import Performance

DRIFT_KINDS = ("input_drift", "prediction_drift", "label_shift", "decay", "data_quality")


@dataclass(frozen=True)
class Reason:
    kind: str
    subject: str  # a feature, "scores", "positive rate", the metric, "model"
    text: str  # what a reviewer reads
    figures: dict[str, float] = field(default_factory=dict)  # measure -> value over threshold

    def as_dict(self) -> dict[str, Any]:
        rounded = {k: round(v, 6) for k, v in self.figures.items()}
        return {"kind": self.kind, "subject": self.subject, "text": self.text, "figures": rounded}


@dataclass(frozen=True)
class Verdict:
    drift: bool
    retrain: bool
    reasons: list[Reason]
    drifted_features: list[str]
    notes: list[str]

    @property
    def summary(self) -> str:
        if self.retrain:
            return "retrain"
        return "drift, no retrain" if self.drift else "no drift"


def drifted(feature: FeatureDrift, cfg: Monitor) -> dict[str, float]:
    """The distances of one feature that are over their thresholds."""
    over = {}
    if feature.psi > cfg.drift.psi:
        over["psi"] = feature.psi
    if feature.wasserstein is not None and feature.wasserstein > cfg.drift.wasserstein:
        over["wasserstein"] = feature.wasserstein
    if feature.jensen_shannon is not None and feature.jensen_shannon > cfg.drift.jensen_shannon:
        over["jensen_shannon"] = feature.jensen_shannon
    return over


def _drift_text(name: str, over: dict[str, float], cfg: Monitor) -> str:
    names = {
        "psi": ("PSI", cfg.drift.psi, ""),
        "wasserstein": ("Wasserstein", cfg.drift.wasserstein, " sd"),
        "jensen_shannon": ("Jensen-Shannon", cfg.drift.jensen_shannon, ""),
    }
    parts = [
        f"{names[k][0]} {v:.3f}{names[k][2]} > {names[k][1]:g}{names[k][2]}"
        for k, v in over.items()
    ]
    return f"`{name}` moved: " + ", ".join(parts)


def quality_problems(feature: FeatureDrift, cfg: Monitor) -> dict[str, float]:
    q = cfg.quality
    found = {}
    if feature.missing_increase > q.missing_increase:
        found["missing_increase"] = feature.missing_increase
    if feature.unseen_rate is not None and feature.unseen_rate > q.unseen_rate:
        found["unseen_rate"] = feature.unseen_rate
    if feature.out_of_range_rate is not None and feature.out_of_range_rate > q.out_of_range_rate:
        found["out_of_range_rate"] = feature.out_of_range_rate
    return found


def _quality_text(feature: FeatureDrift, found: dict[str, float], cfg: Monitor) -> str:
    q = cfg.quality
    parts = []
    if "missing_increase" in found:
        parts.append(
            f"missing {feature.missing_reference:.1%} -> {feature.missing_current:.1%} "
            f"(+{feature.missing_increase:.1%} > {q.missing_increase:.0%})"
        )
    if "unseen_rate" in found:
        parts.append(f"unseen categories {found['unseen_rate']:.1%} > {q.unseen_rate:.0%}")
    if "out_of_range_rate" in found:
        parts.append(
            f"out of the reference's range {found['out_of_range_rate']:.1%} "
            f"> {q.out_of_range_rate:.0%}"
        )
    return f"`{feature.name}` broken values: " + ", ".join(parts)


def decide(
    cfg: Monitor,
    rows: int,
    features: list[FeatureDrift],
    prediction_psi: float | None,
    labels: dict[str, Any] | None,
    perf: Performance | None,
    staleness_months: int | None,
) -> Verdict:
    notes: list[str] = []
    if rows < cfg.min_rows:
        notes.append(
            f"{rows} new rows, fewer than monitor.min_rows={cfg.min_rows}: no verdict "
            "(the figures of so few rows are noise)"
        )
        return Verdict(False, False, [], [], notes)
    reasons: list[Reason] = []
    moved = {f.name: drifted(f, cfg) for f in features}
    moved = {name: over for name, over in moved.items() if over}
    if moved and len(moved) >= cfg.drift.min_features:
        reasons += [
            Reason("input_drift", name, _drift_text(name, over, cfg), over)
            for name, over in moved.items()
        ]
    elif moved:
        notes.append(
            f"{len(moved)} feature(s) moved ({', '.join(moved)}), fewer than "
            f"monitor.drift.min_features={cfg.drift.min_features}"
        )
    if prediction_psi is not None and prediction_psi > cfg.prediction_psi:
        reasons.append(Reason(
            "prediction_drift", "scores",
            f"the model's scores moved: PSI {prediction_psi:.3f} > {cfg.prediction_psi:g}",
            {"psi": prediction_psi},
        ))  # fmt: skip
    if labels is not None and abs(labels["change"]) > cfg.label_shift:
        reasons.append(Reason(
            "label_shift", "positive rate",
            f"positive rate {labels['reference']:.1%} -> {labels['current']:.1%} "
            f"({labels['change']:+.1%}, beyond +/-{cfg.label_shift:.0%})",
            {"change": labels["change"]},
        ))  # fmt: skip
    if perf is not None and perf.worse_by_more_than(cfg.decay.max_drop):
        c = perf.change
        reasons.append(Reason(
            "decay", perf.metric,
            f"{perf.metric} {perf.reference.value:.4f} -> {perf.current.value:.4f} "
            f"({c.value:+.4f}, {perf.confidence:.0%} CI [{c.low:+.4f}, {c.high:+.4f}] "
            f"entirely beyond the tolerated {cfg.decay.max_drop:g})",
            {"change": c.value, "ci_low": c.low, "ci_high": c.high},
        ))  # fmt: skip
    for feature in features:
        found = quality_problems(feature, cfg)
        if found:
            reasons.append(
                Reason("data_quality", feature.name, _quality_text(feature, found, cfg), found)
            )
    if staleness_months is not None and staleness_months > cfg.max_staleness_months:
        reasons.append(Reason(
            "staleness", "model",
            f"the newest new month is {staleness_months} months after the model's newest "
            f"training month (more than {cfg.max_staleness_months})",
            {"months": float(staleness_months)},
        ))  # fmt: skip
    drift = any(r.kind in DRIFT_KINDS for r in reasons)
    retrain = any(r.kind in cfg.retrain_on for r in reasons)
    return Verdict(drift, retrain, reasons, sorted(moved), notes)
