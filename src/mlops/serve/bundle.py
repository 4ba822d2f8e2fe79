"""`mlops bundle`: what the serving image holds, written to `paths.bundle`.

The model file, its drift profile (`profile.json`: the bins and counts of its training
rows and of its scores on the test split, for the online drift gauges; no row of data),
`metadata.json` (version, commit, data hash, model and profile md5, metrics) and a
`VERSION` file. The model is the workspace's, and must be the one dvc.lock records (the
pipeline is byte-reproducible, so a promotion run that reproduced it gets the same
bytes), and so must the splits the profile is made of; a registered VERSION must be the
checked-out commit. The image thus needs neither git nor DVC to know its reference.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from mlops.adapters import dvc, git
from mlops.core.config import Params
from mlops.core.files import read_json, write_json, write_text
from mlops.data.fetch import data_dvc_file
from mlops.registry import versions
from mlops.serve.model import METADATA, MODEL_FILE, PROFILE_FILE, WORKSPACE, ModelError

VERSION_FILE = "VERSION"


def bundle(params: Params, version: str, root: Path | str = ".") -> dict[str, Any]:
    from mlops.monitor.online import split_profile
    from mlops.review.store import md5_of
    from mlops.train.model_io import load_model

    paths = params.paths
    root = Path(root)
    version = version.strip() or WORKSPACE
    if version != WORKSPACE and not re.fullmatch(versions.SEMVER, version):
        raise ModelError(f"VERSION {version!r} is not of the form v1.2.3 (or `workspace`)")
    head = git.head(root)
    if version != WORKSPACE:
        commit = versions.versions(root).get(version)
        if commit is None:
            raise ModelError(f"{versions.ARTIFACT}@{version} is not registered")
        if commit != head:
            raise ModelError(
                f"{versions.ARTIFACT}@{version} is commit {commit[:7]}, but {str(head)[:7]} "
                "is checked out: check out the version's tag first (in Actions: run the "
                "workflow from that tag)"
            )
    model = root / paths.model
    if not model.is_file():
        raise ModelError(f"{paths.model}: not found (run the pipeline first)")
    md5 = md5_of(model)
    lock = root / "dvc.lock"
    lock_text = lock.read_text() if lock.exists() else None
    locked = dvc.locked_md5(lock_text, paths.model)
    if locked != md5:
        raise ModelError(
            f"{paths.model}: md5 {md5[:8]} is not the one dvc.lock records "
            f"({str(locked)[:8]}); run `dvc repro` so the image holds the locked model"
        )
    for split in (paths.train, paths.test):  # the profile's rows: the locked model's own
        if not (root / split).is_file():
            raise ModelError(f"{split}: not found (run the pipeline first)")
        found, recorded = md5_of(root / split), dvc.locked_md5(lock_text, split)
        if found != recorded:
            raise ModelError(
                f"{split}: md5 {found[:8]} is not the one dvc.lock records "
                f"({str(recorded)[:8]}); run `dvc repro` so the drift profile is the model's"
            )
    profile = split_profile(params, load_model(model), root)
    dvc_file = root / data_dvc_file(paths.snapshot)
    metrics = root / paths.metrics
    meta = {
        "version": version,
        "commit": head,
        "data_hash": dvc.tracked_md5(dvc_file.read_text() if dvc_file.exists() else None),
        "model_md5": md5,
        "metrics": read_json(metrics) if metrics.exists() else None,
    }
    out = root / paths.bundle
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copyfile(model, out / MODEL_FILE)
    profile.write(out / PROFILE_FILE)
    meta["profile_md5"] = md5_of(out / PROFILE_FILE)
    write_json(out / METADATA, meta)
    write_text(out / VERSION_FILE, version + "\n")
    return meta
