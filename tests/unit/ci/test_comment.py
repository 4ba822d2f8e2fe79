"""The PR comment: composed from the report, its folder validated as untrusted data,
the PR head checked with GitHub, then posted with CML (recording stand-ins here)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlops.ci.comment import compose_comment, post_comment, read_comment
from mlops.ci.inputs import WorkflowError
from mlops.core.markdown import GITHUB_COMMENT_LIMIT
from support.repos import ROOT

SHA = "a" * 40
STUB_BIN = ROOT / "tests" / "fixtures" / "act" / "bin"


def compose(tmp_path: Path, report: str, **env: str) -> Path:
    (tmp_path / "report.md").write_text(report)
    return compose_comment(
        {"PR_NUMBER": "7", "HEAD_SHA": SHA, **env},
        report=tmp_path / "report.md", gate_json=tmp_path / "gate.json", out_dir=tmp_path / "c",
    )  # fmt: skip


def test_compose_writes_body_and_meta(tmp_path: Path) -> None:
    body = compose(tmp_path, "**Gate: PASSED**\n\n| metric | a |\n")
    assert body.read_text().startswith("**Gate: PASSED**")
    assert json.loads((tmp_path / "c" / "meta.json").read_text()) == {"pr": 7, "head_sha": SHA}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("PR_NUMBER", "7; rm -rf /", "not a positive integer"), ("HEAD_SHA", "main", "HEAD_SHA")],
)
def test_compose_rejects_bad_context(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(WorkflowError, match=message):
        compose(tmp_path, "x", **{name: value})


def test_a_huge_report_is_cut_to_one_comment_without_an_open_code_block(tmp_path: Path) -> None:
    report = "# r\n```mermaid\n" + "line of chart data\n" * 10_000
    body = compose(tmp_path, report).read_text()
    assert len(body) <= GITHUB_COMMENT_LIMIT - 300
    assert body.count("```") % 2 == 0
    assert "truncated" in body.lower()


def untrusted(tmp_path: Path, meta: object, body: str = "report") -> Path:
    folder = tmp_path / "untrusted"
    folder.mkdir()
    (folder / "meta.json").write_text(meta if isinstance(meta, str) else json.dumps(meta))
    (folder / "body.md").write_text(body)
    return folder


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"pr": 7, "head_sha": "b" * 40}, "refusing to post"),
        ({"pr": "7", "head_sha": SHA}, "integer"),
        ({"pr": True, "head_sha": SHA}, "integer"),
        ({"pr": -1, "head_sha": SHA}, "positive"),
        ({"pr": 7, "head_sha": SHA, "run": "x"}, "exactly the keys"),
        ("{not json", "not valid JSON"),
    ],
)
def test_untrusted_comment_metadata_is_refused(tmp_path: Path, meta: object, message: str) -> None:
    folder = untrusted(tmp_path, meta)
    with pytest.raises(WorkflowError, match=message):
        read_comment(folder, SHA)


def test_untrusted_oversized_or_symlinked_body_is_refused(tmp_path: Path) -> None:
    folder = untrusted(tmp_path, {"pr": 7, "head_sha": SHA}, body="x" * 70_000)
    with pytest.raises(WorkflowError, match="over GitHub"):
        read_comment(folder, SHA)
    (folder / "body.md").unlink()
    (folder / "body.md").symlink_to("/etc/passwd")
    with pytest.raises(WorkflowError, match="not a regular file"):
        read_comment(folder, SHA)


@pytest.fixture
def recording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The recording `cml`/`gh` stand-ins first on PATH; returns the record folder."""
    record = tmp_path / "record"
    monkeypatch.setenv("PATH", f"{STUB_BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("ACT_RECORD", str(record))
    monkeypatch.setenv("ACT_STUBS", str(STUB_BIN.parent))
    return record


def calls(record: Path) -> list[dict]:
    path = record / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_post_checks_the_pr_head_with_github_then_posts_with_cml(
    tmp_path: Path, recording: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = untrusted(tmp_path, {"pr": 7, "head_sha": SHA}, body="**Gate: FAILED**")
    monkeypatch.setenv("STUB_PR_HEAD_SHA", SHA)
    env = {"COMMENT_DIR": str(folder), "EXPECTED_HEAD_SHA": SHA, "VERIFY_PR_HEAD": "true"}
    message = post_comment({**env, "GITHUB_REPOSITORY": "acme/models"}, folder)
    assert "PR #7" in message
    lookup, post = calls(recording)
    assert lookup["argv"] == ["api", "repos/acme/models/pulls/7", "--jq", ".head.sha"]
    assert post["argv"] == [
        "comment", "update", "--target=pr/7", "--watermark-title=mlops PR report",
        "--no-publish", str(folder / "body.md"),
    ]  # fmt: skip

    monkeypatch.setenv("STUB_PR_HEAD_SHA", "c" * 40)  # the PR moved on: stale report
    with pytest.raises(WorkflowError, match="refusing"):
        post_comment({**env, "GITHUB_REPOSITORY": "acme/models"}, folder)
    assert len(calls(recording)) == 3  # one more lookup, no more posts
