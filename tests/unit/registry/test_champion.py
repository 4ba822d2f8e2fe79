"""Champion resolution: an explicit revision, else the current GTO `prod` model, else the
base branch. Versions are registered through the gate (registry.register with a passing
gate.json) in a throwaway git repository; test_trust.py covers tags made by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from gto import api

from mlops.registry import versions as registry
from mlops.registry.versions import RegistryError, resolve_champion, resolve_commit
from support.repos import ROOT, git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "dvc.yaml").write_text((ROOT / "dvc.yaml").read_text())
    git(tmp_path, "add", "dvc.yaml")
    git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def promote(repo: Path) -> str:
    head = git(repo, "rev-parse", "HEAD")
    gate = {"decision": "pass", "challenger": {"commit": head}, "champion": {}}
    version, _ = registry.register(repo, gate=gate)
    registry.assign("staging", version, repo)
    registry.assign("prod", version, repo)
    return version


def test_without_prod_the_base_branch_is_the_champion(repo: Path):
    champion = resolve_champion(None, "main", repo)
    assert champion.commit == git(repo, "rev-parse", "main")
    assert (champion.label, champion.source) == ("main", "rev")


def test_the_current_prod_version_is_the_champion_until_rolled_back(repo: Path, monkeypatch):
    for key, value in {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                       "GIT_COMMITTER_NAME": "t",
                       "GIT_COMMITTER_EMAIL": "t@example.invalid"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    first = git(repo, "rev-parse", "HEAD")
    assert promote(repo) == "v1.0.0"
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    second = git(repo, "rev-parse", "HEAD")
    assert promote(repo) == "v1.1.0"
    champion = resolve_champion(None, "main", repo)
    assert (champion.commit, champion.label) == (second, "model@v1.1.0 (prod)")
    assert champion.source == "registry"

    # GTO reads the highest version still in prod as current: a newer assignment of a
    # lower version does not change it; unassigning the higher one (a rollback) does.
    registry.gto.assign(repo, "model", "prod", "v1.0.0", registry.gto.Author("t", "t@x.invalid"))
    assert resolve_champion(None, "main", repo).commit == second
    api.unassign(str(repo), "model", version="v1.1.0", stage="prod")
    assert resolve_champion(None, "main", repo).commit == first
    # An explicit revision always wins, and GTO tags are revisions too.
    assert resolve_champion("model@v1.1.0", "main", repo).commit == second
    assert resolve_champion("main", "main", repo).commit == second


def test_an_unknown_revision_is_a_one_line_error(repo: Path):
    with pytest.raises(RegistryError, match="'nope' not found"):
        resolve_commit("nope", repo)
