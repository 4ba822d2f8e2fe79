"""`mlops check-dvc` on real git + DVC repositories: model and data bytes never come from
git (a tracked cache or local remote is refused), and remotes verify what they download."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops.ci.inputs import WorkflowError
from mlops.ci.steps import check_dvc
from support.repos import ROOT, copy_repo, git, run


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """git + `dvc init` + the template's .dvc/config, made once for the module."""
    repo = tmp_path_factory.mktemp("dvc-template")
    git(repo, "init", "-q", "-b", "main")
    run(["dvc", "init", "-q"], repo)
    (repo / ".dvc" / "config").write_text((ROOT / ".dvc" / "config").read_text())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "dvc")
    return repo


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    return copy_repo(template, tmp_path / "repo")


def test_the_template_config_passes(repo: Path) -> None:
    assert "1 remote(s) verify" in check_dvc(repo)


@pytest.mark.parametrize("folder", [".dvc-storage/files/md5/ab", ".dvc/cache/files/md5/ab"])
def test_a_cache_or_local_remote_tracked_by_git_is_refused(repo: Path, folder: str) -> None:
    planted = repo / folder / "cdef0123456789"
    planted.parent.mkdir(parents=True)
    planted.write_bytes(b"model bytes nobody trained")
    git(repo, "add", "-f", str(planted.relative_to(repo)))  # force-added past .gitignore
    with pytest.raises(WorkflowError, match=r"git tracks 1 file\(s\) of a DVC cache or remote"):
        check_dvc(repo)


def test_a_remote_that_does_not_verify_downloads_is_refused(repo: Path) -> None:
    config = repo / ".dvc" / "config"
    config.write_text(config.read_text() + "['remote \"storage\"']\n    url = s3://bucket/path\n")
    with pytest.raises(WorkflowError, match="dvc remote modify storage verify true"):
        check_dvc(repo)
    config.write_text(config.read_text() + "    verify = true\n")
    assert "2 remote(s) verify" in check_dvc(repo)
