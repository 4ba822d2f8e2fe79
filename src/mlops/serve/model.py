"""Which model the service scores with, and where its file comes from.

`MODEL` (make serve) / `--model` (mlops serve) names it:
- empty or `workspace`: the model in this working tree (`paths.model`, after `dvc repro`);
- `model@v1.2.0` or `v1.2.0`: a registered version; `prod`: the current prod version.
  Its file comes as the review's champion does (review/store.py): the DVC cache, else
  the DVC remote, else a rebuild of its commit;
- a folder written by `mlops bundle` (model file + metadata.json): what the image holds.

Loading goes through train/model_io.py (skops with an allow-list, never pickle).

Beside the model, its drift profile (monitor/online.py: the bins and counts of its
training rows and of its scores on held-out rows) for the online drift gauges, from
where the model comes: the working tree's splits (workspace), `profile.json` in the
bundle (written by `mlops bundle`), or the version's commit through git and DVC, as
`mlops monitor` gets its reference (registered versions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops.adapters import dvc, git
from mlops.core.config import Params
from mlops.core.errors import DataError, MlopsError
from mlops.core.files import read_json
from mlops.data.fetch import data_dvc_file
from mlops.registry import versions

if TYPE_CHECKING:
    from mlops.monitor.online import Profile

WORKSPACE = "workspace"
METADATA = "metadata.json"
MODEL_FILE = "model.skops"
PROFILE_FILE = "profile.json"
BUNDLE, REGISTERED = "bundle", "registered"


class ModelError(MlopsError):
    """The model to serve cannot be found, obtained or loaded."""


@dataclass(frozen=True)
class ModelInfo:
    """What /metadata says about the model being served."""

    version: str  # "v1.2.0", or "workspace"
    commit: str | None
    data_hash: str | None
    model_md5: str
    source: str  # where the file came from
    metrics: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "commit": self.commit,
            "data_hash": self.data_hash,
            "model_md5": self.model_md5,
            "source": self.source,
            "metrics": self.metrics,
        }


@dataclass(frozen=True)
class Loaded:
    model: Any  # a fitted sklearn Pipeline
    info: ModelInfo


def _load_file(path: Path) -> Any:
    from mlops.train.model_io import load_model

    try:
        return load_model(path)
    except DataError as exc:
        raise ModelError(str(exc)) from None
    except Exception as exc:  # skops on a damaged archive: anything; one line all the same
        raise ModelError(f"{path}: cannot load the model ({type(exc).__name__}: {exc})") from None


def _metrics_at(root: Path, commit: str | None, path: str) -> dict[str, Any] | None:
    import json

    text = git.show(root, commit, path) if commit else None
    try:
        value = json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def load_workspace(params: Params, root: Path) -> Loaded:
    from mlops.review.store import md5_of

    path = root / params.paths.model
    if not path.is_file():
        raise ModelError(f"{params.paths.model}: model file not found (run `make run` first)")
    model = _load_file(path)
    dvc_file = root / data_dvc_file(params.paths.snapshot)
    metrics_file = root / params.paths.metrics
    info = ModelInfo(
        version=WORKSPACE,
        commit=git.head(root),
        data_hash=dvc.tracked_md5(dvc_file.read_text() if dvc_file.exists() else None),
        model_md5=md5_of(path),
        source=f"workspace {params.paths.model}",
        metrics=read_json(metrics_file) if metrics_file.exists() else None,
    )
    return Loaded(model, info)


def registered_version(spec: str, root: Path) -> tuple[str, str]:
    """(version, commit) that `prod`, `model@v1.2.0` or `v1.2.0` names."""
    if spec == versions.PROD_STAGE:
        found = versions.prod_version(root)
        if found is None:
            raise ModelError(f"no {versions.ARTIFACT} version is in {versions.PROD_STAGE} yet")
        return found
    version = spec.removeprefix(f"{versions.ARTIFACT}@")
    if not re.fullmatch(versions.SEMVER, version):
        raise ModelError(
            f"MODEL={spec!r}: use `workspace`, `prod`, `{versions.ARTIFACT}@v1.2.0` "
            "or a bundle folder"
        )
    known = versions.versions(root)
    if version not in known:
        raise ModelError(f"{versions.ARTIFACT}@{version} is not registered (see `gto show`)")
    return version, known[version]


def load_registered(spec: str, params: Params, root: Path) -> Loaded:
    from mlops.review.sides import revision_side
    from mlops.review.store import md5_of, obtain

    version, commit = registered_version(spec, root)
    side = revision_side(commit, f"{versions.ARTIFACT}@{version}", params, root)
    with obtain(side, root, need_data=False) as got:
        assert got.model_path is not None
        model = _load_file(got.model_path)
        md5 = md5_of(got.model_path)
        how = got.obtained.get("model", "?")
    info = ModelInfo(
        version=version,
        commit=commit,
        data_hash=side.data_hash,
        model_md5=md5,
        source=f"{versions.ARTIFACT}@{version} from the {how}",
        metrics=_metrics_at(root, commit, side.paths["metrics"]),
    )
    return Loaded(model, info)


def load_bundle(folder: Path) -> Loaded:
    from mlops.review.store import md5_of

    meta_path, model_path = folder / METADATA, folder / MODEL_FILE
    try:
        meta = read_json(meta_path)
    except DataError as exc:
        raise ModelError(str(exc)) from None
    if not model_path.is_file():
        raise ModelError(f"{model_path}: model file not found in the bundle")
    md5 = md5_of(model_path)
    if md5 != meta.get("model_md5"):
        raise ModelError(
            f"{model_path}: md5 {md5[:8]} differs from {METADATA}'s "
            f"{str(meta.get('model_md5'))[:8]}: the bundle is damaged"
        )
    model = _load_file(model_path)
    info = ModelInfo(
        version=str(meta.get("version", "?")),
        commit=meta.get("commit"),
        data_hash=meta.get("data_hash"),
        model_md5=md5,
        source=f"bundle {folder}",
        metrics=meta.get("metrics"),
        extra={"profile_md5": meta.get("profile_md5")},
    )
    return Loaded(model, info)


def kind_of(spec: str, root: Path) -> str:
    """WORKSPACE, BUNDLE (a folder) or REGISTERED (prod, model@v1.2.0, v1.2.0)."""
    if spec in ("", WORKSPACE):
        return WORKSPACE
    if (root / spec).is_dir() or Path(spec).is_absolute():
        return BUNDLE
    return REGISTERED


def load(spec: str, params: Params, root: Path | str = ".") -> Loaded:
    """The model that `spec` (MODEL) names, loaded; ModelError (one line) if it cannot be."""
    root = Path(root)
    spec = spec.strip()
    try:
        kind = kind_of(spec, root)
        if kind == WORKSPACE:
            return load_workspace(params, root)
        if kind == BUNDLE:
            return load_bundle(root / spec)
        return load_registered(spec, params, root)
    except ModelError:
        raise
    except MlopsError as exc:  # registry, git, DVC: the same one line, as a model error
        raise ModelError(str(exc)) from None


def load_profile(spec: str, params: Params, loaded: Loaded, root: Path | str = ".") -> Profile:
    """The drift profile of the model `spec` names, already `loaded`; an MlopsError (one
    line: why) when it has none, and the service then serves without drift gauges."""
    from mlops.monitor.online import Profile, reference_profile, split_profile
    from mlops.review.store import md5_of

    root = Path(root)
    spec = spec.strip()
    kind = kind_of(spec, root)
    if kind == WORKSPACE:
        return split_profile(params, loaded.model, root)
    if kind == BUNDLE:
        path = root / spec / PROFILE_FILE
        if not path.is_file():
            raise ModelError(f"{path}: the bundle has no drift profile (an older `mlops bundle`)")
        if md5_of(path) != loaded.info.extra.get("profile_md5"):
            raise ModelError(f"{path}: md5 differs from {METADATA}'s: the profile is damaged")
        return Profile.read(path)
    assert loaded.info.commit is not None
    return reference_profile(params, loaded.info.commit, root=root)
