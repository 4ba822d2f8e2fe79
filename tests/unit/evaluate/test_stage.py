"""Evaluate: every file it promises, with the numbers they should hold."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mlops.evaluate.stage import EvaluateOutputs, evaluate
from mlops.train.model_io import save_model


@pytest.fixture(scope="module")
def evaluated(params, splits, feature_spec, fitted, tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaluate")
    model_path = folder / "model.skops"
    save_model(fitted[0], model_path)
    out = EvaluateOutputs(
        folder / "metrics.json", folder / "slices.json", folder / "runtime.json", folder / "plots"
    )
    metrics = evaluate(model_path, splits[1], feature_spec, params.data, params.evaluate, 42, out)
    return out, metrics


def test_metrics(evaluated):
    out, metrics = evaluated
    assert json.loads(out.metrics.read_text()) == metrics
    assert set(metrics) == {
        "roc_auc",
        "pr_auc",
        "accuracy",
        "f1",
        "log_loss",
        "brier",
        "rows",
        "positive_rate",
    }
    assert metrics["roc_auc"] >= 0.92
    assert 0 < metrics["brier"] < 0.15
    assert 0 < metrics["log_loss"] < 0.4


def test_slices_have_sizes_flags_and_gaps(params, evaluated):
    out, metrics = evaluated
    slices = json.loads(out.slices.read_text())
    assert set(slices) == {"sex", "race"}
    sex = slices["sex"]["groups"]
    assert sex["Male"]["n"] + sex["Female"]["n"] == metrics["rows"]
    # The documented disparity of this data: men are selected far more often.
    assert sex["Male"]["selection_rate"] > 2 * sex["Female"]["selection_rate"]
    race = slices["race"]["groups"]
    small = {g for g, r in race.items() if r["small"]}
    assert small == {g for g, r in race.items() if r["n"] < params.evaluate.min_slice_size}
    assert small  # some race groups are under 100 rows in a 20 % holdout
    assert slices["sex"]["gaps"]["selection_rate"] == pytest.approx(
        sex["Male"]["selection_rate"] - sex["Female"]["selection_rate"], abs=1e-5
    )


def test_plot_files(params, evaluated, feature_spec):
    out, metrics = evaluated
    roc = pd.read_csv(out.plots / "roc.csv")
    assert len(roc) == params.evaluate.curve_points
    assert roc["tpr"].is_monotonic_increasing
    assert roc["tpr"].iloc[-1] == 1
    pr = pd.read_csv(out.plots / "pr.csv")
    assert pr["precision"].is_monotonic_decreasing
    calibration = pd.read_csv(out.plots / "calibration.csv")
    assert (abs(calibration["mean_predicted"] - calibration["fraction_positive"]) < 0.1).all()
    confusion = pd.read_csv(out.plots / "confusion.csv")
    assert len(confusion) == metrics["rows"]
    importance = pd.read_csv(out.plots / "importance.csv")
    assert set(importance["feature"]) == set(feature_spec.columns)
    assert importance["importance"].iloc[0] == importance["importance"].max() > 0.01


def test_runtime(evaluated):
    out, _ = evaluated
    runtime = json.loads(out.runtime.read_text())
    assert runtime["model_bytes"] > 10_000
    assert 0 < runtime["latency_ms_p50"] <= runtime["latency_ms_p95"]
    assert runtime["batch_rows_per_second"] > 1_000
