"""The two sides of a comparison: the workspace (challenger) and a git revision (champion).

A revision's small files (params.yaml, reports/*.json, plot data) come from git. Its model
and data snapshot are DVC outputs: read from the DVC cache, else the DVC remote, else
rebuilt by reproducing that commit in a temporary `git worktree` that shares this
repository's DVC cache (a fresh fork has no remote, yet the gate must still decide).
The rebuild runs the champion commit's own code: its src/ goes first on PYTHONPATH.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from mlops.config import Params
from mlops.data.fetch import data_dvc_file, quiet_dvc
from mlops.errors import DataError
from mlops.files import read_json
from mlops.registry import RegistryError

log = logging.getLogger(__name__)

OBTAINED_WORKSPACE = "workspace"
OBTAINED_CACHE = "DVC cache"
OBTAINED_REMOTE = "DVC remote"
OBTAINED_REBUILT = "rebuilt by reproducing the commit"


@dataclass
class Side:
    """Everything the report and the gate read about one side."""

    label: str  # what a reviewer reads: "main", "model@v1.2.0 (prod)", "workspace"
    commit: str | None  # full sha; None outside git
    subject: str  # first line of the commit message (or a workspace note)
    params: dict[str, Any]  # params.yaml as written (not validated: it may be older)
    model_path: Path | None = None
    snapshot_path: Path | None = None
    data_hash: str | None = None  # md5 that the data .dvc file records
    reports: dict[str, Any] = field(default_factory=dict)  # runtime, training (json)
    importance: pd.DataFrame | None = None
    obtained: dict[str, str] = field(default_factory=dict)  # "model"/"data" -> how
    notes: list[str] = field(default_factory=list)

    @property
    def short(self) -> str:
        return self.commit[:7] if self.commit else "-"

    def model_bytes(self) -> int | None:
        return self.model_path.stat().st_size if self.model_path else None


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        detail = " ".join(result.stderr.split())[:300]
        raise RegistryError(f"git {' '.join(args[:3])} failed in {root}: {detail}")
    return result


def git_show(root: Path, commit: str, path: str) -> str | None:
    """A file's text at a commit, or None if the commit does not have it."""
    result = _git(root, "show", f"{commit}:{path}", check=False)
    return result.stdout if result.returncode == 0 else None


def _json_or_none(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _importance(text: str | None) -> pd.DataFrame | None:
    if not text:
        return None
    try:
        table = pd.read_csv(StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return None
    return table if {"feature", "importance"} <= set(table.columns) else None


def _paths(raw: dict[str, Any], fallback: Params) -> dict[str, str]:
    """The revision's own paths, falling back to the workspace's for keys it lacks."""
    own = raw.get("paths") if isinstance(raw.get("paths"), dict) else {}
    return {**fallback.paths.model_dump(), **{k: v for k, v in own.items() if isinstance(v, str)}}


def _data_hash(dvc_file_text: str | None) -> str | None:
    if not dvc_file_text:
        return None
    try:
        outs = yaml.safe_load(dvc_file_text).get("outs") or []
        return str(outs[0]["md5"])
    except (yaml.YAMLError, AttributeError, LookupError, TypeError):
        return None


def _lock_md5(lock_text: str | None, out_path: str) -> str | None:
    """md5 that a revision's dvc.lock records for an output path."""
    if not lock_text:
        return None
    try:
        stages = yaml.safe_load(lock_text).get("stages", {})
    except (yaml.YAMLError, AttributeError):
        return None
    for stage in stages.values():
        for out in stage.get("outs", []) or []:
            if out.get("path") == out_path and out.get("md5"):
                return str(out["md5"])
    return None


def workspace_side(params: Params, root: Path | str = ".") -> Side:
    """The challenger: this working tree after `dvc repro`."""
    root = Path(root)
    raw = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    head = _git(root, "rev-parse", "HEAD", check=False)
    commit = head.stdout.strip() if head.returncode == 0 else None
    subject = ""
    if commit:
        subject = _git(root, "log", "-1", "--format=%s", commit).stdout.strip()
        if _git(root, "status", "--porcelain", "--untracked-files=no").stdout.strip():
            subject += " (+ uncommitted changes)"
    paths = params.paths
    side = Side("workspace", commit, subject, raw)
    model = root / paths.model
    if not model.exists():
        raise DataError(f"{model}: challenger model not found (run `dvc repro` first)")
    side.model_path = model
    side.obtained["model"] = OBTAINED_WORKSPACE
    snapshot = root / paths.snapshot
    if snapshot.exists():
        side.snapshot_path = snapshot
        side.obtained["data"] = OBTAINED_WORKSPACE
    dvc_file = root / data_dvc_file(paths.snapshot)
    side.data_hash = _data_hash(dvc_file.read_text() if dvc_file.exists() else None)
    for name in ("runtime", "training"):
        path = root / getattr(paths, name)
        side.reports[name] = read_json(path) if path.exists() else None
    importance = root / paths.plots / "importance.csv"
    side.importance = _importance(importance.read_text() if importance.exists() else None)
    return side


class _Dvc:
    """The few DVC operations needed: lazily imported (DVC is slow to import)."""

    def __init__(self, root: Path) -> None:
        from dvc.repo import Repo

        self.root = root
        self.repo = Repo(str(root))

    def cache_file(self, md5: str | None) -> Path | None:
        if not md5 or md5.endswith(".dir"):
            return None
        path = Path(self.repo.cache.local.oid_to_path(md5))
        return path if path.exists() else None

    @property
    def cache_dir(self) -> Path:
        return Path(self.repo.cache.local.path).parents[1]

    def from_remote(self, md5: str | None, dest: Path, member: str | None = None) -> bool:
        """Copy an object from the default DVC remote to dest; False if it is not there.

        By hash, through this workspace's remote config: `dvc.api.open(rev=...)` resolves a
        relative local remote (the template's `../.dvc-storage`) against the revision's
        git tree, i.e. to `/.dvc-storage`, and so misses it. `member`: a file inside a
        directory output (md5 ending in .dir).
        """
        from dvc.config import RemoteConfigError

        if not md5:
            return False
        with quiet_dvc():
            try:
                odb = self.repo.cloud.get_remote_odb(None, "fetch")
                if member is not None:
                    listing = json.loads(odb.fs.cat_file(odb.oid_to_path(md5)))
                    entry = next((e for e in listing if e.get("relpath") == member), None)
                    if entry is None:
                        return False
                    md5 = str(entry["md5"])
                odb.fs.get_file(odb.oid_to_path(md5), str(dest))
                return True
            except RemoteConfigError as exc:  # no remote configured
                reason = f"no DVC remote: {exc}"
            except Exception as exc:  # unreachable, no credentials, missing object: rebuild
                reason = f"object {md5} not obtainable from the DVC remote: {exc}"
                dest.unlink(missing_ok=True)
        log.info("%s", reason)  # after quiet_dvc: it silences every logger, ours too
        return False

    def from_cache(self, md5: str | None, dest: Path, member: str) -> bool:
        """Copy a file inside a cached directory output (md5 ending in .dir) to dest."""
        if not md5:
            return False
        listing_path = Path(self.repo.cache.local.oid_to_path(md5))
        try:
            listing = json.loads(listing_path.read_text())
            entry = next((e for e in listing if e.get("relpath") == member), None)
            source = self.cache_file(str(entry["md5"])) if entry else None
        except (OSError, ValueError, KeyError, TypeError):
            return False
        if source is None:
            return False
        shutil.copyfile(source, dest)
        return True


def _tool_env(src: Path) -> dict[str, str]:
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(src)
    env.setdefault("DVC_NO_ANALYTICS", "1")
    return env


def _rebuild(root: Path, commit: str, cache_dir: Path, scratch: Path) -> Path:
    """Reproduce `commit` in a temporary worktree sharing the DVC cache; return its path."""
    tree = scratch / "worktree"
    _git(root, "worktree", "add", "--detach", "--force", str(tree), commit)
    env = _tool_env(tree / "src")
    steps = [
        [sys.executable, "-m", "dvc", "cache", "dir", "--local", str(cache_dir)],
        [sys.executable, "-m", "mlops.cli", "get-data"],
        [sys.executable, "-m", "dvc", "repro"],
    ]
    for step in steps:
        result = subprocess.run(step, cwd=tree, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            last = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:]
            raise DataError(
                f"rebuilding the champion at {commit[:7]}: `{' '.join(step[1:])}` failed "
                f"({last[0] if last else f'exit {result.returncode}'})"
            )
    return tree


@contextlib.contextmanager
def revision_side(
    commit: str,
    label: str,
    params: Params,
    root: Path | str = ".",
    need_data: bool = True,
    head: Side | None = None,
) -> Iterator[Side]:
    """The champion at a commit; temporary files and worktrees are removed on exit.

    need_data: also obtain its data snapshot (the report's data diff; the gate skips it).
    If its data hash equals the head's, the head's snapshot is used as is.
    """
    root = Path(root).resolve()
    raw_text = git_show(root, commit, "params.yaml")
    if raw_text is None:
        raise RegistryError(
            f"{label} ({commit[:7]}) has no params.yaml: not a commit of this project"
        )
    raw = yaml.safe_load(raw_text) or {}
    paths = _paths(raw, params)
    subject = _git(root, "log", "-1", "--format=%s", commit).stdout.strip()
    side = Side(label, commit, subject, raw)
    for name in ("runtime", "training"):
        side.reports[name] = _json_or_none(git_show(root, commit, paths[name]))
    side.importance = _importance(git_show(root, commit, f"{paths['plots']}/importance.csv"))
    side.data_hash = _data_hash(git_show(root, commit, data_dvc_file(paths["snapshot"])))

    scratch = Path(tempfile.mkdtemp(prefix="mlops-champion-"))
    tree: Path | None = None
    try:
        dvc = _Dvc(root)
        model_md5 = _lock_md5(git_show(root, commit, "dvc.lock"), paths["model"])
        cached = dvc.cache_file(model_md5)
        if cached is not None:
            side.model_path, side.obtained["model"] = cached, OBTAINED_CACHE
        elif dvc.from_remote(model_md5, scratch / "model.skops"):
            side.model_path, side.obtained["model"] = scratch / "model.skops", OBTAINED_REMOTE
        same_data = head is not None and head.data_hash and side.data_hash == head.data_hash
        if need_data and same_data and head is not None and head.snapshot_path:
            side.snapshot_path = head.snapshot_path
            side.obtained["data"] = "same data.dvc hash as the head"
        snapshot = scratch / "snapshot.csv"
        member = Path(*Path(paths["snapshot"]).parts[1:]).as_posix()
        if need_data and side.snapshot_path is None:
            if dvc.from_cache(side.data_hash, snapshot, member):
                side.snapshot_path, side.obtained["data"] = snapshot, OBTAINED_CACHE
            elif dvc.from_remote(side.data_hash, snapshot, member):
                side.snapshot_path, side.obtained["data"] = snapshot, OBTAINED_REMOTE
        if side.model_path is None or (need_data and side.snapshot_path is None):
            tree = _rebuild(root, commit, dvc.cache_dir, scratch)
            if side.model_path is None:
                side.model_path, side.obtained["model"] = tree / paths["model"], OBTAINED_REBUILT
                rebuilt_md5 = _md5(side.model_path)
                if model_md5 and rebuilt_md5 != model_md5:
                    side.notes.append(
                        f"the rebuilt champion model (md5 {rebuilt_md5[:8]}) differs from the "
                        f"one its dvc.lock records ({model_md5[:8]}): environment changed?"
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
        if tree is not None:
            _git(root, "worktree", "remove", "--force", str(tree), check=False)
            _git(root, "worktree", "prune", check=False)
        shutil.rmtree(scratch, ignore_errors=True)


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
