"""Online drift for the serving process: one row at a time into the reference's bins, a
rolling window whose PSI is the batch monitor's PSI on the same rows, and Prometheus
alert rules that promtool accepts and fires as intended."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from mlops.core.errors import DataError
from mlops.monitor.drift import ReferenceColumn, feature_drift, make_bins, score_psi
from mlops.monitor.online import Profile, RollingDrift, alert_rules, bin_of, build_profile

ODD = [None, float("nan"), "", "12", 12, 12.0, "abc", "Private", "PRIVATE", 10**9, -5, True]


def test_one_value_goes_to_the_bin_a_column_of_it_goes_to(reference):
    for column in reference.inputs:
        bins = make_bins(reference.train[column], 10, 0.01)
        values = list(reference.train[column].iloc[:300]) + ODD
        series = pd.Series(values, dtype="object")
        assert [bin_of(bins, v) for v in values] == list(bins.index(series)), column


@pytest.fixture(scope="module")
def profile(reference, params):
    return build_profile(reference.train, reference.inputs, reference.scores(), params.monitor)


def test_the_window_psi_is_the_batch_psi_of_its_last_rows(reference, params, profile, source_rows):
    window = RollingDrift(profile, window=1500)
    rows = source_rows[source_rows["month"] == "2025-08"].head(2000)
    scores = np.linspace(0.01, 0.99, len(rows))
    for (_, row), score in zip(rows.iterrows(), scores, strict=True):
        inputs = {c: (None if pd.isna(row[c]) else row[c]) for c in reference.inputs}
        window.add(inputs, float(score))
    assert window.rows == 1500  # the first 500 rows left the window
    last = rows.iloc[-1500:]
    online = window.feature_psi()
    for column in reference.inputs:
        batch = feature_drift(ReferenceColumn.of(reference.train[column], 10, 0.01), last[column])
        assert online[column] == pytest.approx(batch.psi, abs=1e-12), column
    expected = score_psi(reference.scores(), scores[-1500:], params.monitor.bins)
    assert window.prediction_psi() == pytest.approx(expected, abs=1e-12)


def test_rows_without_inputs_count_for_the_scores_only(profile):
    window = RollingDrift(profile, window=10)
    assert window.feature_psi() == {}
    assert window.prediction_psi() is None
    window.add(None, 0.3)
    assert window.feature_psi() == {}
    assert window.prediction_psi() is not None


def test_profile_round_trip_and_a_broken_profile(profile, tmp_path):
    path = tmp_path / "profile.json"
    profile.write(path)
    assert Profile.read(path) == profile
    path.write_text('{"features": {"age": {"kind": "numeric", "edges": [1.0], '
                    '"categories": [], "counts": [1]}}, "scores": {}}')  # fmt: skip
    with pytest.raises(DataError, match="counts for other bins"):
        Profile.read(path)
    path.write_text("{}")
    with pytest.raises(DataError, match="not a drift profile"):
        Profile.read(path)


PROMTOOL_TESTS = """
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'mlops_feature_psi{feature="age", instance="a"}'
        values: '0.5x60'
      - series: 'mlops_feature_psi{feature="sex", instance="a"}'
        values: '0.01x60'
      - series: 'mlops_drift_window_rows{instance="a"}'
        values: '2000x60'
      - series: 'mlops_feature_psi{feature="age", instance="b"}'
        values: '0.9x60'
      - series: 'mlops_drift_window_rows{instance="b"}'
        values: '100x60'
      - series: 'mlops_prediction_psi{instance="a"}'
        values: '0.05x60'
    alert_rule_test:
      - eval_time: 10m
        alertname: MlopsInputFeatureDrift
        exp_alerts: []
      - eval_time: 45m
        alertname: MlopsInputFeatureDrift
        exp_alerts:
          - exp_labels: {severity: warning, feature: age, instance: a}
            exp_annotations:
              summary: Input feature age drifted
              description: >-
                PSI 0.500 of age over the last scored rows, above monitor.drift.psi = 0.2.
                The monitor workflow judges the new data and opens the retraining PR when it
                calls for one.
      - eval_time: 45m
        alertname: MlopsPredictionDrift
        exp_alerts: []
"""


def test_alert_rules_are_valid_and_fire_only_on_a_full_window_over_threshold(params, tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is missing (Debian: apt-get install prometheus)")
        pytest.skip("promtool not found: apt-get install prometheus")
    (tmp_path / "rules.yml").write_text(alert_rules(params.monitor))
    (tmp_path / "tests.yml").write_text(PROMTOOL_TESTS)
    for command in (["check", "rules", "rules.yml"], ["test", "rules", "tests.yml"]):
        result = subprocess.run(
            [promtool, *command], cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
