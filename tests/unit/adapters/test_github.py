"""The GitHub adapter's pull-request calls, against the recording `gh` stand-in of the
workflow tests (tests/fixtures/act): what would have been sent, and what comes back."""

from __future__ import annotations

import json
import os

import pytest

from mlops.adapters import github
from support.repos import ROOT

STUBS = ROOT / "tests" / "fixtures" / "act"


@pytest.fixture
def gh(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{STUBS / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("ACT_RECORD", str(tmp_path / "record"))
    monkeypatch.setenv("ACT_STUBS", str(STUBS))
    monkeypatch.setenv("STUB_PULLS", str(tmp_path / "pulls.json"))
    return tmp_path / "record"


def test_open_then_find_then_update_a_pull_request(gh) -> None:
    assert github.open_pulls("acme/models", "monitor/retrain", "tok") == []
    opened = github.create_pull("acme/models", "monitor/retrain", "main", "T", "body 1", "tok")
    assert opened["number"] == 1
    assert opened["html_url"] == "https://github.com/acme/models/pull/1"
    (found,) = github.open_pulls("acme/models", "monitor/retrain", "tok")
    assert found["number"] == 1
    assert github.open_pulls("acme/models", "other", "tok") == []
    github.update_pull("acme/models", 1, "T2", "body 2", "tok")
    sent = json.loads((gh / "pulls/PATCH-1.json").read_text())
    assert sent == {"title": "T2", "body": "body 2"}
    calls = [json.loads(line) for line in (gh / "calls.jsonl").read_text().splitlines()]
    assert all(c["tokens"]["GH_TOKEN"] for c in calls)  # the token of each command
    assert calls[0]["argv"] == [
        "api", "--method", "GET", "repos/acme/models/pulls",
        "-f", "head=acme:monitor/retrain", "-f", "state=open",
    ]  # fmt: skip


def test_bad_repository_and_failing_calls(gh) -> None:
    with pytest.raises(github.GitHubError, match="is not owner/name"):
        github.open_pulls("acme/models; rm -rf /", "b", "tok")
    with pytest.raises(github.GitHubError, match="pulls/9: gh stub: HTTP 404"):
        github.update_pull("acme/models", 9, "T", "B", "tok")  # no such PR: gh fails
