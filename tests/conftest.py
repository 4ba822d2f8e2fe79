"""Shared fixtures. Expensive things are built once per test session and shared.

The full pipeline on a clone (`pipeline_repo`, a `make run`) and the default data's
snapshot and splits are built ONCE per session, also under pytest-xdist: the first
worker builds them under a file lock in the session's shared temp folder, the others
wait and reuse them. Each worker then works on its own copy of the pipeline repository
(two DVC processes must never share one repository's lock), and a test that changes
something takes a private copy (`pipeline_copy`).

Folders: unit/ mirrors src/mlops/ (fast; `make test-fast`); e2e/ runs the pipeline, the
review or a browser on temporary clones; workflows/ checks .github/ and runs it with
act. Everything under e2e/ and the act runs is marked `e2e`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock
from hypothesis import settings

# One OpenMP thread per test process, as `threads: 1` gives the stages: with pytest-xdist
# workers on every core, OpenMP threads on top oversubscribe them (measured here: the unit
# tests took 4x longer with two workers than with one). Set before scikit-learn loads.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from support.fuzz import PROFILE
from support.repos import ROOT, copy_repo, make_clone, run

# Hypothesis: no example database in the repository, no deadline (support/fuzz.py).
settings.load_profile(PROFILE)


# The longest modules first (measured: each holds tests of 20-50 s), the rest in their
# usual order. pytest-xdist's workers then end on short tests instead of one worker
# starting a 50 s act run while the other has nothing left (the suite's wall time was 15 %
# over its CPU time / workers). A module's tests stay together (module fixtures).
LONGEST_FIRST = (
    "workflows/test_act.py",
    "workflows/test_act_monitor.py",
    "e2e/test_container.py",
    "e2e/test_distributed.py",
    "e2e/test_review.py",
    "e2e/test_pipeline.py",
)


def _rank(item: pytest.Item) -> int:
    where = Path(str(item.path)).relative_to(ROOT / "tests").as_posix()
    return LONGEST_FIRST.index(where) if where in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.path)).relative_to(ROOT / "tests").parts
        if parts[0] == "e2e" or item.path.name == "test_act.py":
            item.add_marker(pytest.mark.e2e)
    items.sort(key=_rank)  # stable: the usual order within each rank


def shared_dir(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], Any]) -> Path:
    """A folder built once per session by `build(folder)`, whichever worker gets there
    first; the others wait on the lock. Read-only for everyone afterwards."""
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, shared by all workers
    folder = root / f"shared-{name}"
    with FileLock(str(folder) + ".lock"):
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            build(folder)
            (folder / ".built").touch()
    return folder


def _build_pipeline(folder: Path) -> None:
    repo = make_clone(folder / "repo")
    run(["mlops", "get-data"], repo)
    run(["dvc", "repro"], repo)


@pytest.fixture(scope="session")
def pipeline_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone on which the whole pipeline has run once (data rebuilt from the source).
    This worker's own copy: tests may run DVC on it, but must not change it."""
    built = shared_dir(tmp_path_factory, "pipeline", _build_pipeline) / "repo"
    return copy_repo(built, tmp_path_factory.mktemp("pipeline") / "repo")


@pytest.fixture
def pipeline_copy(pipeline_repo: Path, tmp_path: Path) -> Path:
    """A private, writable copy of pipeline_repo for a test that changes things."""
    return copy_repo(pipeline_repo, tmp_path / "repo")


# --- Unit-test fixtures: the real default data, built once per session in a temp folder.


@pytest.fixture(scope="session")
def params():
    """params.yaml of this checkout, with source paths made absolute."""
    from mlops.core.config import load_params

    p = load_params(ROOT / "params.yaml")
    sources = [str(ROOT / s) for s in p.ingest.sources]
    return p.model_copy(update={"ingest": p.ingest.model_copy(update={"sources": sources})})


@pytest.fixture(scope="session")
def splits(params, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(train_path, test_path) written by the prepare stage from the ingested snapshot."""
    from mlops.data.ingest import ingest
    from mlops.data.prepare import prepare

    def build(folder: Path) -> None:
        ingest(params.ingest, params.data, folder / "snapshot.csv")
        prepare(folder / "snapshot.csv", params.data, params.prepare,
                folder / "train.csv", folder / "test.csv")  # fmt: skip

    folder = shared_dir(tmp_path_factory, "splits", build)
    return folder / "train.csv", folder / "test.csv"


@pytest.fixture(scope="session")
def source_rows(params):
    """Every row of ingest.sources, normalised (until_month ignored): the snapshot's months
    and the months that have not arrived yet."""
    from mlops.monitor.simulate import source_rows

    return source_rows(params)


@pytest.fixture(scope="session")
def snapshot_path(splits) -> Path:
    return splits[0].parent / "snapshot.csv"


@pytest.fixture(scope="session")
def feature_spec(params, splits):
    from mlops.data.prepare import read_split
    from mlops.features.select import select_features
    from mlops.features.spec import FeatureSpec

    selection = select_features(read_split(splits[0]), params.data, params.featurize)
    return FeatureSpec(
        tuple(selection["inputs"]), tuple(selection["numeric"]), tuple(selection["categorical"])
    )


@pytest.fixture(scope="session")
def fitted(params, splits, feature_spec):
    """The default model fitted on the default train split, and its fit facts."""
    from mlops.train.fit import fit

    return fit(splits[0], feature_spec, params.data, params.train)
