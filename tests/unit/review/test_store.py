"""Where a champion's files come from, on a real git + DVC repository: the DVC remote
(and the cache, for a file inside the data folder), the head's snapshot when the data is
the same, else a rebuild whose failure is one line and leaves no worktree behind."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mlops.adapters.dvc import Dvc
from mlops.core.errors import DataError
from mlops.review.sides import Side
from mlops.review.store import OBTAINED_CACHE, OBTAINED_REMOTE, md5_of, obtain
from support.repos import git

MODEL, SNAPSHOT = b"champion model bytes", b"row_id,income\n1,>50K\n"


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def put(path: str | Path, data: bytes) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(data)


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    """A git repository with one commit (not holding .dvc/), DVC initialised in its work
    tree, and a default local remote folder."""
    from dvc.repo import Repo

    from mlops.adapters.dvc import quiet

    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "commit", "-q", "--allow-empty", "-m", "champion")
    # quiet: DVC's log handlers hold the stdout of the test that first imported
    # DVC (closed by now when that test captured its output).
    with quiet():
        Repo.init(str(root)).close()
    remote = tmp_path / "remote"
    remote.mkdir()
    (root / ".dvc" / "config").write_text(
        f"[core]\n    remote = store\n['remote \"store\"']\n    url = {remote}\n"
    )
    return root, git(root, "rev-parse", "HEAD")


def side_at(commit: str, params, data: bytes = SNAPSHOT) -> Side:
    listing = json.dumps([{"md5": md5(data), "relpath": "snapshot.csv"}]).encode()
    side = Side("main", commit, "champion", {}, paths=params.paths.model_dump())
    side.model_md5, side.data_hash = md5(MODEL), md5(listing) + ".dir"
    return side


def data_objects(side: Side, data: bytes = SNAPSHOT) -> dict[str, bytes]:
    listing = json.dumps([{"md5": md5(data), "relpath": "snapshot.csv"}]).encode()
    assert side.data_hash == md5(listing) + ".dir"
    return {side.data_hash: listing, md5(data): data}


def test_model_and_data_from_the_remote_are_temporary(repo, params):
    root, commit = repo
    side = side_at(commit, params)
    store = Dvc(root)
    odb = store.repo.cloud.get_remote_odb(None, "fetch")
    for oid, data in {side.model_md5: MODEL, **data_objects(side)}.items():
        put(odb.oid_to_path(oid), data)
    store.close()
    with obtain(side, root, need_data=True) as got:
        assert got.obtained == {"model": OBTAINED_REMOTE, "data": OBTAINED_REMOTE}
        assert got.model_path.read_bytes() == MODEL
        assert got.snapshot_path.read_bytes() == SNAPSHOT
        scratch = got.model_path.parent
    assert not scratch.exists()  # removed on exit


def test_cache_first_and_the_heads_snapshot_when_the_data_is_the_same(repo, params, tmp_path):
    root, commit = repo
    side = side_at(commit, params)
    store = Dvc(root)
    put(store.repo.cache.local.oid_to_path(side.model_md5), MODEL)
    for oid, data in data_objects(side).items():
        put(store.repo.cache.local.oid_to_path(oid), data)
    store.close()
    with obtain(side, root, need_data=True) as got:
        assert got.obtained == {"model": OBTAINED_CACHE, "data": OBTAINED_CACHE}
        assert got.snapshot_path.read_bytes() == SNAPSHOT
    head = Side("workspace", commit, "", {}, data_hash=side.data_hash)
    head.snapshot_path = tmp_path / "head-snapshot.csv"
    again = side_at(commit, params)
    with obtain(again, root, need_data=True, head=head) as got:
        assert got.snapshot_path == head.snapshot_path
        assert got.obtained["data"] == "same data.dvc hash as the head"
    without_data = side_at(commit, params)
    with obtain(without_data, root, need_data=False) as got:
        assert got.snapshot_path is None  # the gate does not need the data
        assert "data" not in got.obtained


def test_a_failed_rebuild_is_one_line_and_removes_its_worktree(repo, params):
    root, commit = repo
    side = side_at(commit, params)  # in neither the cache nor the remote: rebuild
    failed = rf"^rebuilding the champion at {commit[:7]}: `dvc cache dir` failed"
    with pytest.raises(DataError, match=failed), obtain(side, root, need_data=False):
        pass
    assert git(root, "worktree", "list").count("\n") == 0  # only the main work tree


def test_md5_of_a_file_is_what_dvc_records(tmp_path: Path):
    put(tmp_path / "f", MODEL * 100_000)  # several read blocks
    assert md5_of(tmp_path / "f") == md5(MODEL * 100_000)
