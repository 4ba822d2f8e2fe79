"""`mlops bundle` and the model sources of `mlops serve` (the model and its drift profile),
on a real git repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlops.core.files import read_json
from mlops.monitor.online import Profile, split_profile
from mlops.registry import versions
from mlops.serve.bundle import bundle
from mlops.serve.model import (
    Loaded,
    ModelError,
    ModelInfo,
    load,
    load_bundle,
    load_profile,
    registered_version,
)
from support.repos import GIT_IDENTITY, git


@pytest.fixture
def repo(tmp_path: Path, fitted, splits, params, monkeypatch) -> Path:
    """A repository with a model at paths.model, the splits it was trained and tested on,
    and a dvc.lock that records their md5."""
    from mlops.review.store import md5_of
    from mlops.train.model_io import save_model

    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    model = root / params.paths.model
    save_model(fitted[0], model)
    (root / "build").mkdir()
    shutil.copy(splits[0], root / params.paths.train)
    shutil.copy(splits[1], root / params.paths.test)
    outs = "".join(
        f"    - path: {path}\n      md5: {md5_of(root / path)}\n"
        for path in (params.paths.model, params.paths.train, params.paths.test)
    )
    (root / "dvc.lock").write_text(
        f"schema: '2.0'\nstages:\n  train:\n    cmd: mlops train\n    outs:\n{outs}"
    )
    shutil.copy(Path(__file__).resolve().parents[3] / "dvc.yaml", root / "dvc.yaml")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "model")
    return root


def test_the_workspace_bundle_loads_and_a_damaged_one_does_not(repo, params) -> None:
    meta = bundle(params, "", repo)
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
    assert bundle(params, version, repo)["version"] == version
    git(repo, "commit", "-q", "--allow-empty", "-m", "later")
    with pytest.raises(ModelError, match="check out the version's tag first"):
        bundle(params, version, repo)
    with pytest.raises(ModelError, match="is not registered"):
        bundle(params, "v7.0.0", repo)
    with pytest.raises(ModelError, match="not of the form"):
        bundle(params, "latest", repo)
    (repo / params.paths.model).write_bytes(b"another model")
    with pytest.raises(ModelError, match=r"is not the one dvc\.lock records"):
        bundle(params, "", repo)


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


def test_the_bundle_ships_the_models_drift_profile(repo, params) -> None:
    """The image knows its reference without git or DVC: profile.json, made of the locked
    splits, whose md5 metadata.json records; a damaged or missing one is a one-line reason
    (the service then serves without drift gauges)."""
    meta = bundle(params, "", repo)
    folder = repo / params.paths.bundle
    loaded = load_bundle(folder)
    expected = split_profile(params, loaded.model, repo)
    assert Profile.read(folder / "profile.json") == expected
    assert load_profile(params.paths.bundle, params, loaded, repo) == expected
    assert load_profile("workspace", params, loaded, repo) == expected  # the same splits
    assert meta["profile_md5"] == loaded.info.extra["profile_md5"]
    profile = folder / "profile.json"
    profile.write_text(profile.read_text().replace("Private", "Public", 1))
    with pytest.raises(ModelError, match="the profile is damaged"):
        load_profile(params.paths.bundle, params, loaded, repo)
    profile.unlink()
    with pytest.raises(ModelError, match="the bundle has no drift profile"):
        load_profile(params.paths.bundle, params, loaded, repo)


def test_a_bundle_needs_the_locked_splits_for_its_profile(repo, params) -> None:
    train = repo / params.paths.train
    train.write_text(train.read_text() + train.read_text().splitlines()[1] + "\n")
    with pytest.raises(ModelError, match=r"build/train\.csv: md5 \w{8} is not the one dvc\.lock"):
        bundle(params, "", repo)
    (repo / params.paths.test).unlink()
    train.unlink()
    with pytest.raises(ModelError, match=r"build/train\.csv: not found"):
        bundle(params, "", repo)


def test_a_registered_versions_profile_is_its_commits_reference(repo, params, monkeypatch):
    """prod and model@vX: the profile of the version's own commit, obtained through git and
    DVC as `mlops monitor` obtains its reference (monitor/reference.py)."""
    import mlops.monitor.online as online

    asked = []
    monkeypatch.setattr(online, "reference_profile",
                        lambda p, rev, root: asked.append((rev, root)) or "profile")  # fmt: skip
    version, _ = versions.register(repo, gate=passing_gate(repo))
    commit = git(repo, "rev-parse", "HEAD")
    info = ModelInfo(version, commit, None, "0" * 32, "test")
    assert load_profile(f"model@{version}", params, Loaded(None, info), repo) == "profile"
    assert asked == [(commit, repo)]
