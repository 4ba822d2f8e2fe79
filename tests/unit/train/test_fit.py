"""The train stage: fit the chosen model type, record facts about the fit, refuse data it
cannot learn from, and give the same model for the same seed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from mlops.core.errors import DataError
from mlops.data.prepare import read_split
from mlops.train.fit import build_model, fit, train
from mlops.train.model_io import load_model
from support.synthetic import SPEC, records


@pytest.fixture(scope="module")
def test_frame(splits):
    return read_split(splits[1])


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "train.csv"
    records(300).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def data(params):
    return params.data.model_copy(update={"target": "label"})


def test_the_model_type_comes_from_params(params):
    assert isinstance(build_model(SPEC, params.train)[-1], HistGradientBoostingClassifier)
    cfg = params.train.model_copy(update={"model": "logistic_regression"})
    assert isinstance(build_model(SPEC, cfg)[-1], LogisticRegression)
    assert build_model(SPEC, cfg)[-1].random_state == params.train.seed


def test_fit_facts_describe_the_fit(params, fitted, feature_spec, splits):
    _, facts = fitted
    assert facts["model"] == params.train.model
    assert facts["rows"] == len(read_split(splits[0]))
    assert facts["features"] == len(feature_spec.features)
    assert facts["fit_seconds"] > 0
    assert facts["iterations"] >= 1


def test_train_writes_a_loadable_model_and_its_facts(params, small, data, tmp_path):
    cfg = params.train.model_copy(update={"model": "logistic_regression"})
    model_out, facts_out = tmp_path / "m" / "model.skops", tmp_path / "r" / "training.json"
    facts = train(small, SPEC, data, cfg, model_out, facts_out)
    assert json.loads(facts_out.read_text()) == facts
    assert facts["model_bytes"] == model_out.stat().st_size
    assert facts["rows"] == 300
    model = load_model(model_out)
    assert model.predict_proba(records(10, seed=1)[SPEC.columns]).shape == (10, 2)


def test_a_missing_feature_column_names_the_file_and_column(params, small, data, tmp_path):
    frame = records(300).drop(columns=["hours"])
    path = tmp_path / "no_hours.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=f"^{path}: feature column 'hours' is missing"):
        fit(path, SPEC, data, params.train)


def test_one_class_only_is_refused(params, data, tmp_path):
    path = tmp_path / "one_class.csv"
    records(100).assign(label=0).to_csv(path, index=False)
    with pytest.raises(DataError, match="column 'label' holds one class only"):
        fit(path, SPEC, data, params.train)


def test_same_seed_same_model(params, splits, feature_spec, fitted, test_frame):
    again, _ = fit(splits[0], feature_spec, params.data, params.train)
    rows = test_frame[feature_spec.columns]
    assert np.array_equal(fitted[0].predict_proba(rows), again.predict_proba(rows))
