"""The git adapter: the token travels only as a one-command header."""

from __future__ import annotations

import subprocess

import pytest

from mlops.adapters import git
from support.repos import git as run_git


def test_push_sends_the_token_only_as_a_header_for_https_remotes() -> None:
    config = git.auth_config("https://github.com/acme/models", "tok")
    assert config[0] == "-c"
    assert config[1].startswith("http.https://github.com/.extraheader=AUTHORIZATION: basic ")
    assert "tok" not in config[1]  # base64, as actions/checkout sends it
    assert git.auth_config("/srv/origin.git", "tok") == []
    assert git.auth_config("https://github.com/acme/models", "") == []


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
