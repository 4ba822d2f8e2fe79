"""Shared fixtures.

End-to-end tests work on real git repositories in temporary folders. A "clone" is the
project's files as git sees them in this working tree (tracked, plus untracked files
that are not ignored), committed as `main` in a fresh repository: CI and a developer
with uncommitted edits test the same thing.

The expensive part, a full `make run`, happens once per session (`pipeline_repo`);
tests that change something take a cheap copy of it (`pipeline_copy`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.fixture(scope="session")
def pipeline_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone on which the whole pipeline has run once (data rebuilt from the source)."""
    repo = make_clone(tmp_path_factory.mktemp("pipeline") / "repo")
    run(["mlops", "get-data"], repo)
    run(["dvc", "repro"], repo)
    return repo


@pytest.fixture
def pipeline_copy(pipeline_repo: Path, tmp_path: Path) -> Iterator[Path]:
    """A private, writable copy of pipeline_repo for a test that changes things."""
    return copy_repo(pipeline_repo, tmp_path / "repo")


# --- Unit-test fixtures: the real default data, built once per session in a temp folder.


@pytest.fixture(scope="session")
def params():
    """params.yaml of this checkout, with source paths made absolute."""
    from mlops.config import load_params

    p = load_params(ROOT / "params.yaml")
    sources = [str(ROOT / s) for s in p.ingest.sources]
    return p.model_copy(update={"ingest": p.ingest.model_copy(update={"sources": sources})})


@pytest.fixture(scope="session")
def snapshot_path(params, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mlops.data.ingest import ingest

    path = tmp_path_factory.mktemp("snapshot") / "snapshot.csv"
    ingest(params.ingest, params.data, path)
    return path


@pytest.fixture(scope="session")
def splits(params, snapshot_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """(train_path, test_path) written by the prepare stage."""
    from mlops.data.prepare import prepare

    folder = tmp_path_factory.mktemp("splits")
    train, test = folder / "train.csv", folder / "test.csv"
    prepare(snapshot_path, params.data, params.prepare, train, test)
    return train, test


@pytest.fixture(scope="session")
def feature_spec(params, splits):
    from mlops.data.prepare import read_split
    from mlops.features import FeatureSpec, select_features

    selection = select_features(read_split(splits[0]), params.data, params.featurize)
    return FeatureSpec(tuple(selection["numeric"]), tuple(selection["categorical"]))


@pytest.fixture(scope="session")
def fitted(params, splits, feature_spec):
    """The default model fitted on the default train split, and its fit facts."""
    from mlops.train import fit

    return fit(splits[0], feature_spec, params.data, params.train)
