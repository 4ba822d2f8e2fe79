"""Unit tests of the shared scoring (paired bootstrap) and of every gate rule.

Synthetic probabilities on a synthetic frame: no git, DVC or model file. The degraded
challengers built from real models are in test_gate_corpus.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, f1_score, log_loss, roc_auc_score

from mlops.review.policy import decide
from mlops.review.scoring import _Rows, compare_scores, paired_bootstrap, prior_log_loss
from support import review

# The synthetic review's data, evaluate and gate sections (tests/support/review.py), with
# more resamples here.
BOOT = review.BOOT.model_copy(update={"resamples": 300})
GATE = review.GATE.model_copy(update={"bootstrap": BOOT})
DATA, EVALUATE = review.DATA, review.EVALUATE


@pytest.fixture(scope="module")
def world() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """3,000 rows, groups a (2,000), b (950), c (50: small); a good model's probabilities."""
    rng = np.random.default_rng(7)
    n = 3000
    groups = np.array(["a"] * 2000 + ["b"] * 950 + ["c"] * 50)
    signal = rng.normal(size=n)
    y = (signal + rng.normal(scale=0.8, size=n) > 0.6).astype(int)
    proba = 1 / (1 + np.exp(-(2.2 * signal - 1.3)))
    frame = pd.DataFrame({"g": groups, "y": y})
    return frame, y, proba


def _decide(world, head, latency=5.0, size=10_000, gate=GATE):
    frame, y, base = world
    comparison = compare_scores(frame, y, base, head, DATA, EVALUATE, gate.bootstrap)
    return comparison, decide(comparison, gate, EVALUATE.min_slice_size, latency, size)


def _failed(decision) -> set[str]:
    return {rule.name for rule in decision.failed}


# --- the weighted metrics the bootstrap uses agree with scikit-learn -------------------


def test_weighted_metrics_match_scikit_learn(world):
    _, y, proba = world
    proba = np.round(proba, 2)  # many ties: the tie handling must match too
    rows = _Rows(y.astype(float), proba, 0.5)
    weights = np.random.default_rng(3).integers(0, 4, len(y)).astype(float)
    expected = {
        "roc_auc": roc_auc_score(y, proba, sample_weight=weights),
        "pr_auc": average_precision_score(y, proba, sample_weight=weights),
        "f1": f1_score(y, proba >= 0.5, sample_weight=weights),
        "log_loss": log_loss(y, proba, sample_weight=weights),
        "accuracy": np.average((proba >= 0.5) == y, weights=weights),
        "brier": np.average((proba - y) ** 2, weights=weights),
    }
    for name, value in expected.items():
        assert rows.metric(name, weights) == pytest.approx(value, abs=1e-9), name


def test_bootstrap_is_seeded_and_paired(world):
    _, y, proba = world
    worse = np.clip(proba + np.random.default_rng(1).normal(scale=0.2, size=len(y)), 0, 1)
    first = paired_bootstrap(y, proba, worse, 0.5, BOOT)
    again = paired_bootstrap(y, proba, worse, 0.5, BOOT)
    assert first == again
    other_seed = paired_bootstrap(y, proba, worse, 0.5, BOOT.model_copy(update={"seed": 1}))
    assert other_seed["roc_auc"].low != first["roc_auc"].low
    change = first["roc_auc"]
    assert change.low < change.delta < change.high < 0  # clearly worse, CI excludes 0
    same = paired_bootstrap(y, proba, proba, 0.5, BOOT)
    assert all(c.low == c.high == 0.0 for c in same.values())


def test_prior_log_loss_is_the_entropy_of_the_base_rate():
    y = np.array([1] * 25 + [0] * 75)
    assert prior_log_loss(y) == pytest.approx(log_loss(y, np.full(100, 0.25)))


# --- rules -----------------------------------------------------------------------------


def test_identical_challenger_passes_every_rule(world):
    _, _, proba = world
    comparison, decision = _decide(world, proba.copy())
    assert decision.passed, [r.detail for r in decision.failed]
    assert comparison.changes["roc_auc"].delta == 0
    names = {rule.name for rule in decision.rules}
    assert {"non_inferiority:roc_auc", "floor:roc_auc", "baseline:log_loss", "baseline:roc_auc",
            "slice:g=a:roc_auc", "slice:g=b:accuracy", "gap:g:true_positive_rate",
            "latency_ms_p95", "model_bytes"} <= names  # fmt: skip
    # group c has 50 rows < min_slice_size: listed as not judged, never as a rule
    assert not any("g=c" in name for name in names)
    assert any("g=c" in text for text in decision.skipped)


def test_constant_predictor_is_blocked(world):
    _, y, _ = world
    _, decision = _decide(world, np.full(len(y), y.mean()))
    assert {"non_inferiority:roc_auc", "floor:roc_auc", "baseline:log_loss",
            "baseline:roc_auc"} <= _failed(decision)  # fmt: skip


def test_shuffled_predictions_are_blocked(world):
    _, _, proba = world
    _, decision = _decide(world, np.random.default_rng(5).permutation(proba))
    assert "non_inferiority:roc_auc" in _failed(decision)
    assert "floor:roc_auc" in _failed(decision)


def test_small_drop_within_margin_passes_and_beyond_fails(world):
    _, y, proba = world
    noise = np.random.default_rng(11).normal(size=len(y))
    _, tiny = _decide(world, np.clip(proba + 0.002 * noise, 0, 1))
    assert tiny.passed, [r.detail for r in tiny.failed]
    comparison, clear = _decide(world, np.clip(proba + 0.15 * noise, 0, 1))
    rule = next(r for r in clear.rules if r.name == "non_inferiority:roc_auc")
    assert not rule.passed
    assert rule.value == comparison.changes["roc_auc"].low < -GATE.margin
    assert rule.threshold == -GATE.margin


def test_a_model_that_wrecks_one_slice_is_blocked(world):
    frame, _, proba = world
    head = proba.copy()
    in_b = (frame["g"] == "b").to_numpy()
    head[in_b] = np.random.default_rng(2).permutation(head[in_b])  # group b: noise
    _, decision = _decide(world, head)
    failed = _failed(decision)
    assert "slice:g=b:roc_auc" in failed
    assert "slice:g=a:roc_auc" not in failed  # the other group is untouched


def test_wrecking_only_a_small_group_is_not_judged_on_that_group(world):
    frame, _, proba = world
    head = proba.copy()
    in_c = (frame["g"] == "c").to_numpy()
    head[in_c] = 1 - head[in_c]
    _, decision = _decide(world, head)
    assert not any("g=c" in rule.name for rule in decision.rules)


def test_fairness_gap_growth_is_blocked(world):
    frame, y, proba = world
    head = proba.copy()
    in_b = (frame["g"] == "b").to_numpy()
    head[in_b & (y == 1)] *= 0.3  # group b's positives mostly missed: TPR gap grows
    _, decision = _decide(world, head)
    assert "gap:g:true_positive_rate" in _failed(decision)


def test_slow_oversized_or_unmeasured_models_are_blocked(world):
    _, _, proba = world
    _, slow = _decide(world, proba.copy(), latency=51.0)
    assert _failed(slow) == {"latency_ms_p95"}
    _, big = _decide(world, proba.copy(), size=1_000_001)
    assert _failed(big) == {"model_bytes"}
    _, unmeasured = _decide(world, proba.copy(), latency=None)
    assert _failed(unmeasured) == {"latency_ms_p95"}


def test_loss_primary_metric_uses_the_upper_end_of_the_interval(world):
    _, _, proba = world
    worse = np.clip(proba * 0.6 + 0.2, 0, 1)  # squashed: worse log loss, same ranking
    gate = GATE.model_copy(update={"primary_metric": "log_loss", "floors": {"log_loss": 0.3}})
    comparison, decision = _decide(world, worse, gate=gate)
    rule = next(r for r in decision.rules if r.name == "non_inferiority:log_loss")
    assert rule.value == comparison.changes["log_loss"].high > gate.margin
    assert not rule.passed
    assert comparison.changes["roc_auc"].delta == pytest.approx(0.0)


def test_rule_values_round_trip_to_json(world):
    import json

    _, _, proba = world
    _, decision = _decide(world, proba.copy())
    text = json.dumps([rule.as_dict() for rule in decision.rules], allow_nan=False)
    assert json.loads(text)[0]["name"] == "non_inferiority:roc_auc"


# --- rows the champion was scored on and the challenger dropped ------------------------


def test_rows_removed_fail_unless_the_policy_allows_that_many(world):
    from mlops.review.policy import RowsCheck

    _, _, proba = world
    kept = RowsCheck("row_id", champion_rows=1000, removed=0)
    dropped = RowsCheck("row_id", 1000, 30, ("4", "8", "15"), (("2025-01", 30),))
    frame, y, base = world
    comparison = compare_scores(frame, y, base, proba.copy(), DATA, EVALUATE, GATE.bootstrap)
    ok = decide(comparison, GATE, EVALUATE.min_slice_size, 5.0, 10_000, kept)
    assert ok.passed
    assert "rows_removed" in {r.name for r in ok.rules}
    bad = decide(comparison, GATE, EVALUATE.min_slice_size, 5.0, 10_000, dropped)
    (rule,) = bad.failed
    assert (rule.name, rule.value, rule.threshold) == ("rows_removed", 0.03, 0.0)
    assert "30 of the 1,000 rows" in rule.detail
    assert "row_id 4, 8, 15" in rule.detail
    allowed = GATE.model_copy(update={"max_removed_fraction": 0.05})
    assert decide(comparison, allowed, EVALUATE.min_slice_size, 5.0, 10_000, dropped).passed
    unknown = decide(comparison, GATE, EVALUATE.min_slice_size, 5.0, 10_000, None)
    assert any(s.startswith("rows_removed") for s in unknown.skipped)  # listed, not passed
