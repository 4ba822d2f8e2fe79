"""The reference the monitor compares new rows with: the production model and the data it
was trained on.

The champion is chosen as the gate chooses it (registry/versions.py): the current GTO
`prod` version, else `--base`. Its model and data snapshot are obtained by hash, the
way the review obtains a champion (review/store.py: DVC cache, else DVC remote, else a
rebuild of that commit), and split as that commit's own `prepare:` split them: its
train rows are the reference for input drift, and its test rows (held out, so scored
as new rows are) the reference for prediction drift and performance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from mlops.adapters import dvc, git
from mlops.core.config import Bootstrap, Data, Params, Prepare
from mlops.data.fetch import data_dvc_file
from mlops.data.prepare import clean, test_mask
from mlops.data.validate import read_snapshot
from mlops.evaluate.predict import input_columns, predict
from mlops.monitor.drift import ReferenceColumn
from mlops.monitor.performance import Estimate, reference_quality
from mlops.registry.versions import Champion, resolve_champion
from mlops.review.sides import Side, revision_side
from mlops.review.store import obtain
from mlops.train.model_io import load_model


@dataclass
class Reference:
    champion: Champion
    model: Any  # the fitted Pipeline
    train: pd.DataFrame  # the rows it learned from (target as 0/1)
    test: pd.DataFrame  # the rows held out from it
    data: Data  # what the columns mean, as that commit's params say
    obtained: dict[str, str] = field(default_factory=dict)  # "model"/"data" -> how
    notes: list[str] = field(default_factory=list)

    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def columns(self, bins: int, min_share: float) -> list[ReferenceColumn]:
        """The training rows' figures per input column (computed once per reference)."""
        key = ("columns", bins, min_share)
        if key not in self._memo:
            self._memo[key] = [
                ReferenceColumn.of(self.train[c], bins, min_share)
                for c in self.inputs
                if c in self.train.columns
            ]
        found: list[ReferenceColumn] = self._memo[key]
        return found

    def scores(self) -> np.ndarray:
        """The model's scores on its held-out rows (computed once per reference)."""
        if "scores" not in self._memo:
            self._memo["scores"] = predict(self.model, self.test, "the reference")
        found: np.ndarray = self._memo["scores"]
        return found

    def quality(
        self, metric: str, threshold: float, cfg: Bootstrap
    ) -> tuple[Estimate, np.ndarray] | None:
        """The model's `metric` on its held-out rows, with bootstrap replicates (once)."""
        key = ("quality", metric, threshold, cfg)
        if key not in self._memo:
            y = self.test[self.data.target].to_numpy(dtype=np.int64)
            self._memo[key] = reference_quality(y, self.scores(), metric, threshold, cfg)
        found: tuple[Estimate, np.ndarray] | None = self._memo[key]
        return found

    @property
    def inputs(self) -> list[str]:
        """The raw columns the model takes: the ones whose drift matters."""
        return input_columns(self.model)

    @property
    def newest_month(self) -> str | None:
        months = self.train[self.data.time_column].dropna().astype(str)
        return str(months.max()) if len(months) else None


def _section(raw: dict[str, Any], name: str, kind: type[Any], fallback: Any) -> Any:
    """A section of the champion commit's params.yaml, else the workspace's."""
    try:
        return kind.model_validate(raw.get(name))
    except ValidationError:
        return fallback


def _workspace_data(params: Params, root: Path) -> Side:
    """The workspace's snapshot, offered to obtain(): used when the champion has the same
    data hash (no prod yet, or no new data since prod), so nothing is fetched."""
    side = Side("workspace", git.head(root), "", {}, paths=params.paths.model_dump())
    snapshot = root / params.paths.snapshot
    side.snapshot_path = snapshot if snapshot.exists() else None
    dvc_file = root / data_dvc_file(params.paths.snapshot)
    side.data_hash = dvc.tracked_md5(dvc_file.read_text() if dvc_file.exists() else None)
    return side


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable integers as floats (NaN for missing), as the model saw its training rows
    read back from CSV; text stays text."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.Int64Dtype):
            out[column] = out[column].astype("float64")
    return out


def load_reference(
    params: Params, champion_rev: str | None, base: str, root: Path | str = "."
) -> Reference:
    """The champion's model and its train/test rows (see the module docstring)."""
    root = Path(root).resolve()
    champion = resolve_champion(champion_rev, base, root)
    side = revision_side(champion.commit, champion.label, params, root)
    data = _section(side.params, "data", Data, params.data)
    split = _section(side.params, "prepare", Prepare, params.prepare)
    with obtain(side, root, need_data=True, head=_workspace_data(params, root)) as side:
        assert side.model_path is not None
        assert side.snapshot_path is not None
        model = load_model(side.model_path)
        frame = plain(clean(read_snapshot(side.snapshot_path, data), data))
    in_test = test_mask(frame, data, split)
    return Reference(
        champion,
        model,
        frame[~in_test].reset_index(drop=True),
        frame[in_test].reset_index(drop=True),
        data,
        dict(side.obtained),
        list(side.notes),
    )
