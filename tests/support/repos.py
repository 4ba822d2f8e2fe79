"""Real git repositories in temporary folders, and the tools run on them.

A "clone" is the project's files as git sees them in this working tree (tracked, plus
untracked files that are not ignored), committed as `main` in a fresh repository: CI
and a developer with uncommitted edits test the same thing.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.invalid",
}


def project_files(root: Path = ROOT) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return sorted(f for f in out.split("\0") if f and (root / f).exists())


def tool_env(repo: Path) -> dict[str, str]:
    """Environment that runs this checkout's venv tools on `repo`'s own source code.

    PYTHONPATH puts the clone's src/ ahead of the editable install, so a test that edits
    code in a clone runs that code, while the clone shares the already-built venv.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "DVC_"))}
    env.update(GIT_IDENTITY)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV_BIN.parent)
    env["PYTHONPATH"] = str(repo / "src")
    env["DVC_NO_ANALYTICS"] = "1"
    env["DVC_SITE_CACHE_DIR"] = str(repo / ".dvc" / "site-cache")
    return env


def run(
    args: list[str], repo: Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command in `repo` with the tool environment; show its output on failure."""
    result = subprocess.run(
        args, cwd=repo, env=env or tool_env(repo), capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
        )
    return result


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def mlops(repo: Path, *args: str) -> Ran:
    """`mlops ARGS` run in `repo` by this process: the `mlops` entry point is
    `mlops.cli.main`, so the exit code and the lines on stdout and stderr are the
    command's, without an interpreter start and the imports (~2 s each here)."""
    from mlops.cli import main

    out, err = io.StringIO(), io.StringIO()
    cwd, threads = Path.cwd(), os.environ.get("OMP_NUM_THREADS")
    try:
        os.chdir(repo)
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(cwd)
        if threads is None:  # main() sets it from params.yaml
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = threads
    return Ran(code, out.getvalue(), err.getvalue())


def git(repo: Path, *args: str, check: bool = True) -> str:
    return run(["git", *args], repo, check=check).stdout.strip()


def make_clone(dest: Path) -> Path:
    """A fresh git repository at dest holding the project's files, committed on main."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in project_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "template")
    return dest


def copy_repo(source: Path, dest: Path) -> Path:
    """A full copy (work tree, .git, DVC cache) of a prepared repository."""
    shutil.copytree(source, dest, symlinks=True)
    return dest


def commit(repo: Path, message: str) -> str:
    """An empty commit on main, pushed when there is an origin (versions count only on
    the default branch, as origin has it); its sha."""
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    if git(repo, "remote"):
        git(repo, "push", "-q", "origin", "main")
    return git(repo, "rev-parse", "HEAD")


def repo_with_origin(folder: Path, with_dvc_yaml: bool = True) -> tuple[Path, Path]:
    """(checkout, bare origin) under `folder`: main holds one commit (with the project's
    dvc.yaml, so GTO knows the artifact), pushed to origin. Set GIT_IDENTITY first."""
    repo, bare = folder / "repo", folder / "origin.git"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(repo, "init", "-q", "-b", "main")
    if with_dvc_yaml:
        (repo / "dvc.yaml").write_text((ROOT / "dvc.yaml").read_text())
        git(repo, "add", "dvc.yaml")
    commit(repo, "first model")
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "origin", "main")
    return repo, bare
