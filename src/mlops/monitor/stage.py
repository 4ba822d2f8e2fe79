"""`mlops monitor --current PATH`: new rows against the production model and its training
data; writes `paths.monitor` (JSON: the verdict, its reasons and every figure) and
`paths.monitor_report` (markdown with Mermaid charts: the retraining PR's body).

It exits 0 whatever the verdict: a monitor that finds drift has done its job. An error
(no reference model, unreadable rows) exits 2 and leaves earlier outputs in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from mlops.core.config import Params
from mlops.core.errors import DataError
from mlops.core.files import write_json, write_text
from mlops.evaluate.predict import predict
from mlops.monitor.current import KIND_LOG, Current, read_current
from mlops.monitor.drift import input_drift, is_numeric, score_psi
from mlops.monitor.months import months_between
from mlops.monitor.performance import performance
from mlops.monitor.reference import Reference, load_reference
from mlops.monitor.report import render
from mlops.monitor.verdict import decide


def typed(current: pd.DataFrame, reference: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The current rows with the model's input columns typed as in the reference, for
    scoring (an unparseable number becomes missing; the drift figures count it)."""
    out = pd.DataFrame(index=current.index)
    for column in columns:
        values = (
            current[column] if column in current.columns else pd.Series(None, index=current.index)
        )
        if is_numeric(reference[column]):
            out[column] = pd.to_numeric(values, errors="coerce").astype("float64")
        else:
            out[column] = values.astype("object").where(values.notna(), np.nan)
    return out


def label_shift(reference_y: np.ndarray, y: np.ndarray, confidence: float) -> dict[str, Any]:
    """Positive rates and their difference with a normal-approximation interval."""
    p1, p2 = float(np.mean(reference_y)), float(np.mean(y))
    se = float(np.sqrt(p1 * (1 - p1) / len(reference_y) + p2 * (1 - p2) / len(y)))
    z = float(norm.ppf(0.5 + confidence / 2))
    change = p2 - p1
    return {
        "reference": round(p1, 6),
        "current": round(p2, 6),
        "change": round(change, 6),
        "ci_low": round(change - z * se, 6),
        "ci_high": round(change + z * se, 6),
        "confidence": confidence,
    }


def measure(params: Params, reference: Reference, current: Current) -> dict[str, Any]:
    """Every figure and the verdict, as the JSON document `mlops monitor` writes."""
    cfg, data = params.monitor, reference.data
    frame = current.frame
    inputs = reference.inputs
    features = input_drift(reference.columns(cfg.bins, cfg.min_category_share), frame)
    have_inputs = all(c in frame.columns for c in inputs)
    reference_scores = reference.scores()
    if current.scores is not None:
        scores: np.ndarray | None = current.scores
    elif have_inputs:
        scores = predict(reference.model, typed(frame, reference.test, inputs), "the reference")
    else:
        scores = None
    missing_inputs = [c for c in inputs if c not in frame.columns]
    labels = perf = None
    if current.labelled and scores is not None:
        y = (frame[data.target].astype(str) == data.positive_label).to_numpy(dtype=np.int64)
        reference_y = reference.test[data.target].to_numpy(dtype=np.int64)
        labels = label_shift(reference_y, y, cfg.bootstrap.confidence)
        threshold, metric = params.evaluate.threshold, cfg.decay.metric
        perf = performance(
            reference.quality(metric, threshold, cfg.bootstrap), y, scores,
            frame[data.time_column], metric, threshold, cfg.bootstrap,
        )  # fmt: skip
    months = sorted(frame[data.time_column].dropna().astype(str).unique())
    newest = months[-1] if months else None
    stale = months_between(reference.newest_month, newest)
    psi = score_psi(reference_scores, scores, cfg.bins) if scores is not None else None
    verdict = decide(cfg, len(frame), features, psi, labels, perf, stale)
    notes = list(verdict.notes) + [f"reference: {n}" for n in reference.notes]
    if missing_inputs and current.kind == KIND_LOG:
        notes.append("the prediction log holds no inputs (serve.log_inputs: false?): "
                     "only the scores are compared")  # fmt: skip
    elif missing_inputs:
        raise DataError(f"{current.source}: no column {missing_inputs[0]!r}, an input of the model")
    prediction = None
    if psi is not None and scores is not None:
        prediction = {
            "psi": round(psi, 6),
            "mean_reference": round(float(np.mean(reference_scores)), 6),
            "mean_current": round(float(np.mean(scores)), 6),
        }
    champion = reference.champion
    return {
        "drift": verdict.drift,
        "retrain": verdict.retrain,
        "verdict": verdict.summary,
        "reasons": [r.as_dict() for r in verdict.reasons],
        "drifted_features": verdict.drifted_features,
        "notes": notes,
        "reference": {
            "label": champion.label,
            "commit": champion.commit,
            "chosen_by": champion.source,
            "model": reference.obtained.get("model"),
            "data": reference.obtained.get("data"),
            "train_rows": len(reference.train),
            "test_rows": len(reference.test),
            "newest_month": reference.newest_month,
        },
        "current": {
            "source": current.source,
            "kind": current.kind,
            "files": current.files,
            "rows": len(frame),
            "months": months,
            "newest_month": newest,
            "labelled": current.labelled,
        },
        "features": [f.as_dict() for f in features],
        "prediction": prediction,
        "labels": labels,
        "performance": perf.as_dict() if perf is not None else None,
        "staleness": {
            "newest_training_month": reference.newest_month,
            "newest_month": newest,
            "months": stale,
            "max_months": cfg.max_staleness_months,
        },
        "thresholds": cfg.model_dump(exclude={"simulate", "retrain_branch", "online"}),
    }


def run_monitor(
    params: Params, current_path: Path | str, champion_rev: str | None, base: str,
    root: Path | str = ".",
) -> dict[str, Any]:  # fmt: skip
    """Judge the new rows at current_path; write the JSON and the markdown report."""
    root = Path(root)
    current = read_current(root / current_path, params.data)
    reference = load_reference(params, champion_rev, base, root)
    document = measure(params, reference, current)
    write_json(root / params.paths.monitor, document)
    write_text(root / params.paths.monitor_report, render(document))
    return document


def summary_line(document: dict[str, Any]) -> str:
    """One line for the console and the workflow log."""
    current, reference = document["current"], document["reference"]
    head = (
        f"monitor: {document['verdict'].upper()}: {current['rows']} new rows "
        f"({', '.join(current['months']) or 'no month'}) against {reference['label']} "
        f"({reference['commit'][:7]})"
    )
    kinds = sorted({r["kind"] for r in document["reasons"]})
    return head + (f"; reasons: {', '.join(kinds)}" if kinds else "")
