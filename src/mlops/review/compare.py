"""One review: obtain both sides, score both models on the same rows, apply the policy.

`mlops report` and `mlops gate` both go through `compare`, so the comment a reviewer
reads and the status check that blocks the merge can never disagree on a number.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mlops.core.config import Params
from mlops.data.prepare import read_split
from mlops.registry.versions import Champion
from mlops.review.policy import Decision, decide
from mlops.review.scoring import Comparison, compare_models
from mlops.review.sides import Side, revision_side, workspace_side
from mlops.review.store import obtain
from mlops.train.model_io import load_model


@dataclass(frozen=True)
class Review:
    base: Side  # the champion
    head: Side  # the challenger (workspace)
    comparison: Comparison
    decision: Decision
    test_path: str  # the rows both models were scored on
    frame: pd.DataFrame


@contextlib.contextmanager
def compare(
    params: Params, champion: Champion, root: Path | str = ".", need_data: bool = False
) -> Iterator[Review]:
    """The review of the workspace against the champion; need_data: also obtain the
    champion's data snapshot (the report's data diff; the gate does not need it)."""
    root = Path(root)
    head = workspace_side(params, root)
    base = revision_side(champion.commit, champion.label, params, root)
    with obtain(base, root, need_data, head) as base:
        frame = read_split(root / params.paths.test)
        assert base.model_path is not None
        assert head.model_path is not None
        comparison = compare_models(
            load_model(base.model_path),
            load_model(head.model_path),
            frame,
            params.data,
            params.evaluate,
            params.gate.bootstrap,
        )
        runtime = head.reports.get("runtime") or {}
        decision = decide(
            comparison,
            params.gate,
            params.evaluate.min_slice_size,
            runtime.get("latency_ms_p95"),
            head.model_bytes() or 0,
        )
        yield Review(base, head, comparison, decision, params.paths.test, frame)
