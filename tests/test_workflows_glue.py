"""The Python behind the workflow steps: comment validation, verdict, GTO promotion and
rollback, tag pushing, DVC remote detection and the release's model card."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import GIT_IDENTITY, ROOT, VENV_BIN, git
from mlops import github, registry, release
from mlops.config import load_params

SHA = "a" * 40
STUB_BIN = ROOT / "tests" / "fixtures" / "act" / "bin"


# --- verdict ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        ({"decision": "pass", "failed": []}, 0, "PASS"),
        ({"decision": "fail", "failed": ["non_inferiority:roc_auc"]}, 1, "roc_auc"),
        ({"decision": "error"}, 2, "'error'"),
        ("not json", 2, "unreadable"),
        (None, 2, "not found"),
    ],
)
def test_verdict_exit_codes(tmp_path: Path, content: object, code: int, words: str) -> None:
    path = tmp_path / "gate.json"
    if content is not None:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    got_code, line = github.verdict(path)
    assert got_code == code
    assert words in line


# --- the comment -----------------------------------------------------------------------


def compose(tmp_path: Path, report: str, **env: str) -> Path:
    (tmp_path / "report.md").write_text(report)
    return github.compose_comment(
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
    with pytest.raises(github.WorkflowError, match=message):
        compose(tmp_path, "x", **{name: value})


def test_a_huge_report_is_cut_to_one_comment_without_an_open_code_block(tmp_path: Path) -> None:
    report = "# r\n```mermaid\n" + "line of chart data\n" * 10_000
    body = compose(tmp_path, report).read_text()
    assert len(body) <= github.COMMENT_LIMIT - 300
    assert body.count("```") % 2 == 0
    assert "Truncated" in body


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
    with pytest.raises(github.WorkflowError, match=message):
        github.read_comment(folder, SHA)


def test_untrusted_oversized_or_symlinked_body_is_refused(tmp_path: Path) -> None:
    folder = untrusted(tmp_path, {"pr": 7, "head_sha": SHA}, body="x" * 70_000)
    with pytest.raises(github.WorkflowError, match="over GitHub"):
        github.read_comment(folder, SHA)
    (folder / "body.md").unlink()
    (folder / "body.md").symlink_to("/etc/passwd")
    with pytest.raises(github.WorkflowError, match="not a regular file"):
        github.read_comment(folder, SHA)


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
    message = github.post_comment({**env, "GITHUB_REPOSITORY": "acme/models"})
    assert "PR #7" in message
    lookup, post = calls(recording)
    assert lookup["argv"] == ["api", "repos/acme/models/pulls/7", "--jq", ".head.sha"]
    assert post["argv"] == [
        "comment", "update", "--target=pr/7", "--watermark-title=mlops PR report",
        "--no-publish", str(folder / "body.md"),
    ]  # fmt: skip

    monkeypatch.setenv("STUB_PR_HEAD_SHA", "c" * 40)  # the PR moved on: stale report
    with pytest.raises(github.WorkflowError, match="refusing"):
        github.post_comment({**env, "GITHUB_REPOSITORY": "acme/models"})
    assert len(calls(recording)) == 3  # one more lookup, no more posts


# --- DVC remote detection --------------------------------------------------------------


def test_repro_pulls_only_when_the_remote_can_hold_data(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    dvc = str(VENV_BIN / "dvc")
    subprocess.run([dvc, "init", "-q"], cwd=repo, check=True)
    assert github.repro_command(repo) == ["dvc", "repro"]  # no remote
    subprocess.run([dvc, "remote", "add", "-d", "store", "../storage"], cwd=repo, check=True)
    assert github.usable_remote(repo) is None  # a local folder that does not exist (CI)
    (tmp_path / "storage").mkdir()
    assert github.repro_command(repo) == ["dvc", "repro", "--pull", "--allow-missing"]
    subprocess.run([dvc, "remote", "add", "-d", "s3", "s3://bucket/x"], cwd=repo, check=True)
    assert github.usable_remote(repo) == "s3"


# --- GTO: register, assign, rollback, push ---------------------------------------------


def commit(repo: Path, message: str) -> str:
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def gto_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(repo, bare origin) with the project's dvc.yaml, so GTO knows the artifact."""
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    repo, bare = tmp_path / "repo", tmp_path / "origin.git"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "dvc.yaml").write_text((ROOT / "dvc.yaml").read_text())
    git(repo, "add", "dvc.yaml")
    commit(repo, "first model")
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "origin", "main")
    return repo, bare


def prod(repo: Path) -> str | None:
    found = registry.prod_version(repo)
    return found[0] if found else None


def test_register_is_idempotent_and_bumps_minor(gto_repo: tuple[Path, Path]) -> None:
    repo, _ = gto_repo
    assert registry.register(repo) == ("v1.0.0", ["model@v1.0.0"])
    assert registry.register(repo) == ("v1.0.0", [])  # a rerun of the same workflow
    commit(repo, "second model")
    assert registry.register(repo) == ("v1.1.0", ["model@v1.1.0"])


def test_assign_validates_and_rollback_restores_an_earlier_version(
    gto_repo: tuple[Path, Path],
) -> None:
    repo, bare = gto_repo
    first, _ = registry.register(repo)
    tags = registry.assign("staging", first, repo) + registry.assign("prod", first, repo)
    assert tags == ["model#staging#1", "model#prod#2"]
    assert registry.assign("prod", first, repo) == []  # already there
    commit(repo, "second model")
    second, _ = registry.register(repo)
    registry.assign("prod", second, repo)
    assert prod(repo) == second

    for bad in ("v9.9.9", "1.0.0", "v1.0.0; git push --delete origin main", ""):
        with pytest.raises(registry.RegistryError):
            registry.rollback(bad, repo)
    with pytest.raises(registry.RegistryError, match="already in prod"):
        registry.rollback(second, repo)

    created = registry.rollback(first, repo)
    assert prod(repo) == first
    assert registry.in_stage("prod", repo) == [first]
    github.push_tags(created, repo, env={})
    pushed = subprocess.run(["git", "tag"], cwd=bare, capture_output=True, text=True).stdout
    assert set(created) <= set(pushed.split())

    time.sleep(1.1)  # GTO orders events by their second: a roll forward in the same
    registry.rollback(second, repo)  # second as the unassignment would be ambiguous
    assert prod(repo) == second
    assert registry.in_stage("prod", repo) == [second]


def test_push_sends_the_token_only_as_a_header_for_https_remotes() -> None:
    config = github.auth_config("https://github.com/acme/models", "tok")
    assert config[0] == "-c"
    assert config[1].startswith("http.https://github.com/.extraheader=AUTHORIZATION: basic ")
    assert "tok" not in config[1]  # base64, as actions/checkout sends it
    assert github.auth_config("/srv/origin.git", "tok") == []
    assert github.auth_config("https://github.com/acme/models", "") == []


# --- the release -----------------------------------------------------------------------


def test_release_assets_and_model_card(
    pipeline_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = load_params(pipeline_repo / "params.yaml")
    monkeypatch.chdir(pipeline_repo)
    assets = release.build(params, "v1.2.0", SHA, tmp_path / "release")
    names = [a.name for a in assets]
    assert names == ["model-v1.2.0.skops", "metrics.json", "slices.json", "runtime.json",
                     "model-card.md"]  # fmt: skip
    card = assets[-1].read_text()
    metrics = json.loads(Path(params.paths.metrics).read_text())
    assert card.startswith("# Model card: model v1.2.0")
    assert f"| roc_auc | {metrics['roc_auc']:.4f} |" in card
    assert "### sex" in card
    assert "SIMULATED" in card
    with pytest.raises(release.ReleaseError, match=r"v1\.2\.3"):
        release.build(params, "latest", SHA, tmp_path / "bad")
