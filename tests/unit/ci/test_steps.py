"""`mlops check-dvc` on real git + DVC repositories: model and data bytes never come from
git (a tracked cache or local remote is refused), and remotes verify what they download."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops.ci.inputs import WorkflowError
from mlops.ci.steps import check_dvc
from support.repos import ROOT, git, run


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    run(["dvc", "init", "-q"], tmp_path)
    (tmp_path / ".dvc" / "config").write_text((ROOT / ".dvc" / "config").read_text())
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "dvc")
    return tmp_path


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
    run(["dvc", "remote", "add", "storage", "s3://bucket/path"], repo)
    with pytest.raises(WorkflowError, match="dvc remote modify storage verify true"):
        check_dvc(repo)
    run(["dvc", "remote", "modify", "storage", "verify", "true"], repo)
    assert "2 remote(s) verify" in check_dvc(repo)
