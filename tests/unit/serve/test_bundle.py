"""`mlops bundle` and the model sources of `mlops serve`, on a real git repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlops.core.files import read_json
from mlops.registry import versions
from mlops.serve.bundle import bundle
from mlops.serve.model import ModelError, load, load_bundle, registered_version
from support.repos import GIT_IDENTITY, git


@pytest.fixture
def repo(tmp_path: Path, fitted, params, monkeypatch) -> Path:
    """A repository with a model at paths.model and a dvc.lock that records its md5."""
    from mlops.review.store import md5_of
    from mlops.train.model_io import save_model

    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    model = root / params.paths.model
    save_model(fitted[0], model)
    (root / "dvc.lock").write_text(
        f"schema: '2.0'\nstages:\n  train:\n    cmd: mlops train\n    outs:\n"
        f"    - path: {params.paths.model}\n      md5: {md5_of(model)}\n"
    )
    shutil.copy(Path(__file__).resolve().parents[3] / "dvc.yaml", root / "dvc.yaml")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "model")
    return root


def test_the_workspace_bundle_loads_and_a_damaged_one_does_not(repo, params) -> None:
    meta = bundle(params.paths, "", repo)
    folder = repo / params.paths.bundle
    assert meta["version"] == "workspace"
    assert read_json(folder / "metadata.json") == meta
    assert (folder / "VERSION").read_text() == "workspace\n"
    loaded = load_bundle(folder)
    assert loaded.info.model_md5 == meta["model_md5"]
    assert loaded.info.commit == git(repo, "rev-parse", "HEAD")
    with (folder / "model.skops").open("ab") as out:
        out.write(b"tampered")
    with pytest.raises(ModelError, match="the bundle is damaged"):
        load_bundle(folder)


def test_a_bundle_holds_only_the_locked_model_of_the_checked_out_version(repo, params) -> None:
    version, _ = versions.register(repo, gate=passing_gate(repo))
    assert bundle(params.paths, version, repo)["version"] == version
    git(repo, "commit", "-q", "--allow-empty", "-m", "later")
    with pytest.raises(ModelError, match="check out the version's tag first"):
        bundle(params.paths, version, repo)
    with pytest.raises(ModelError, match="is not registered"):
        bundle(params.paths, "v7.0.0", repo)
    with pytest.raises(ModelError, match="not of the form"):
        bundle(params.paths, "latest", repo)
    (repo / params.paths.model).write_bytes(b"another model")
    with pytest.raises(ModelError, match=r"is not the one dvc\.lock records"):
        bundle(params.paths, "", repo)


def test_model_specs_name_a_registered_version_or_prod(repo, params) -> None:
    with pytest.raises(ModelError, match="no model version is in prod yet"):
        registered_version("prod", repo)
    version, _ = versions.register(repo, gate=passing_gate(repo))
    versions.assign("staging", version, repo)  # prod only after staging
    versions.assign("prod", version, repo)
    commit = git(repo, "rev-parse", "HEAD")
    assert registered_version("prod", repo) == (version, commit)
    assert registered_version(f"model@{version}", repo) == (version, commit)
    assert registered_version(version, repo) == (version, commit)
    with pytest.raises(ModelError, match=r"model@v3\.0\.0 is not registered"):
        registered_version("v3.0.0", repo)
    with pytest.raises(ModelError, match="a bundle folder"):
        load("model@latest", params, repo)


def passing_gate(repo) -> dict:
    """The promotion run's passing gate.json for HEAD (registering needs one)."""
    head = git(repo, "rev-parse", "HEAD")
    return {"decision": "pass", "challenger": {"commit": head}, "champion": {}}
