"""The two sides of a review, read from a real git repository: the workspace as it is,
and a revision from git alone (its own params, paths, reports and DVC hashes), with
broken files from an old or hostile revision read as absent, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mlops.core.errors import DataError
from mlops.registry.versions import RegistryError
from mlops.review.sides import Side, revision_side, workspace_side
from support.repos import GIT_IDENTITY, ROOT, git

DATA_MD5 = "0123456789abcdef0123456789abcdef.dir"
MODEL_MD5 = "fedcba9876543210fedcba9876543210"


def write(root: Path, name: str, text: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(text)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A commit whose params.yaml moved its runtime report to old/runtime.json."""
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["paths"]["runtime"] = "old/runtime.json"
    raw["paths"]["future_key"] = 3  # not a string: ignored
    write(tmp_path, "params.yaml", yaml.safe_dump(raw))
    write(tmp_path, "old/runtime.json", json.dumps({"latency_ms_p95": 3.5}))
    write(tmp_path, "reports/training.json", json.dumps({"rows": 100}))
    write(tmp_path, "reports/plots/importance.csv", "feature,importance,std\nage,0.1,0.01\n")
    write(tmp_path, "data.dvc", yaml.safe_dump({"outs": [{"md5": DATA_MD5, "path": "data"}]}))
    lock = {"stages": {"train": {"outs": [{"path": "models/model.skops", "md5": MODEL_MD5}]}}}
    write(tmp_path, "dvc.lock", yaml.safe_dump(lock))
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "champion: a model\n\nbody")
    return tmp_path, git(tmp_path, "rev-parse", "HEAD")


def test_a_revision_is_read_from_git_with_its_own_paths(params, repo):
    root, commit = repo
    side = revision_side(commit, "main", params, root)
    assert (side.label, side.commit, side.short) == ("main", commit, commit[:7])
    assert side.subject == "champion: a model"
    assert side.params["paths"]["runtime"] == "old/runtime.json"
    assert side.paths["runtime"] == "old/runtime.json"  # its own path ...
    assert side.paths["model"] == params.paths.model  # ... else the workspace's
    assert "future_key" not in side.paths
    assert side.reports == {"runtime": {"latency_ms_p95": 3.5}, "training": {"rows": 100}}
    assert side.importance is not None
    assert side.importance.to_dict("records") == [
        {"feature": "age", "importance": 0.1, "std": 0.01}
    ]
    assert (side.data_hash, side.model_md5) == (DATA_MD5, MODEL_MD5)
    assert side.model_path is None  # obtained by review/store.py, not here
    assert side.model_bytes() is None


def test_broken_files_of_a_revision_read_as_absent(params, repo):
    root, _ = repo
    write(root, "params.yaml", "paths: [unclosed\n")
    write(root, "reports/training.json", "{not json")
    write(root, "reports/plots/importance.csv", "name,score\nage,1\n")
    write(root, "data.dvc", "outs: nothing\n")
    write(root, "dvc.lock", "- a list\n")
    git(root, "commit", "-q", "-am", "broken")
    side = revision_side(git(root, "rev-parse", "HEAD"), "pr", params, root)
    assert side.params == {}
    assert side.paths == params.paths.model_dump()
    assert side.reports == {"runtime": None, "training": None}
    assert side.importance is None
    assert (side.data_hash, side.model_md5) == (None, None)


def test_a_commit_of_another_project_is_a_registry_error(params, repo):
    root, _ = repo
    git(root, "rm", "-q", "params.yaml")
    git(root, "commit", "-q", "-m", "no params")
    with pytest.raises(RegistryError, match=r"^main \([0-9a-f]{7}\) has no params\.yaml"):
        revision_side(git(root, "rev-parse", "HEAD"), "main", params, root)


def test_the_workspace_side_is_the_working_tree(params, repo):
    root, commit = repo
    with pytest.raises(DataError, match="challenger model not found"):
        workspace_side(params, root)
    write(root, params.paths.model, "model bytes")
    write(root, params.paths.snapshot, "row_id\n1\n")
    write(root, params.paths.runtime, json.dumps({"latency_ms_p95": 1.0}))
    side = workspace_side(params.model_copy(), root)
    assert (side.label, side.commit, side.subject) == ("workspace", commit, "champion: a model")
    assert side.model_path == root / params.paths.model
    assert side.model_bytes() == len("model bytes")
    assert side.snapshot_path == root / params.paths.snapshot
    assert side.obtained == {"model": "workspace", "data": "workspace"}
    assert side.data_hash == DATA_MD5
    assert side.reports["runtime"] == {"latency_ms_p95": 1.0}  # the workspace's own paths
    assert side.paths == params.paths.model_dump()
    write(root, "data.dvc", "outs: []\n")  # an uncommitted change to a tracked file
    assert workspace_side(params, root).subject == "champion: a model (+ uncommitted changes)"


def test_outside_git_the_workspace_has_no_commit(params, tmp_path: Path):
    write(tmp_path, params.paths.model, "m")
    side = workspace_side(params, tmp_path)
    assert (side.commit, side.short, side.subject, side.data_hash) == (None, "-", "", None)
    assert side.snapshot_path is None
    assert side.importance is None


def test_side_defaults_are_not_shared():
    a, b = Side("a", None, "", {}), Side("b", None, "", {})
    a.notes.append("x")
    a.obtained["model"] = "y"
    assert (b.notes, b.obtained) == ([], {})
