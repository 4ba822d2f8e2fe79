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


def test_a_lock_tells_each_outputs_md5_and_the_stage_that_writes_it() -> None:
    from mlops.adapters.dvc import locked_md5, producing_stage

    lock = """schema: '2.0'
stages:
  prepare:
    outs:
    - path: build/test.csv
      md5: 0123456789abcdef0123456789abcdef
  train:
    outs:
    - path: models/model.skops
      md5: fedcba9876543210fedcba9876543210
"""
    assert locked_md5(lock, "models/model.skops") == "fedcba9876543210fedcba9876543210"
    assert producing_stage(lock, "build/test.csv") == "prepare"
    for broken in (None, "", "not: [a lock", "- a list"):
        assert locked_md5(broken, "models/model.skops") is None
        assert producing_stage(broken, "models/model.skops") is None
    assert producing_stage(lock, "reports/other.json") is None
