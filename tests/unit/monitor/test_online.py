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
import yaml

from mlops.core.errors import DataError
from mlops.monitor.drift import (
    ReferenceColumn,
    feature_drift,
    make_bins,
    psi_from_counts,
    score_psi,
)
from mlops.monitor.online import (
    GENERATED,
    Profile,
    RollingDrift,
    alert_rules,
    alerts_file,
    bin_of,
    build_profile,
)
from support.repos import ROOT

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


def test_a_column_bins_at_once_as_one_value_at_a_time(reference, profile):
    """The server bins whole frames (numpy); each value lands where bin_of puts it, for
    typed columns as the service builds them and for odd values in an object column."""
    window = RollingDrift(profile, window=10)
    frame = reference.test.head(500)
    for column in reference.inputs:
        bins = profile.features[column]
        typed = frame[column].to_numpy()
        assert list(window.bin_column(column, typed)) == [bin_of(bins, v) for v in typed], column
        few = typed[:3]  # a few rows take another path
        assert list(window.bin_column(column, few)) == [bin_of(bins, v) for v in few], column
        odd = np.array([*frame[column].iloc[:20], *ODD], dtype=object)
        assert list(window.bin_column(column, odd)) == [bin_of(bins, v) for v in odd], column
    assert list(window.bin_scores(np.array([0.0, 0.5, 1.0, np.nan]))) == [
        bin_of(profile.score_bins, v) for v in (0.0, 0.5, 1.0, float("nan"))
    ]


def test_the_ring_holds_exactly_the_last_window_rows(reference, profile):
    """Batches of every size (empty, larger than the window, without inputs), mixed with
    single rows: after each, the counts are those of the last `window` rows, recounted."""
    rng = np.random.default_rng(7)
    rows = reference.test.head(1200).reset_index(drop=True)
    scores = rng.random(len(rows))
    window = RollingDrift(profile, window=150)
    seen: list[tuple[int, bool]] = []  # (row, with inputs)
    start = 0
    for size in [0, 1, 40, 149, 150, 1, 0, 230, 7, 99, 3, 160, 60, 1]:
        with_inputs = bool(rng.random() < 0.8)
        part = rows.iloc[start : start + size]
        if size == 1 and with_inputs:
            window.add({c: part[c].iloc[0] for c in reference.inputs}, scores[start])
        else:
            window.add_batch(part if with_inputs else None, scores[start : start + size])
        seen += [(i, with_inputs) for i in range(start, start + size)]
        start += size
        last = seen[-150:]
        assert window.rows == len(last)
        kept = [i for i, has in last if has]
        psi = window.feature_psi()
        if not kept:
            assert psi == {}
        for column in reference.inputs if kept else []:
            counts = profile.features[column].counts(rows[column].iloc[kept])
            expected = psi_from_counts(np.asarray(profile.counts[column]), counts)
            assert psi[column] == pytest.approx(expected, abs=1e-12), (size, column)
        if last:
            expected = score_psi(reference.scores(), scores[[i for i, _ in last]], 10)
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
        alertname: ModelInputDrift
        exp_alerts: []
      - eval_time: 45m
        alertname: ModelInputDrift
        exp_alerts:
          - exp_labels: {severity: warn, feature: age, instance: a}
            exp_annotations:
              summary: Input feature age drifted
              description: >-
                PSI 0.500 of age over the last scored rows, above monitor.drift.psi = 0.2.
                The monitor workflow judges the new data and opens the retraining PR when it
                calls for one.
      - eval_time: 45m
        alertname: ModelPredictionDrift
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


def test_the_deployed_alert_rules_are_the_ones_params_yaml_generates(params):
    """deploy/prometheus/alerts.yml holds alert_rules(monitor:) after its marker line, as
    `mlops alert-rules` writes them: one source for every drift threshold."""
    deployed = (ROOT / params.paths.alerts).read_text()
    assert alerts_file(deployed, params.monitor) == deployed, "run `mlops alert-rules`"
    groups = yaml.safe_load(deployed)["groups"]
    assert groups[-1:] == yaml.safe_load(alert_rules(params.monitor))["groups"]
    assert [g["name"] for g in groups] == ["mlops-model", "mlops-drift"]


def test_alerts_file_rewrites_only_its_generated_part(params):
    hand_written = (
        "# rules\ngroups:\n  - name: mine\n    rules:\n      - alert: A\n        expr: up == 0\n"
    )
    first = alerts_file(hand_written, params.monitor)
    assert first.startswith(hand_written + "\n" + GENERATED + "\n")
    assert alerts_file(first, params.monitor) == first  # idempotent
    stricter = params.monitor.model_copy(
        update={"drift": params.monitor.drift.model_copy(update={"psi": 0.35})}
    )
    second = alerts_file(first, stricter)
    assert second.startswith(hand_written)
    rules = {r["alert"]: r for g in yaml.safe_load(second)["groups"] for r in g["rules"]}
    assert set(rules) == {"A", "ModelInputDrift", "ModelPredictionDrift"}
    assert rules["ModelInputDrift"]["expr"].startswith("(mlops_feature_psi > 0.35) and")
