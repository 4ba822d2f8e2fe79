"""Evaluate: every file it promises, with the numbers they should hold."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from mlops.data.prepare import read_split
from mlops.evaluate.stage import (
    EvaluateOutputs,
    _distinct,
    encoded_columns,
    evaluate,
    importance,
)
from mlops.features.spec import FeatureSpec
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


@pytest.fixture(scope="module")
def test_rows(params, splits):
    frame = read_split(splits[1])
    return frame, frame[params.data.target].to_numpy()


def test_importance_on_encoded_rows_is_importance_on_shuffled_records(
    params, feature_spec, fitted, test_rows
):
    frame, y = test_rows
    cfg = params.evaluate.model_copy(update={"importance_rows": 1500, "importance_repeats": 2})
    assert encoded_columns(fitted[0], frame[feature_spec.columns]) is not None
    fast = importance(fitted[0], frame, y, feature_spec, cfg, 7)
    slow = importance(fitted[0], frame, y, feature_spec, cfg, 7, encoded=False)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert (fast["importance"] > 0).sum() >= 5


def test_each_distinct_row_and_new_value_is_scored_once():
    rows = np.array([0, 0, 1, 0, 2])
    codes = np.array([[1.0, np.nan], [1.0, np.nan], [1.0, np.nan], [2.0, np.nan], [-0.0, 3]])
    first, back = _distinct(rows, codes)
    assert len(first) == 4  # rows 0 and 1 of the pairs are the same input
    assert back[0] == back[1]
    assert len(set(back[1:].tolist())) == 4
    pairs = np.column_stack([rows, codes])
    np.testing.assert_array_equal(pairs[first][back], pairs)  # every pair maps to its own
    objects = codes.astype(object)
    assert len(_distinct(rows, objects)[0]) == len(rows)  # objects: no merging by bytes


def test_a_model_fitted_on_parquet_splits_gets_the_importance_of_the_whole_model_path(
    params, splits, feature_spec, tmp_path
):
    """Splits stored as Parquet read back with nullable integers and categoricals: the
    encoded matrix is an object array, and the classifier, fitted on such a matrix,
    keeps an encoder of its own that refuses it as float64 (the 100k-row scale run)."""
    from mlops.core.files import write_table
    from mlops.train.fit import fit

    paths = {}
    for name, split in zip(("train", "test"), splits, strict=True):
        paths[name] = tmp_path / f"{name}.parquet"
        # nullable integers, as ingest writes a Parquet snapshot (the schema's Int64)
        rows = read_split(split)
        write_table(paths[name], rows.astype(dict.fromkeys(rows.select_dtypes("integer"), "Int64")))
    model, _ = fit(paths["train"], feature_spec, params.data, params.train)
    frame = read_split(paths["test"])
    assert str(frame["age"].dtype) == "Int64"
    y = frame[params.data.target].to_numpy()
    found = encoded_columns(model, frame[feature_spec.columns])
    assert found is not None
    assert found[0].dtype == object
    cfg = params.evaluate.model_copy(update={"importance_rows": 800, "importance_repeats": 2})
    fast = importance(model, frame, y, feature_spec, cfg, 3)
    slow = importance(model, frame, y, feature_spec, cfg, 3, encoded=False)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)


def test_each_input_column_maps_to_its_own_codes(feature_spec, fitted, test_rows):
    rows = test_rows[0][feature_spec.columns].head(50)
    found = encoded_columns(fitted[0], rows)
    assert found is not None
    matrix, groups = found
    assert matrix.shape == (50, len(feature_spec.features))
    assert sorted(j for group in groups for j in group) == list(range(matrix.shape[1]))
    used = {column for column, group in zip(rows.columns, groups, strict=True) if group}
    assert used == set(feature_spec.features)  # the dropped inputs map to no code
    for column, group in zip(rows.columns, groups, strict=True):
        if column in feature_spec.numeric:
            assert np.array_equal(matrix[:, group[0]], rows[column].to_numpy(float), equal_nan=True)


def synthetic(engineer=None, mix=False):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({
        "a": rng.normal(size=400), "b": rng.normal(size=400),
        "k": rng.choice(["x", "y", "z"], size=400),
    })  # fmt: skip
    y = ((frame["a"] + (frame["k"] == "x")) > 0.5).astype(int).to_numpy()
    encode = ColumnTransformer(
        [("n", PCA(1) if mix else make_pipeline(StandardScaler()), ["a", "b"]),
         ("c", OneHotEncoder(sparse_output=False), ["k"])],
    )  # fmt: skip
    steps = [FunctionTransformer(engineer)] if engineer else []
    model = make_pipeline(*steps, encode, HistGradientBoostingClassifier(max_iter=20))
    return model.fit(frame, y), frame, y


def test_one_hot_codes_are_grouped_and_give_the_same_importance(params):
    model, frame, y = synthetic()
    found = encoded_columns(model, frame)
    assert found is not None
    assert found[1] == [[0], [1], [2, 3, 4]]
    spec = FeatureSpec(("a", "b", "k"), ("a", "b"), ("k",))
    cfg = params.evaluate.model_copy(update={"importance_repeats": 3})
    fast = importance(model, frame, y, spec, cfg, 0)
    pd.testing.assert_frame_equal(fast, importance(model, frame, y, spec, cfg, 0, encoded=False))
    scores = model.predict_proba(frame)[:, 1]  # the stage's own scoring, as the baseline
    pd.testing.assert_frame_equal(fast, importance(model, frame, y, spec, cfg, 0, proba=scores))
    assert fast.iloc[0]["feature"] == "a"


def test_a_model_that_mixes_columns_is_scored_whole():
    """Derived columns or an encoder over several columns: a shuffle of one input moves
    codes the grouping cannot name, so only scoring the shuffled records is right."""
    derived = synthetic(engineer=lambda f: f.assign(b=f["a"] + f["b"]))
    assert encoded_columns(derived[0], derived[1]) is None
    mixed = synthetic(mix=True)
    assert encoded_columns(mixed[0], mixed[1]) is None
