"""The monitor workflow's steps, in this process: the batch of the next month, the edit of
params.yaml, the PR body, and every way the retraining step refuses (the whole step, with
the pipeline, git, DVC and the PR, runs under act: tests/workflows/test_act_monitor.py)."""

from __future__ import annotations

import json
import shutil

import pytest

from mlops.ci.inputs import WorkflowError
from mlops.core.config import load_params
from mlops.core.errors import DataError
from mlops.monitor.retrain import monitor_batch, month_after, pr_body, retrain_pr, set_until_month
from support.repos import ROOT

DOCUMENT = {
    "verdict": "retrain",
    "reasons": [{"kind": "input_drift"}, {"kind": "decay"}],
    "current": {"newest_month": "2025-07"},
}
CHANGE = {"before": "2025-06", "month": "2025-07", "rows": 4171, "total": 28581}


def test_month_after():
    assert month_after("2025-06") == "2025-07"
    assert month_after("2025-12") == "2026-01"


def test_until_month_is_edited_as_text_and_checked(tmp_path):
    path = tmp_path / "params.yaml"
    shutil.copy(ROOT / "params.yaml", path)
    before = path.read_text()
    assert set_until_month(path, "2025-09") == "2025-06"
    after = path.read_text()
    assert load_params(path).ingest.until_month == "2025-09"
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 1  # one line; every comment of params.yaml stays
    assert changed[0][1].startswith('  until_month: "2025-09"               # keep only rows')
    path.write_text(after.replace('  until_month: "2025-09"', "  until_month: null"))
    assert set_until_month(path, "2025-10") == "null"
    path.write_text(before.replace("  until_month:", "  # until_month:"))
    with pytest.raises(DataError, match="expected one `  until_month: <YYYY-MM or null>` line"):
        set_until_month(path, "2025-10")


def test_the_pr_body_says_what_to_click_unless_an_app_opened_it():
    body = pr_body(DOCUMENT, "## Monitor report\n", CHANGE, "monitor/retrain", False, "none")
    assert "appends the months after 2025-06 up to **2025-07**" in body
    assert "+4,171 rows, 28,581 in all" in body
    assert "Approve workflows to run" in body
    assert "simulated" not in body
    assert body.endswith("## Monitor report\n")
    app = pr_body(DOCUMENT, "## Monitor report\n", CHANGE, "monitor/retrain", True, "prior")
    assert "Approve workflows to run" not in app
    assert "checks start by themselves" in app
    assert "**simulated** (`prior` scenario" in app
    huge = pr_body(DOCUMENT, "x\n" * 40_000, CHANGE, "monitor/retrain", False, "none")
    assert len(huge) <= 65_536
    assert "`monitor-report` artifact" in huge


def test_the_batch_step_takes_the_month_after_the_snapshot(params, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data/snapshot.csv").write_text("row_id,month\n1,2025-05\n2,2025-06\n")
    env = {"GITHUB_OUTPUT": str(tmp_path / "out")}
    line = monitor_batch(params, env, tmp_path)
    assert line.startswith("monitor-batch: 4171 rows of 2025-07 (none) in build/monitor/batch.csv")
    assert (tmp_path / "out").read_text() == "month=2025-07\n"
    assert (tmp_path / "build/monitor/batch.csv").exists()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MONITOR_MONTH": "July"}, "MONITOR_MONTH 'July' is not a month"),
        ({"MONITOR_SCENARIO": "chaos"}, "MONITOR_SCENARIO 'chaos': expected one of none,"),
        ({}, "data/snapshot.csv: not found; run `make data`"),
    ],
)
def test_the_batch_step_refuses_bad_inputs(params, tmp_path, env, message):
    with pytest.raises((WorkflowError, DataError), match=message):
        monitor_batch(params, env, tmp_path)


def test_no_retrain_verdict_no_pr_and_refusals(params, tmp_path):
    (tmp_path / "reports").mkdir()
    verdict = tmp_path / "reports/monitor.json"
    verdict.write_text(json.dumps({"retrain": False, "verdict": "no drift"}))
    assert retrain_pr(params, {}, tmp_path) == "retrain-pr: verdict 'no drift': no retraining PR"
    verdict.write_text(json.dumps(DOCUMENT | {"retrain": True}))
    with pytest.raises(WorkflowError, match="GITHUB_REPOSITORY is not set"):
        retrain_pr(params, {}, tmp_path)
    env = {"GITHUB_REPOSITORY": "acme/models", "GITHUB_TOKEN": "t", "GITHUB_REF_NAME": "main"}
    with pytest.raises(WorkflowError, match="runs on monitor/retrain, its own retraining branch"):
        retrain_pr(params, env | {"GITHUB_REF_NAME": "monitor/retrain"}, tmp_path)
    with pytest.raises(WorkflowError, match=r"GITHUB_REF_NAME 'a\.\.b' is not a branch name"):
        retrain_pr(params, env | {"GITHUB_REF_NAME": "a..b"}, tmp_path)
    old = DOCUMENT | {"retrain": True, "current": {"newest_month": "2025-03"}}
    verdict.write_text(json.dumps(old))
    with pytest.raises(
        DataError, match=r"nothing to append: ingest\.until_month is already 2025-06"
    ):
        retrain_pr(params, env, tmp_path)
