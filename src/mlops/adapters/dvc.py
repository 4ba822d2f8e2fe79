"""DVC: every DVC call the package makes goes through here.

DVC is imported inside the functions that need it: it is slow to import, and most
commands (the review's small files, the workflow steps) never touch it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from mlops.core.errors import MlopsError

log = logging.getLogger(__name__)


class DvcError(MlopsError):
    """A DVC command failed or a DVC file cannot be read."""


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence DVC's warnings (a missing remote object is expected on a fresh fork).

    logging.disable, not a logger level: DVC resets its loggers' levels inside pull.
    """
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


# --- DVC's files, read as data (a PR's files are untrusted: never a crash) -------------


def tracked_md5(dvc_file_text: str | None) -> str | None:
    """The md5 that a `.dvc` pointer file records for its output, or None."""
    if not dvc_file_text:
        return None
    try:
        outs = yaml.safe_load(dvc_file_text).get("outs") or []
        return str(outs[0]["md5"])
    except (yaml.YAMLError, AttributeError, LookupError, TypeError):
        return None


def _lock_stages(lock_text: str | None) -> dict[str, Any]:
    """The stages a dvc.lock records ({} for no lock or one that is not a lock)."""
    if not lock_text:
        return {}
    try:
        stages = yaml.safe_load(lock_text).get("stages", {})
    except (yaml.YAMLError, AttributeError):
        return {}
    return stages if isinstance(stages, dict) else {}


def locked_md5(lock_text: str | None, out_path: str) -> str | None:
    """The md5 that a dvc.lock records for a stage output path, or None."""
    for stage in _lock_stages(lock_text).values():
        for out in stage.get("outs", []) or []:
            if out.get("path") == out_path and out.get("md5"):
                return str(out["md5"])
    return None


# --- a repository ----------------------------------------------------------------------


class Dvc:
    """The DVC operations the package needs, on one repository."""

    def __init__(self, root: Path | str = ".") -> None:
        from dvc.exceptions import DvcException, NotDvcRepoError
        from dvc.repo import Repo

        self.root = Path(root)
        try:
            self.repo: Any = Repo(str(root))
        except NotDvcRepoError:
            raise DvcError(
                f"{self.root.resolve()}: not a DVC repository (run this in the project's "
                "clone, where .dvc/ is)"
            ) from None
        except DvcException as exc:  # e.g. a .dvc/config that is not valid
            raise DvcError(f"{self.root.resolve()}: DVC cannot open it: {_reason(exc)}") from None

    def close(self) -> None:
        self.repo.close()

    # workspace ------------------------------------------------------------------------

    def is_current(self, target: Path | str) -> bool:
        """True when the workspace holds exactly what the .dvc file records."""
        with quiet():
            return not self.repo.status(targets=[str(target)])

    def pull(self, target: Path | str) -> str | None:
        """Pull a .dvc file's data from the default remote: None when done, else why not
        (one line: DVC's error and its root cause, e.g. a refused connection)."""
        from dvc.exceptions import DvcException

        with quiet():
            try:
                self.repo.pull(targets=[str(target)])
                return None
            except DvcException as exc:
                return _reason(exc)

    def push(self) -> int:
        """Push every tracked output in the cache to the default remote; the number of
        files sent. A failure is one line naming the remote, its URL and the cause; the
        local cache is never changed by a push."""
        remote = self.default_remote()
        if remote is None:
            raise DvcError("no default DVC remote: `dvc remote add -d NAME URL` first")
        name, url = remote
        with quiet():
            try:
                return int(self.repo.push())
            # DVC lets its filesystems' own errors through (e.g. asyncssh's
            # SFTPPermissionDenied from a read-only remote): any of them is the remote's.
            except Exception as exc:
                raise DvcError(
                    f"DVC remote {name!r} ({url}): push failed: {_reason(exc)}"
                ) from None

    def add(self, path: Path | str) -> None:
        with quiet():
            self.repo.add(str(path))

    # the remote -----------------------------------------------------------------------

    def default_remote(self) -> tuple[str, str] | None:
        """(name, url) of the default remote, or None."""
        name = self.repo.config["core"].get("remote")
        if not name:
            return None
        url = str(self.repo.config["remote"].get(name, {}).get("url", ""))
        return (name, url) if url else None

    # the cache and remote objects -----------------------------------------------------

    @property
    def cache_dir(self) -> Path:
        return Path(self.repo.cache.local.path).parents[1]

    def cache_file(self, md5: str | None) -> Path | None:
        """The cached file of an md5 (not a directory listing), if present."""
        if not md5 or md5.endswith(".dir"):
            return None
        path = Path(self.repo.cache.local.oid_to_path(md5))
        return path if path.exists() else None

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

    def from_remote(self, md5: str | None, dest: Path, member: str | None = None) -> bool:
        """Copy an object from the default remote to dest; False if it is not there.

        By hash, through this workspace's remote config: `dvc.api.open(rev=...)` resolves a
        relative local remote (the template's `../.dvc-storage`) against the revision's
        git tree, i.e. to `/.dvc-storage`, and so misses it. `member`: a file inside a
        directory output (md5 ending in .dir).
        """
        from dvc.config import RemoteConfigError

        if not md5:
            return False
        with quiet():
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
        log.info("%s", reason)  # after quiet(): it silences every logger, ours too
        return False


def _reason(exc: BaseException) -> str:
    """DVC's message and the innermost cause it wraps, on one line."""
    root: BaseException = exc
    while (inner := root.__cause__ or root.__context__) is not None:
        root = inner
    parts = [str(exc)] + ([f"{type(root).__name__}: {root}"] if root is not exc else [])
    return " ".join("; ".join(p for p in parts if p).split())[:300]


def usable_remote(root: Path | str = ".") -> str | None:
    """Name of the default DVC remote if one is configured and could hold data, else None.

    A local-path remote (the template's default, a gitignored folder) counts only when
    the folder exists: on a fresh CI runner it does not, and pulling from it is pointless.
    """
    dvc = Dvc(root)
    try:
        found = dvc.default_remote()
    finally:
        dvc.close()
    if found is None:
        return None
    name, url = found
    if "://" not in url:  # a local path, relative to .dvc/
        folder = Path(url) if Path(url).is_absolute() else Path(root) / ".dvc" / url
        return name if folder.is_dir() else None
    return name


def repro_command(root: Path | str = ".") -> list[str]:
    """`dvc repro`, pulling what it can from the remote first when there is one."""
    command = ["dvc", "repro"]
    if usable_remote(root) is not None:
        command += ["--pull", "--allow-missing"]
    return command


def run_cli(
    args: list[str], cwd: Path | str, env: Mapping[str, str] | None = None, capture: bool = True
) -> subprocess.CompletedProcess[str]:
    """`dvc <args>` as a subprocess (for a pipeline run, or in another worktree)."""
    import sys

    return subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=cwd, env=None if env is None else dict(env),
        capture_output=capture, text=True, check=False,
    )  # fmt: skip


# --- trust: which stage makes an output, and whether remotes verify downloads -----------


def producing_stage(lock_text: str | None, out_path: str) -> str | None:
    """The name of the dvc.lock stage that writes `out_path`, or None."""
    for name, stage in _lock_stages(lock_text).items():
        if any(out.get("path") == out_path for out in stage.get("outs", []) or []):
            return str(name)
    return None


def remotes(root: Path | str = ".") -> list[tuple[str, str, bool]]:
    """(name, url, verify) of every configured remote (`verify`: DVC rehashes what it
    downloads; off by default, so a remote could hand over other bytes for a hash)."""
    dvc = Dvc(root)
    try:
        configured = dict(dvc.repo.config.get("remote", {}))
    finally:
        dvc.close()
    return [
        (str(name), str(conf.get("url", "")), bool(conf.get("verify", False)))
        for name, conf in configured.items()
    ]


def cache_dir(root: Path | str = ".") -> Path:
    """The local cache folder of the repository (`.dvc/cache` unless configured)."""
    dvc = Dvc(root)
    try:
        return dvc.cache_dir
    finally:
        dvc.close()
