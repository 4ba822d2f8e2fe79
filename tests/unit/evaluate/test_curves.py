"""Plot data: one file per table, the same files dvc.yaml's `plots:` names, with the
columns it plots; small fixed-size curves with the right shape."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from mlops.evaluate.curves import PLOT_FILES, plot_data
from mlops.evaluate.stage import importance
from mlops.features.spec import FeatureSpec
from support.repos import ROOT


def dvc_plots() -> dict[str, tuple[str, str]]:
    """dvc.yaml's plots: file name under paths.plots -> (x column, y column)."""
    plots = yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"]
    found = {}
    for entry in plots:
        ((_, spec),) = entry.items()
        ((path, y),) = spec["y"].items()
        folder, _, name = path.rpartition("/")
        assert folder == "${paths.plots}", path  # the folder comes from params.yaml
        found[name] = (spec["x"], y)
    return found


@pytest.fixture(scope="module")
def scores() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    signal = rng.normal(size=1500)
    y = (signal + rng.normal(size=1500) > 0.3).astype(int)
    return y, 1 / (1 + np.exp(-2 * signal))


def test_plot_files_are_the_files_dvc_yaml_plots(params, scores):
    """The promise in curves.py's docstring: dvc.yaml and PLOT_FILES name the same files."""
    assert set(PLOT_FILES.values()) == set(dvc_plots())
    tables = plot_data(*scores, params.evaluate)
    assert set(tables) | {"importance"} == set(PLOT_FILES)


def test_each_plotted_column_is_in_its_table(params, scores):
    tables = plot_data(*scores, params.evaluate)
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (frame["a"] > 0).astype(int).to_numpy()
    model = make_pipeline(LogisticRegression()).fit(frame, y)
    spec = FeatureSpec(("a", "b"), ("a", "b"), ())
    tables["importance"] = importance(model, frame, y, spec, params.evaluate, 0)
    plotted = dvc_plots()
    for name, file in PLOT_FILES.items():
        x, y_column = plotted[file]
        assert {x, y_column} <= set(tables[name].columns), name


def test_curves_are_on_a_fixed_grid_with_the_right_ends(params, scores):
    y, proba = scores
    cfg = params.evaluate
    tables = plot_data(y, proba, cfg)
    roc, pr = tables["roc"], tables["pr"]
    assert len(roc) == len(pr) == cfg.curve_points
    assert roc["fpr"].iloc[0] == 0.0
    assert roc["fpr"].iloc[-1] == 1.0
    assert roc["tpr"].iloc[-1] == 1.0
    assert roc["tpr"].is_monotonic_increasing
    # Interpolated precision: the best precision at recall >= r never rises with r.
    assert pr["precision"].is_monotonic_decreasing
    # ... and at full recall it is at least the base rate (predict everything positive).
    assert pr["precision"].min() >= y.mean()
    assert pr["precision"].iloc[0] <= 1.0
    assert len(tables["calibration"]) <= cfg.calibration_bins
    confusion = tables["confusion"]
    assert confusion["actual"].tolist() == y.tolist()
    assert confusion["predicted"].tolist() == (proba >= cfg.threshold).astype(int).tolist()


def test_a_perfect_ranking_and_a_coin(params):
    y = np.array([0] * 50 + [1] * 50)
    perfect = plot_data(y, np.linspace(0.01, 0.99, 100), params.evaluate)
    assert (perfect["roc"]["tpr"].iloc[1:] == 1.0).all()  # every positive found at fpr > 0
    coin = plot_data(y, np.full(100, 0.5), params.evaluate)
    assert coin["roc"]["tpr"].to_numpy() == pytest.approx(coin["roc"]["fpr"].to_numpy())
