"""Promotion and rollback with GTO on real git repositories: register, assign, rollback,
and the tags pushed to a bare `origin`."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from mlops.adapters import git
from mlops.registry import versions as registry
from support.repos import GIT_IDENTITY, commit, repo_with_origin
from support.repos import git as run_git


def passing(repo: Path) -> dict:
    """The promotion run's gate.json for HEAD: pass."""
    head = run_git(repo, "rev-parse", "HEAD")
    return {"decision": "pass", "challenger": {"commit": head}, "champion": {}}


@pytest.fixture
def gto_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(repo, bare origin) with the project's dvc.yaml, so GTO knows the artifact."""
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    return repo_with_origin(tmp_path)


def prod(repo: Path) -> str | None:
    found = registry.prod_version(repo)
    return found[0] if found else None


def test_register_is_idempotent_and_bumps_minor(gto_repo: tuple[Path, Path]) -> None:
    repo, _ = gto_repo
    assert registry.register(repo, gate=passing(repo)) == ("v1.0.0", ["model@v1.0.0"])
    assert registry.register(repo, gate=passing(repo)) == ("v1.0.0", [])  # a rerun
    commit(repo, "second model")
    assert registry.register(repo, gate=passing(repo)) == ("v1.1.0", ["model@v1.1.0"])


def test_assign_validates_and_rollback_restores_an_earlier_version(
    gto_repo: tuple[Path, Path],
) -> None:
    repo, bare = gto_repo
    first, _ = registry.register(repo, gate=passing(repo))
    tags = registry.assign("staging", first, repo) + registry.assign("prod", first, repo)
    assert tags == ["model#staging#1", "model#prod#2"]
    assert registry.assign("prod", first, repo) == []  # already there
    commit(repo, "second model")
    second, _ = registry.register(repo, gate=passing(repo))
    registry.assign("staging", second, repo)
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
    git.push_tags(repo, created)
    pushed = subprocess.run(["git", "tag"], cwd=bare, capture_output=True, text=True).stdout
    assert set(created) <= set(pushed.split())

    time.sleep(1.1)  # GTO orders events by their second: a roll forward in the same
    registry.rollback(second, repo)  # second as the unassignment would be ambiguous
    assert prod(repo) == second
    assert registry.in_stage("prod", repo) == [second]
