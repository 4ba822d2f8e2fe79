"""The PR comment: composed from the report, its folder validated as untrusted data,
the PR head checked with GitHub, then created or updated through GitHub's API: exactly
one comment, ours, whatever else the PR holds (the recording `gh` stand-in simulates
GitHub's pages of 30 comments and refuses edits of other people's comments)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops.ci.comment import MARKER, compose_comment, post_comment, read_comment, upsert_comment
from mlops.ci.inputs import WorkflowError
from mlops.core.markdown import GITHUB_COMMENT_LIMIT
from support.recording import calls

SHA = "a" * 40


def compose(tmp_path: Path, report: str, **env: str) -> Path:
    (tmp_path / "report.md").write_text(report)
    return compose_comment(
        {"PR_NUMBER": "7", "HEAD_SHA": SHA, **env},
        report=tmp_path / "report.md", gate_json=tmp_path / "gate.json", out_dir=tmp_path / "c",
    )  # fmt: skip


def test_compose_writes_body_and_meta(tmp_path: Path) -> None:
    body = compose(tmp_path, "**Gate: PASSED**\n\n| metric | a |\n").read_text()
    assert body.startswith(f"{MARKER}\n**Gate: PASSED**")
    assert "advisory" in body
    assert "`Promotion gate` status" in body
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
        ({"pr": 7, "head_sha": "b" * 40}, "refusing it"),
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


def test_post_checks_the_pr_head_with_github_then_creates_the_comment(
    tmp_path: Path, recording: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = untrusted(tmp_path, {"pr": 7, "head_sha": SHA}, body="**Gate: FAILED**")
    monkeypatch.setenv("STUB_PR_HEAD_SHA", SHA)
    env = {"COMMENT_DIR": str(folder), "EXPECTED_HEAD_SHA": SHA, "VERIFY_PR_HEAD": "true"}
    message = post_comment({**env, "GITHUB_REPOSITORY": "acme/models"}, folder)
    assert "created comment" in message
    assert "PR #7" in message
    lookup, listing, create = calls(recording)
    assert lookup["argv"] == [
        "api", "--method", "GET", "repos/acme/models/pulls/7", "--jq", ".head.sha"
    ]  # fmt: skip
    assert listing["argv"][:5] == [
        "api", "--method", "GET", "repos/acme/models/issues/7/comments", "--paginate"
    ]  # fmt: skip
    assert create["argv"][:4] == ["api", "--method", "POST", "repos/acme/models/issues/7/comments"]
    assert "--input" in create["argv"]  # the body travels in a file, never as an argument
    (only,) = comments(recording)
    assert only["body"] == f"{MARKER}\n**Gate: FAILED**"

    monkeypatch.setenv("STUB_PR_HEAD_SHA", "c" * 40)  # the PR moved on: stale report
    with pytest.raises(WorkflowError, match="refusing"):
        post_comment({**env, "GITHUB_REPOSITORY": "acme/models"}, folder)
    assert len(calls(recording)) == 4  # one more lookup, nothing posted


def comments(record: Path) -> list[dict]:
    path = record / "github" / "comments.json"
    return json.loads(path.read_text())["comments"] if path.exists() else []


def seed(record: Path, bodies: list[tuple[str, str]]) -> None:
    """A PR's existing comments, oldest first: (author, body)."""
    (record / "github").mkdir(parents=True)
    store = {
        "next_id": 5000,
        "comments": [
            {"id": 100 + i, "user": {"login": who, "type": "User"}, "body": body}
            for i, (who, body) in enumerate(bodies)
        ],
    }
    (record / "github" / "comments.json").write_text(json.dumps(store))


def test_one_comment_on_a_busy_pr_with_an_impostor_ours_updated_in_place(recording: Path) -> None:
    """40 comments: ours is the 35th (past GitHub's first page of 30) and someone else's
    comment, newer, carries our marker. CML would post a second comment, or edit the
    impostor; ours is updated and nothing else changes."""
    bodies = [(f"user{i}", f"comment {i}") for i in range(40)]
    bodies[34] = ("github-actions[bot]", f"{MARKER}\nold report")
    bodies[38] = ("mallory", f"{MARKER}\n**Gate: PASSED** (trust me)")
    seed(recording, bodies)
    before = comments(recording)

    message = upsert_comment("acme/models", 7, "new report", "github-actions[bot]")
    assert "updated comment 134" in message
    assert "1 comment(s) by others" in message
    after = comments(recording)
    assert len(after) == 40
    changed = [(a["id"], b["body"]) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [(134, f"{MARKER}\nnew report")]
    ours = [c for c in after if c["user"]["login"] == "github-actions[bot]"]
    assert [c["id"] for c in ours] == [134]


def test_duplicates_of_ours_are_deleted_and_the_oldest_kept(recording: Path) -> None:
    seed(recording, [
        ("github-actions[bot]", f"{MARKER}\nfirst"), ("alice", "lgtm"),
        ("github-actions[bot]", f"{MARKER}\nraced"), ("github-actions[bot]", "other bot note"),
    ])  # fmt: skip
    upsert_comment("acme/models", 7, f"{MARKER}\nnew", "github-actions[bot]")
    assert [(c["id"], c["body"]) for c in comments(recording)] == [
        (100, f"{MARKER}\nnew"), (101, "lgtm"), (103, "other bot note"),
    ]  # fmt: skip
