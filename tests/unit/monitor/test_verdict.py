"""From figures to a verdict: each threshold of `monitor:` and the retrain rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops.monitor.drift import FeatureDrift
from mlops.monitor.performance import performance, reference_quality
from mlops.monitor.verdict import decide

QUIET = FeatureDrift("age", "numeric", 0.01, 0.02, None, 0.0, 0.0, None, 0.0)


def feature(**changes) -> FeatureDrift:
    values = {**QUIET.__dict__, **changes}
    return FeatureDrift(**values)


def test_quiet_figures_give_no_drift(params):
    verdict = decide(params.monitor, 4000, [QUIET], 0.01, None, None, 1)
    assert (verdict.drift, verdict.retrain, verdict.reasons) == (False, False, [])
    assert verdict.summary == "no drift"


def test_too_few_rows_give_no_verdict_whatever_the_figures(params):
    loud = feature(psi=3.0)
    verdict = decide(params.monitor, params.monitor.min_rows - 1, [loud], 2.0, None, None, 99)
    assert (verdict.drift, verdict.retrain, verdict.reasons) == (False, False, [])
    assert "fewer than monitor.min_rows" in verdict.notes[0]


@pytest.mark.parametrize(
    ("figures", "measure"),
    [
        ({"psi": 0.3}, "psi"),
        ({"wasserstein": 0.5}, "wasserstein"),
        ({"kind": "categorical", "wasserstein": None, "jensen_shannon": 0.3}, "jensen_shannon"),
    ],
)
def test_any_distance_over_its_threshold_is_input_drift(params, figures, measure):
    verdict = decide(params.monitor, 4000, [feature(**figures)], None, None, None, None)
    (reason,) = verdict.reasons
    assert (reason.kind, reason.subject, list(reason.figures)) == ("input_drift", "age", [measure])
    assert verdict.drifted_features == ["age"]
    assert (verdict.drift, verdict.retrain) == (True, True)


def test_min_features_and_retrain_on(params):
    cfg = params.monitor.model_copy(
        update={"drift": params.monitor.drift.model_copy(update={"min_features": 2})}
    )
    verdict = decide(cfg, 4000, [feature(name="hours", psi=0.3), QUIET], None, None, None, None)
    assert verdict.reasons == []
    assert "fewer than monitor.drift.min_features=2" in verdict.notes[0]
    only_decay = params.monitor.model_copy(update={"retrain_on": ["decay"]})
    verdict = decide(only_decay, 4000, [feature(psi=0.3)], None, None, None, None)
    assert (verdict.drift, verdict.retrain, verdict.summary) == (True, False, "drift, no retrain")


def test_quality_prediction_labels_and_staleness(params):
    broken = feature(missing_current=0.2, out_of_range_rate=0.1)
    labels = {"reference": 0.24, "current": 0.40, "change": 0.16}
    verdict = decide(params.monitor, 4000, [broken], 0.5, labels, None, 13)
    found = {r.kind: r for r in verdict.reasons}
    assert set(found) == {"data_quality", "prediction_drift", "label_shift", "staleness"}
    assert found["data_quality"].text == (
        "`age` broken values: missing 0.0% -> 20.0% (+20.0% > 5%), out of the reference's "
        "range 10.0% > 1%"
    )
    assert found["label_shift"].text == "positive rate 24.0% -> 40.0% (+16.0%, beyond +/-5%)"
    assert found["staleness"].figures == {"months": 13.0}


def _scores(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return y, np.clip(0.5 + (y - 0.5) * 0.6 + rng.normal(0, noise, n), 0, 1)


def test_decay_only_when_the_whole_interval_is_beyond_the_tolerance(params):
    cfg = params.monitor
    ref_y, ref_p = _scores(5000, 0.3, 0)
    reference = reference_quality(ref_y, ref_p, "roc_auc", 0.5, cfg.bootstrap)
    months = pd.Series(["2025-07"] * 2000 + ["2025-08"] * 2000)
    same_y, same_p = _scores(4000, 0.3, 1)
    same = performance(reference, same_y, same_p, months, "roc_auc", 0.5, cfg.bootstrap)
    assert same is not None
    assert same.change.low < 0 < same.change.high
    assert not same.worse_by_more_than(cfg.decay.max_drop)
    assert list(same.by_month) == ["2025-07", "2025-08"]
    worse_y, worse_p = _scores(4000, 0.8, 2)
    worse = performance(reference, worse_y, worse_p, months, "roc_auc", 0.5, cfg.bootstrap)
    assert worse is not None
    assert worse.worse_by_more_than(cfg.decay.max_drop)
    verdict = decide(cfg, 4000, [QUIET], None, None, worse, None)
    assert [r.kind for r in verdict.reasons] == ["decay"]
    assert "entirely beyond the tolerated 0.02" in verdict.reasons[0].text
    # a loss: worse means higher
    loss_ref = reference_quality(ref_y, ref_p, "log_loss", 0.5, cfg.bootstrap)
    loss = performance(loss_ref, worse_y, worse_p, months, "log_loss", 0.5, cfg.bootstrap)
    assert loss is not None
    assert loss.change.value > 0
    assert loss.worse_by_more_than(cfg.decay.max_drop)
    # one class only: no AUC, no performance
    assert performance(reference, np.ones(100), worse_p[:100], months[:100], "roc_auc", 0.5,
                       cfg.bootstrap) is None  # fmt: skip
