"""Where a champion's model and data come from: the DVC cache, else the DVC remote, else
a rebuild by reproducing its commit.

A fresh fork has no remote, yet the gate must still decide: the rebuild checks out the
champion commit in a temporary `git worktree` that shares this repository's DVC cache
and runs that commit's own code there (`mlops get-data`, then `dvc repro`). The pipeline
is byte-reproducible, so the rebuilt model must hash to what its dvc.lock records; a
difference is noted in gate.json.

Nothing from a cache or a remote is taken on trust: the model must hash to the md5 the
champion's dvc.lock records, the data to the md5 its data.dvc records (a one-file data
folder, as DVC hashes it); anything else is discarded, noted, and rebuilt instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mlops.adapters import dvc, git
from mlops.core.errors import DataError
from mlops.review.sides import Side

OBTAINED_CACHE = "DVC cache"
OBTAINED_REMOTE = "DVC remote"
OBTAINED_REBUILT = "rebuilt by reproducing the commit"


def _tool_env(src: Path) -> dict[str, str]:
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(src)  # the champion commit's own code goes first
    env.setdefault("DVC_NO_ANALYTICS", "1")
    return env


def _step_failed(commit: str, step: str, result: subprocess.CompletedProcess[str]) -> DataError:
    last = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:]
    return DataError(
        f"rebuilding the champion at {commit[:7]}: `{step}` failed "
        f"({last[0] if last else f'exit {result.returncode}'})"
    )


def rebuild(root: Path, commit: str, cache_dir: Path, scratch: Path) -> Path:
    """Reproduce `commit` in a temporary worktree sharing the DVC cache; return its path."""
    tree = scratch / "worktree"
    git.worktree_add(root, tree, commit)
    try:
        env = _tool_env(tree / "src")
        result = dvc.run_cli(["cache", "dir", "--local", str(cache_dir)], tree, env)
        if result.returncode != 0:
            raise _step_failed(commit, "dvc cache dir", result)
        result = subprocess.run(
            [sys.executable, "-m", "mlops.cli", "get-data"],
            cwd=tree, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise _step_failed(commit, "mlops get-data", result)
        result = dvc.run_cli(["repro"], tree, env)
        if result.returncode != 0:
            raise _step_failed(commit, "dvc repro", result)
    except BaseException:
        # The caller never gets the path to clean up: the worktree's record in .git
        # would outlive the deleted folder.
        git.worktree_remove(root, tree)
        raise
    return tree


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dir_md5(path: Path, relpath: str) -> str:
    """DVC's md5 of a folder holding this one file (the `.dir` hash without its suffix)."""
    listing = [{"md5": md5_of(path), "relpath": relpath}]
    return hashlib.md5(
        json.dumps(listing, sort_keys=True).encode(), usedforsecurity=False
    ).hexdigest()


def _verified(side: Side, path: Path, expected: str | None, what: str, member: str = "") -> bool:
    """Whether an obtained file is the one its hash names; a note when it is not."""
    if not expected:
        return False
    actual = dir_md5(path, member) if member else md5_of(path)
    if actual == expected.removesuffix(".dir"):
        return True
    side.notes.append(
        f"the {what} obtained by hash {expected[:8]} hashes to {actual[:8]}: discarded"
    )
    return False


@contextlib.contextmanager
def obtain(
    side: Side, root: Path | str = ".", need_data: bool = True, head: Side | None = None
) -> Iterator[Side]:
    """Fill in the side's model (and, with need_data, its data snapshot) files; temporary
    files and worktrees are removed on exit.

    If its data hash equals the head's, the head's snapshot is used as is.
    """
    root = Path(root).resolve()
    assert side.commit is not None, "only a revision's files are obtained"
    commit, paths = side.commit, side.paths
    scratch = Path(tempfile.mkdtemp(prefix="mlops-champion-"))
    tree: Path | None = None
    store = dvc.Dvc(root)
    try:
        cached = store.cache_file(side.model_md5)
        fetched = scratch / "model.skops"
        if cached is not None and _verified(side, cached, side.model_md5, "model"):
            side.model_path, side.obtained["model"] = cached, OBTAINED_CACHE
        elif store.from_remote(side.model_md5, fetched) and _verified(
            side, fetched, side.model_md5, "model"
        ):
            side.model_path, side.obtained["model"] = fetched, OBTAINED_REMOTE
        same_data = head is not None and head.data_hash and side.data_hash == head.data_hash
        if need_data and same_data and head is not None and head.snapshot_path:
            side.snapshot_path = head.snapshot_path
            side.obtained["data"] = "same data.dvc hash as the head"
        snapshot = scratch / "snapshot.csv"
        member = Path(*Path(paths["snapshot"]).parts[1:]).as_posix()
        if need_data and side.snapshot_path is None:
            if store.from_cache(side.data_hash, snapshot, member) and _verified(
                side, snapshot, side.data_hash, "data", member
            ):
                side.snapshot_path, side.obtained["data"] = snapshot, OBTAINED_CACHE
            elif store.from_remote(side.data_hash, snapshot, member) and _verified(
                side, snapshot, side.data_hash, "data", member
            ):
                side.snapshot_path, side.obtained["data"] = snapshot, OBTAINED_REMOTE
        if side.model_path is None or (need_data and side.snapshot_path is None):
            tree = rebuild(root, commit, store.cache_dir, scratch)
            if side.model_path is None:
                side.model_path, side.obtained["model"] = tree / paths["model"], OBTAINED_REBUILT
                rebuilt_md5 = md5_of(side.model_path)
                if side.model_md5 and rebuilt_md5 != side.model_md5:
                    side.notes.append(
                        f"the rebuilt champion model (md5 {rebuilt_md5[:8]}) differs from the "
                        f"one its dvc.lock records ({side.model_md5[:8]}): environment changed?"
                    )
            if need_data and side.snapshot_path is None:
                side.snapshot_path = tree / paths["snapshot"]
                side.obtained["data"] = OBTAINED_REBUILT
        if not side.model_path.exists():
            raise DataError(
                f"champion model {paths['model']} at {commit[:7]} could not be obtained"
            )
        yield side
    finally:
        store.close()
        if tree is not None:
            git.worktree_remove(root, tree)
        shutil.rmtree(scratch, ignore_errors=True)
