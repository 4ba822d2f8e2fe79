"""The DVC adapter: when a remote counts as usable, and what repro runs then."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlops.adapters import dvc
from support.repos import VENV_BIN


def test_repro_pulls_only_when_the_remote_can_hold_data(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    dvc_bin = str(VENV_BIN / "dvc")
    subprocess.run([dvc_bin, "init", "-q"], cwd=repo, check=True)
    assert dvc.repro_command(repo) == ["dvc", "repro"]  # no remote
    subprocess.run([dvc_bin, "remote", "add", "-d", "store", "../storage"], cwd=repo, check=True)
    assert dvc.usable_remote(repo) is None  # a local folder that does not exist (CI)
    (tmp_path / "storage").mkdir()
    assert dvc.repro_command(repo) == ["dvc", "repro", "--pull", "--allow-missing"]
    subprocess.run([dvc_bin, "remote", "add", "-d", "s3", "s3://bucket/x"], cwd=repo, check=True)
    assert dvc.usable_remote(repo) == "s3"


def test_a_folder_that_is_not_a_dvc_repository_is_one_line(tmp_path):
    from mlops.adapters.dvc import Dvc, DvcError

    with pytest.raises(DvcError, match=r": not a DVC repository \(run this in the project's clone"):
        Dvc(tmp_path)
