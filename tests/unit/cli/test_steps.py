"""The env-driven workflow steps: a table with help for each, and steps that need only
the `paths:` block of params.yaml, so a PR that breaks the rest still gets its verdict
and its comment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mlops.cli import main
from mlops.cli.steps import STEPS
from support.repos import ROOT

SHA = "b" * 40


def test_every_step_has_one_line_of_help():
    assert set(STEPS) >= {"repro", "verdict", "comment-compose", "comment-post", "register",
                          "assign", "rollback"}  # fmt: skip
    for name, (handler, help_text) in STEPS.items():
        assert callable(handler), name
        assert help_text.strip(), name
        assert "\n" not in help_text, name


@pytest.fixture
def broken_pr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PR whose params.yaml has a typo outside `paths:`, and whose gate failed."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["train"]["sed"] = 42  # a typo
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "gate.json").write_text(
        json.dumps({"decision": "fail", "failed": ["x"]})
    )
    (tmp_path / "reports" / "report.md").write_text("**Gate: FAILED** against main\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_steps_run_with_a_params_file_that_only_has_valid_paths(broken_pr, capsys, monkeypatch):
    assert main(["check-params"]) == 2  # the stages refuse it ...
    assert "train.sed: unknown key" in capsys.readouterr().err
    assert main(["verdict"]) == 1  # ... the steps still report the gate's decision
    assert capsys.readouterr().out.strip() == "gate: FAIL: x failed"
    monkeypatch.setenv("PR_NUMBER", "12")
    monkeypatch.setenv("HEAD_SHA", SHA)
    assert main(["comment-compose"]) == 0
    assert capsys.readouterr().out.strip() == "comment-compose: wrote reports/comment/body.md"
    meta = json.loads((broken_pr / "reports/comment/meta.json").read_text())
    assert meta == {"pr": 12, "head_sha": SHA}
    body = (broken_pr / "reports/comment/body.md").read_text()
    assert body.startswith("<!-- mlops-pr-report -->\n**Gate: FAILED**")  # marker, verdict


def test_steps_read_the_paths_of_the_given_params_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["paths"]["gate"] = "elsewhere/decision.json"
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump({"paths": raw["paths"]}))
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere/decision.json").write_text(json.dumps({"decision": "pass"}))
    assert main(["--params", "mine.yaml", "verdict"]) == 0
    assert main(["verdict"]) == 2  # no params.yaml here
    assert "params.yaml: file not found" in capsys.readouterr().err


def test_a_broken_paths_block_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text("paths:\n  gate: reports/gate.json\n")
    assert main(["verdict"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlops verdict: error: params.yaml: paths.")
    assert err.count("\n") == 1
