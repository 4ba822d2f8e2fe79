"""The GitHub adapter with recording stand-ins for `gh` and `cml` (tests/fixtures/act):
the exact commands GitHub would receive, inputs checked before any call, one-line
errors when a tool is missing or fails, step outputs for Actions, and the pull-request
calls (what would have been sent, and what comes back)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlops.adapters import github
from support.recording import calls
from support.repos import ROOT


def test_pr_head_is_asked_of_the_api_and_lowercased(recording: Path, monkeypatch):
    monkeypatch.setenv("STUB_PR_HEAD_SHA", "ABCDEF" + "0" * 34)
    assert github.pr_head_sha("acme/models", 7) == "abcdef" + "0" * 34
    (call,) = calls(recording)
    assert call["tool"] == "gh"
    assert call["argv"] == [
        "api", "--method", "GET", "repos/acme/models/pulls/7", "--jq", ".head.sha"
    ]  # fmt: skip


@pytest.mark.parametrize("repository", ["acme", "acme/models/x", "acme/mo dels", "a;b/c", ""])
def test_a_malformed_repository_is_refused_before_any_call(recording: Path, repository: str):
    with pytest.raises(github.GitHubError, match="is not owner/name"):
        github.pr_head_sha(repository, 7)
    assert calls(recording) == []


def test_release_create_sends_the_tag_title_notes_and_assets(recording: Path, tmp_path: Path):
    notes, asset = tmp_path / "card.md", tmp_path / "model-v1.0.0.skops"
    notes.write_text("# card\n")
    asset.write_bytes(b"model")
    out = github.release_create("model@v1.0.0", "model v1.0.0", notes, [asset, notes])
    assert out == "https://github.com/acme/models/releases/tag/model@v1.0.0"
    (call,) = calls(recording)
    assert call["argv"] == [
        "release", "create", "model@v1.0.0", "--verify-tag", "--title", "model v1.0.0",
        "--notes-file", str(notes), str(asset), str(notes),
    ]  # fmt: skip
    sent = recording / "releases" / "model@v1.0.0"
    assert (sent / "model-v1.0.0.skops").read_bytes() == b"model"


def test_a_comment_is_created_then_edited_through_the_api(recording: Path):
    comment = github.comment_create("acme/models", 12, "<!-- marker -->\n**Gate: PASSED**")
    github.comment_update("acme/models", comment, "<!-- marker -->\n**Gate: FAILED**")
    (listed,) = github.pr_comments("acme/models", 12)
    assert (listed["id"], listed["login"]) == (comment, "github-actions[bot]")
    assert listed["body"].endswith("**Gate: FAILED**")
    create, edit, _ = calls(recording)
    assert create["argv"][:4] == ["api", "--method", "POST", "repos/acme/models/issues/12/comments"]
    assert edit["argv"][:4] == [
        "api",
        "--method",
        "PATCH",
        f"repos/acme/models/issues/comments/{comment}",
    ]


def test_a_failing_call_is_one_line_ending_with_the_tools_message(recording: Path, monkeypatch):
    monkeypatch.delenv("STUB_PR_HEAD_SHA", raising=False)  # the stand-in fails without it
    with pytest.raises(github.GitHubError) as info:
        github.pr_head_sha("acme/models", 7)
    message = str(info.value)
    assert message.startswith("gh api GET repos/acme/models/pulls/7: ")
    assert message.endswith("KeyError: 'STUB_PR_HEAD_SHA'")  # a multi-line traceback, joined
    assert "\n" not in message
    assert len(message) <= len("gh api GET repos/acme/models/pulls/7: ") + 300


def test_a_missing_tool_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no gh
    with pytest.raises(github.GitHubError, match="`gh` not found on PATH; it is preinstalled"):
        github.release_create("t", "t", tmp_path / "n.md", [])
    with pytest.raises(github.GitHubError, match="`gh` not found on PATH; it is preinstalled"):
        github.api("repos/acme/models/statuses/" + "a" * 40, "POST", {"state": "success"})


def test_step_outputs_are_appended_only_inside_actions(tmp_path: Path):
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n")
    github.set_output("version", "v1.2.0", {"GITHUB_OUTPUT": str(output)})
    assert output.read_text() == "earlier=1\nversion=v1.2.0\n"
    github.set_output("version", "v1.2.0", {})  # outside Actions: nothing to write, no error
    assert output.read_text() == "earlier=1\nversion=v1.2.0\n"


# --- pull requests (the monitor's retraining PR) ---------------------------------------

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
