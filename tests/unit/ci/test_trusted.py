"""The trusted gate's glue: whatever stops a decision still ends in a `Promotion gate`
status on the PR's head (state error, the reason in the description), never in silence.
The full judgement runs under act (tests/workflows/test_act.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlops.ci.inputs import WorkflowError
from mlops.ci.trusted import CONTEXT, describe, trusted_gate
from support.repos import ROOT, copy_repo, git, run

HEAD = "d" * 40
STUB_BIN = ROOT / "tests" / "fixtures" / "act" / "bin"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("checkout")
    git(repo, "init", "-q", "-b", "main")
    run(["dvc", "init", "-q"], repo)
    git(repo, "commit", "-q", "-m", "dvc")
    return repo


@pytest.fixture
def workspace(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A default-branch checkout (git + DVC) and the recording `gh` first on PATH."""
    repo = copy_repo(template, tmp_path / "repo")
    monkeypatch.setenv("PATH", f"{STUB_BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("ACT_RECORD", str(tmp_path / "record"))
    monkeypatch.setenv("ACT_STUBS", str(STUB_BIN.parent))
    return repo


def statuses(workspace: Path) -> list[dict]:
    path = workspace.parent / "record" / "github" / "statuses.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_failed_pr_run_without_a_model_gets_an_error_status(params, workspace: Path) -> None:
    env = {
        "GITHUB_REPOSITORY": "acme/models", "HEAD_SHA": HEAD, "RUN_CONCLUSION": "failure",
        "CANDIDATE_DIR": str(workspace / "missing"),
        "TARGET_URL": "https://github.com/acme/models/actions/runs/1",
    }  # fmt: skip
    with pytest.raises(WorkflowError, match=r"\(conclusion: failure\) uploaded no model"):
        trusted_gate(params, env, str(workspace))
    (status,) = statuses(workspace)
    assert status["sha"] == HEAD
    assert status["context"] == CONTEXT == "Promotion gate"
    assert status["state"] == "error"
    assert "uploaded no model" in status["description"]
    assert len(status["description"]) <= 140
    assert status["target_url"] == env["TARGET_URL"]
    gate = json.loads((workspace / params.paths.gate).read_text())
    assert gate["decision"] == "error"


def test_a_candidate_for_another_commit_is_refused(params, workspace: Path) -> None:
    candidate = workspace / "candidate"
    meta = candidate / params.paths.comment / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"pr": 7, "head_sha": "e" * 40}))
    env = {"GITHUB_REPOSITORY": "acme/models", "HEAD_SHA": HEAD, "CANDIDATE_DIR": str(candidate)}
    with pytest.raises(WorkflowError, match="not the triggering run's"):
        trusted_gate(params, env, str(workspace))
    assert [s["state"] for s in statuses(workspace)] == ["error"]


def test_the_description_is_the_verdict_in_brief() -> None:
    refused = {"decision": "fail", "rules": [{"detail": "model file 9 bytes; at most 1"}]}
    assert describe(refused) == "FAIL: model file 9 bytes; at most 1"
    judged = {
        "decision": "fail", "failed": ["non_inferiority:roc_auc"], "rules": [{}, {}],
        "champion": {"label": "main", "commit": "a" * 40, "model": "DVC cache"},
        "policy_changed": True, "policy": {"base": {}, "base_revision": {"label": "main"}},
    }  # fmt: skip
    line = describe(judged)
    assert line.startswith("FAIL vs main (aaaaaaa); the PR changes the policy")
    assert "non_inferiority:roc_auc" in line
    assert "judged under main's" in line
