"""The monitor's verdict on real months of the default data, as they are and with each
simulated drift (what `mlops simulate` + `mlops monitor` do, minus git and DVC)."""

from __future__ import annotations

import pytest

from mlops.cli import main
from mlops.core.files import write_json
from mlops.data.ingest import write_snapshot
from mlops.monitor.current import read_current
from mlops.monitor.months import months_between
from mlops.monitor.report import render
from mlops.monitor.simulate import simulate
from mlops.monitor.stage import measure, summary_line
from support.repos import ROOT

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def judge(params, reference, source_rows, month, scenario, tmp_path):
    """Simulate a month, write it as `mlops simulate` does, read it back, judge it."""
    path = tmp_path / f"{month}-{scenario}.csv"
    write_snapshot(simulate(params, month, scenario, rows=source_rows), path)
    return measure(params, reference, read_current(path, params.data))


def kinds(document) -> set[str]:
    return {r["kind"] for r in document["reasons"]}


def test_twelve_real_months_give_no_retrain_verdict(params, reference, source_rows, tmp_path):
    # 2025-01..06 are months the model was trained on (its snapshot), 07..12 are new
    for month in MONTHS:
        document = judge(params, reference, source_rows, month, "none", tmp_path)
        assert document["retrain"] is False, (month, document["reasons"])
        assert document["drift"] is False, (month, document["reasons"])
        assert document["verdict"] == "no drift"
        assert document["current"]["months"] == [month]
        assert document["performance"]["change"]["ci_high"] > -params.monitor.decay.max_drop


@pytest.mark.parametrize(
    ("scenario", "expected", "subject"),
    [
        ("covariate", "input_drift", "age"),  # the population aged
        ("prior", "label_shift", "positive rate"),
        ("concept", "decay", "roc_auc"),
        ("quality", "data_quality", "workclass"),
    ],
)
def test_each_drift_scenario_is_flagged_with_its_reason(
    params, reference, source_rows, tmp_path, scenario, expected, subject
):
    document = judge(params, reference, source_rows, "2025-07", scenario, tmp_path)
    assert document["retrain"] is True
    assert document["drift"] is True
    found = [r for r in document["reasons"] if r["kind"] == expected]
    assert subject in {r["subject"] for r in found}, document["reasons"]
    assert all(r["text"] for r in document["reasons"])
    if scenario == "concept":
        # same inputs, same positive rate: only the model's performance can see it
        assert kinds(document) == {"decay"}
        assert document["drifted_features"] == []
        real = judge(params, reference, source_rows, "2025-07", "none", tmp_path)
        assert document["features"] == real["features"]
        assert document["prediction"] == real["prediction"]
        assert document["labels"]["current"] == real["labels"]["current"]
    if scenario == "quality":
        broken = {r["subject"] for r in found}
        assert broken == set(reference.inputs)  # every input column has broken cells
    summary = summary_line(document)
    assert summary.startswith("monitor: RETRAIN: 4171 new rows (2025-07)")
    assert expected in summary


def test_report_and_json_of_a_verdict(params, reference, source_rows, tmp_path):
    document = judge(params, reference, source_rows, "2025-08", "covariate", tmp_path)
    write_json(tmp_path / "monitor.json", document)  # every figure is JSON (no NaN)
    text = render(document)
    assert text.startswith("## Monitor report\n\n**Retrain**")
    assert "- **input drift**: `age` moved: PSI" in text
    assert text.count("```mermaid") == 2  # drift per feature, performance by month
    assert "| `age` | numeric |" in text
    assert f"trained on {len(reference.train):,} rows up to 2025-06" in text
    assert document["staleness"] == {
        "newest_training_month": "2025-06", "newest_month": "2025-08", "months": 2,
        "max_months": params.monitor.max_staleness_months,
    }  # fmt: skip


def test_staleness_alone_retrains_without_drift(params, reference, source_rows, tmp_path):
    cfg = params.monitor.model_copy(update={"max_staleness_months": 1})
    stale = params.model_copy(update={"monitor": cfg})
    document = judge(stale, reference, source_rows, "2025-09", "none", tmp_path)
    assert (document["drift"], document["retrain"]) == (False, True)
    assert kinds(document) == {"staleness"}
    assert document["verdict"] == "retrain"
    not_listed = cfg.model_copy(update={"retrain_on": ["input_drift"]})
    document = measure(
        params.model_copy(update={"monitor": not_listed}), reference,
        read_current(tmp_path / "2025-09-none.csv", params.data),
    )  # fmt: skip
    assert (document["drift"], document["retrain"]) == (False, False)


def test_months_between():
    assert months_between("2025-06", "2025-07") == 1
    assert months_between("2024-11", "2025-02") == 3
    assert months_between(None, "2025-02") is None


def test_cli_errors_are_one_line_and_keep_the_earlier_report(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports/monitor.json").write_text('{"earlier": true}\n')
    params = str(ROOT / "params.yaml")
    assert main(["--params", params, "monitor", "--current", "nowhere.csv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("mlops monitor: error: nowhere.csv: not found")
    assert (tmp_path / "reports/monitor.json").read_text() == '{"earlier": true}\n'
    args = [
        "--params",
        params,
        "simulate",
        "--month",
        "2031-01",
        "--scenario",
        "none",
        "--out",
        "b.csv",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err  # run elsewhere, the relative source is not there
    assert err == (
        "mlops simulate: error: datasets/adult/adult.data.gz: source file not found "
        "(see ingest.sources)\n"
    )
