"""The git adapter: the token travels only as a header, through git's environment (never
on a command line, where any process on the runner could read it)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlops.adapters import git
from support.repos import git as run_git


def test_the_token_is_a_basic_auth_header_for_https_remotes_only() -> None:
    config = git.auth_config("https://github.com/acme/models", "tok")
    ((key, value),) = config.items()
    assert key == "http.https://github.com/.extraheader"
    assert value.startswith("AUTHORIZATION: basic ")
    assert "tok" not in value  # base64, as actions/checkout sends it
    assert git.auth_config("/srv/origin.git", "tok") == {}
    assert git.auth_config("https://github.com/acme/models", "") == {}


def test_settings_reach_git_through_the_environment_not_argv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_git(tmp_path, "init", "-q")
    seen = git.git(tmp_path, "config", "--get", "mlops.secret", config={"mlops.secret": "s3cr3t"})
    assert seen.stdout.strip() == "s3cr3t"  # git read it

    calls: list[tuple[list[str], dict[str, str] | None]] = []
    real = subprocess.run

    def spy(args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append((list(args), kwargs.get("env")))
        return real(args, **kwargs)

    monkeypatch.setattr(git.subprocess, "run", spy)
    run_git(tmp_path, "remote", "add", "origin", "https://127.0.0.1:9/acme/models.git")
    with pytest.raises(git.GitError) as failed:
        git.push_tags(tmp_path, ["model@v1.0.0"], token="ghs_token123")  # nothing listens
    (argv, env), *_ = [c for c in calls if "push" in c[0]]
    assert not any("ghs_token123" in a or "extraheader" in a for a in argv)
    assert env is not None
    assert env["GIT_CONFIG_COUNT"] == "1"
    assert "ghs_token123" not in str(failed.value)


def test_commit_on_a_branch_and_force_push_it(tmp_path) -> None:
    bare, repo = tmp_path / "origin.git", tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    repo.mkdir()
    run_git(repo, "init", "-q", "-b", "main")
    (repo / "a.txt").write_text("1\n")
    (repo / "untracked.txt").write_text("x\n")
    run_git(repo, "add", "a.txt")
    run_git(repo, "commit", "-q", "-m", "first")
    with pytest.raises(git.GitError, match="no remote 'origin'"):
        git.push_branch(repo, "bot/branch")
    run_git(repo, "remote", "add", "origin", str(bare))

    git.checkout_branch(repo, "bot/branch")
    assert git.commit_tracked(repo, ["a.txt"], "nothing changed", ("Bot", "bot@x")) is None
    (repo / "a.txt").write_text("2\n")
    sha = git.commit_tracked(repo, ["a.txt", "untracked.txt"], "second", ("Bot", "bot@x"))
    assert sha == git.head(repo)
    assert run_git(repo, "log", "-1", "--format=%an <%ae> %s") == "Bot <bot@x> second"
    assert run_git(repo, "show", "--name-only", "--format=", "HEAD") == "a.txt"  # tracked only
    git.push_branch(repo, "bot/branch")
    # rebuilt from main and pushed again: the branch follows (force)
    run_git(repo, "checkout", "-q", "main")
    git.checkout_branch(repo, "bot/branch")
    (repo / "a.txt").write_text("3\n")
    again = git.commit_tracked(repo, ["a.txt"], "third", ("Bot", "bot@x"))
    git.push_branch(repo, "bot/branch")
    assert run_git(repo, "ls-remote", "origin", "refs/heads/bot/branch").split()[0] == again
