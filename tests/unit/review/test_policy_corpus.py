"""A corpus of degraded challengers on the real default data, each of which the gate blocks,
and the identical retrain, which it lets through every time.

Champion: the default model (fixture `fitted`). Challengers are real fitted Pipelines,
scored with the same code the gate uses (compare_models) and judged by decide() with the
policy of params.yaml. Runtime figures are measured with evaluate.runtime, as the evaluate
stage does.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from mlops.data.prepare import read_split
from mlops.evaluate.stage import importance, runtime
from mlops.features.spec import FeatureSpec
from mlops.review.policy import Decision, decide
from mlops.review.scoring import compare_models
from mlops.train.fit import build_model, fit
from mlops.train.model_io import save_model


@pytest.fixture(scope="module")
def train(splits):
    return read_split(splits[0])


@pytest.fixture(scope="module")
def test(splits):
    return read_split(splits[1])


@pytest.fixture(scope="module")
def champion(fitted):
    return fitted[0]


def judge(params, champion, challenger, test, latency=1.0, size=100_000) -> Decision:
    comparison = compare_models(
        champion, challenger, test, params.data, params.evaluate, params.gate.bootstrap
    )
    return decide(comparison, params.gate, params.evaluate.min_slice_size, latency, size)


def failed(decision: Decision) -> set[str]:
    return {rule.name for rule in decision.failed}


def test_identical_retrain_passes_every_time(params, splits, feature_spec, champion, test):
    for _ in range(2):
        retrained, _ = fit(splits[0], feature_spec, params.data, params.train)
        columns = feature_spec.columns
        assert np.array_equal(
            retrained.predict_proba(test[columns]), champion.predict_proba(test[columns])
        )
        decision = judge(params, champion, retrained, test)
        assert decision.passed, [rule.detail for rule in decision.failed]


def test_shuffled_labels_are_blocked(params, feature_spec, champion, train, test):
    y = np.random.default_rng(0).permutation(train[params.data.target].to_numpy())
    model = build_model(feature_spec, params.train).fit(train[feature_spec.columns], y)
    blocked = failed(judge(params, champion, model, test))
    assert {"non_inferiority:roc_auc", "floor:roc_auc"} <= blocked


def test_best_feature_dropped_is_blocked(params, feature_spec, champion, train, test):
    # The evaluate stage's own importance (drop in ROC AUC when shuffled), on fewer rows
    # and one repeat to stay cheap.
    rows = test.head(3000)
    cfg = params.evaluate.model_copy(update={"importance_repeats": 1})
    ranking = importance(
        champion, rows, rows[params.data.target].to_numpy(), feature_spec, cfg, params.train.seed
    )
    best = ranking.iloc[0]["feature"]
    spec = FeatureSpec(
        tuple(c for c in feature_spec.inputs if c != best),
        tuple(c for c in feature_spec.numeric if c != best),
        tuple(c for c in feature_spec.categorical if c != best),
    )
    model = build_model(spec, params.train).fit(train[spec.columns], train[params.data.target])
    assert best not in model.feature_names_in_
    assert "non_inferiority:roc_auc" in failed(judge(params, champion, model, test))


def test_constant_predictor_is_blocked(params, feature_spec, champion, train, test):
    model = Pipeline([("classifier", DummyClassifier(strategy="prior"))])
    model.fit(train[feature_spec.columns], train[params.data.target])
    assert {"non_inferiority:roc_auc", "floor:roc_auc", "baseline:log_loss",
            "baseline:roc_auc"} <= failed(judge(params, champion, model, test))  # fmt: skip


def test_a_model_that_wrecks_one_slice_is_blocked(params, feature_spec, champion, train, test):
    y = train[params.data.target].to_numpy().copy()
    women = (train["sex"] == "Female").to_numpy()
    y[women] = np.random.default_rng(0).permutation(y[women])  # learns noise for one group
    model = build_model(feature_spec, params.train).fit(train[feature_spec.columns], y)
    blocked = failed(judge(params, champion, model, test))
    assert "slice:sex=Female:roc_auc" in blocked
    assert "slice:sex=Male:roc_auc" not in blocked


def _sleep(rows):
    time.sleep(0.06)
    return rows


def test_a_slow_model_is_blocked(params, feature_spec, champion, test, tmp_path):
    wait = FunctionTransformer(_sleep).fit(test[feature_spec.columns])
    slow = Pipeline([("wait", wait), *champion.steps])
    path = tmp_path / "slow.skops"
    save_model(champion, path)  # size of the real model; only the latency differs
    cfg = params.evaluate.model_copy(update={"latency_rows": 10})
    measured = runtime(slow, test, feature_spec, path, cfg)
    assert measured["latency_ms_p95"] > params.gate.max_latency_ms_p95
    decision = judge(
        params, champion, slow, test, measured["latency_ms_p95"], measured["model_bytes"]
    )
    assert failed(decision) == {"latency_ms_p95"}


def test_an_oversized_model_is_blocked(params, champion, test, tmp_path):
    path = tmp_path / "model.skops"
    size = save_model(champion, path)
    assert size == path.stat().st_size
    comparison = compare_models(
        champion, champion, test, params.data, params.evaluate, params.gate.bootstrap
    )
    ceiling, min_size = params.gate.max_model_bytes, params.evaluate.min_slice_size
    assert decide(comparison, params.gate, min_size, 1.0, size).passed
    oversized = decide(comparison, params.gate, min_size, 1.0, ceiling + 1)
    assert failed(oversized) == {"model_bytes"}
