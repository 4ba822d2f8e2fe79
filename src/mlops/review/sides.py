"""The two sides of a comparison: the workspace (challenger) and a git revision (champion).

A side is what the report and the gate read about one model: its params as written, the
reports its pipeline run wrote, its data hash, and where its model file is. A revision's
small files come from git; its model and data are obtained by review/store.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from mlops.adapters import dvc, git
from mlops.adapters.gto import RegistryError
from mlops.core.config import Params
from mlops.core.errors import DataError
from mlops.core.files import parsed_or_none, read_json
from mlops.data.fetch import data_dvc_file
from mlops.evaluate.curves import PLOT_FILES

OBTAINED_WORKSPACE = "workspace"


@dataclass
class Side:
    """Everything the report and the gate read about one side."""

    label: str  # what a reviewer reads: "main", "model@v1.2.0 (prod)", "workspace"
    commit: str | None  # full sha; None outside git
    subject: str  # first line of the commit message (or a workspace note)
    params: dict[str, Any]  # params.yaml as written (not validated: it may be older)
    paths: dict[str, str] = field(default_factory=dict)  # its own `paths:` block
    model_path: Path | None = None
    snapshot_path: Path | None = None
    data_hash: str | None = None  # md5 that the data .dvc file records
    model_md5: str | None = None  # md5 that its dvc.lock records for the model
    reports: dict[str, Any] = field(default_factory=dict)  # runtime, training (json)
    importance: pd.DataFrame | None = None
    obtained: dict[str, str] = field(default_factory=dict)  # "model"/"data" -> how
    notes: list[str] = field(default_factory=list)

    @property
    def short(self) -> str:
        return self.commit[:7] if self.commit else "-"

    def model_bytes(self) -> int | None:
        return self.model_path.stat().st_size if self.model_path else None


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
    own = raw.get("paths")
    own = own if isinstance(own, dict) else {}
    return {**fallback.paths.model_dump(), **{k: v for k, v in own.items() if isinstance(v, str)}}


def importance_file(paths: dict[str, str]) -> str:
    return f"{paths['plots']}/{PLOT_FILES['importance']}"


def workspace_side(params: Params, root: Path | str = ".") -> Side:
    """The challenger: this working tree after `dvc repro`."""
    root = Path(root)
    raw = yaml.safe_load((root / params.source).read_text(encoding="utf-8"))
    commit = git.head(root)
    subject = ""
    if commit:
        subject = git.subject(root, commit)
        if git.has_uncommitted_changes(root):
            subject += " (+ uncommitted changes)"
    paths = params.paths
    side = Side("workspace", commit, subject, raw, paths=paths.model_dump())
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
    side.data_hash = dvc.tracked_md5(dvc_file.read_text() if dvc_file.exists() else None)
    for name in ("runtime", "training"):
        path = root / getattr(paths, name)
        side.reports[name] = read_json(path) if path.exists() else None
    importance = root / importance_file(side.paths)
    side.importance = _importance(importance.read_text() if importance.exists() else None)
    return side


def revision_side(commit: str, label: str, params: Params, root: Path | str = ".") -> Side:
    """The champion at a commit, from git alone: params, reports, data and model hashes.
    Its model and data files are not obtained here (review/store.py does that)."""
    root = Path(root)
    raw_text = git.show(root, commit, params.source.name)
    if raw_text is None:
        raise RegistryError(
            f"{label} ({commit[:7]}) has no {params.source.name}: not a commit of this project"
        )
    try:
        raw = yaml.safe_load(raw_text) or {}
    except yaml.YAMLError:
        raw = {}
    raw = raw if isinstance(raw, dict) else {}
    paths = _paths(raw, params)
    side = Side(label, commit, git.subject(root, commit), raw, paths=paths)
    for name in ("runtime", "training"):
        side.reports[name] = parsed_or_none(
            git.show(root, commit, paths[name]), json.loads, json.JSONDecodeError
        )
    side.importance = _importance(git.show(root, commit, importance_file(paths)))
    side.data_hash = dvc.tracked_md5(git.show(root, commit, data_dvc_file(paths["snapshot"])))
    side.model_md5 = dvc.locked_md5(git.show(root, commit, "dvc.lock"), paths["model"])
    return side
