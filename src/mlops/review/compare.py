"""One review: obtain both sides, score both models on the same rows, apply the policy.

`mlops report` and `mlops gate` both go through `compare` (for the workspace:
`workspace_review`), so the comment a reviewer reads and the status check that blocks the
merge can never disagree on a number; `mlops review` writes both from one comparison. The
policy is passed in (review/policy_source.py: the base revision's), never read from the
workspace here; so is, for the trusted gate, the challenger (a PR's model as data) and
the rows to score it on (its data split by the base's code).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from mlops.core.config import Params, Prepare
from mlops.core.errors import DataError
from mlops.core.files import read_table
from mlops.data.prepare import read_split, test_mask
from mlops.registry.versions import Champion, resolve_champion
from mlops.review.policy import Decision, RowsCheck, decide
from mlops.review.policy_source import Policy, base_policy
from mlops.review.scoring import Comparison, compare_models
from mlops.review.sides import Side, revision_side, workspace_side
from mlops.review.store import obtain
from mlops.train.model_io import load_model

EXAMPLES = 5  # removed row ids shown


@dataclass(frozen=True)
class Review:
    base: Side  # the champion
    head: Side  # the challenger (workspace, or a PR's model in the trusted gate)
    comparison: Comparison
    decision: Decision
    test_path: str  # the rows both models were scored on
    frame: pd.DataFrame
    policy: Policy
    rows: RowsCheck | None


def removed_rows(champion: Side, frame: pd.DataFrame, params: Params) -> RowsCheck:
    """Which rows of the champion's own test split (its data, its commit's split) are not
    among the rows scored now."""
    assert champion.snapshot_path is not None
    data = params.data
    raw = champion.params
    try:
        prepare = Prepare.model_validate(raw.get("prepare"))
    except ValidationError:  # an older or odd params.yaml: the split as configured here
        prepare = params.prepare
    found = raw.get("data")
    raw_data: dict[str, Any] = found if isinstance(found, dict) else {}
    named = raw_data.get("id_column")
    key = named if isinstance(named, str) and named else data.id_column
    grouped = raw_data.get("group_column", data.group_column)
    group = grouped if isinstance(grouped, str) and grouped else None
    if key not in frame.columns:
        raise DataError(f"the scored rows have no id column {key!r}")
    wanted = {key, data.time_column} | ({group} if group else set())
    snapshot = read_table(champion.snapshot_path, wanted, low_memory=False)
    for column in (key, group):
        if column and column not in snapshot.columns:
            raise DataError(f"the champion's data has no column {column!r}")
    # the champion's split: its id and group columns, its salt and fraction
    split_by = data.model_copy(update={"id_column": key, "group_column": group})
    test = snapshot[test_mask(snapshot, split_by, prepare)]
    gone = test[~test[key].isin(set(frame[key]))]
    by_period: tuple[tuple[str, int], ...] = ()
    if data.time_column in gone.columns:
        counts = gone[data.time_column].astype(str).value_counts().sort_index()
        by_period = tuple((str(p), int(n)) for p, n in counts.items())
    examples = tuple(str(v) for v in sorted(gone[key].tolist(), key=str)[:EXAMPLES])
    return RowsCheck(key, len(test), len(gone), examples, by_period)


@contextlib.contextmanager
def compare(
    params: Params,
    champion: Champion,
    policy: Policy,
    root: Path | str = ".",
    need_data: bool = False,
    head: Side | None = None,
    scored: Path | None = None,
) -> Iterator[Review]:
    """The review of the challenger (default: the workspace) against the champion, under
    `policy`. need_data: also obtain the champion's data snapshot (the report's data diff
    and the rows_removed rule need it). scored: the rows to score (default: the
    workspace's test split)."""
    root = Path(root)
    head = head or workspace_side(params, root)
    base = revision_side(champion.commit, champion.label, params, root)
    test_path = scored or root / params.paths.test
    with obtain(base, root, need_data, head) as base:
        frame = read_split(test_path)
        missing = [c for c in policy.slices if c not in frame.columns]
        if missing:
            raise DataError(f"the policy slices by {missing[0]!r}, which the scored rows lack")
        assert base.model_path is not None
        assert head.model_path is not None
        comparison = compare_models(
            load_model(base.model_path),
            load_model(head.model_path),
            frame,
            params.data.model_copy(update={"slices": policy.slices}),
            params.evaluate.model_copy(update={"min_slice_size": policy.min_slice_size}),
            policy.gate.bootstrap,
        )
        rows = removed_rows(base, frame, params) if base.snapshot_path is not None else None
        runtime = head.reports.get("runtime") or {}
        decision = decide(
            comparison,
            policy.gate,
            policy.min_slice_size,
            runtime.get("latency_ms_p95"),
            head.model_bytes() or 0,
            rows,
        )
        shown = params.paths.test if scored is None else str(scored)
        yield Review(base, head, comparison, decision, shown, frame, policy, rows)


@contextlib.contextmanager
def workspace_review(
    params: Params, champion_rev: str | None, base: str, root: Path | str = "."
) -> Iterator[tuple[Champion, Review]]:
    """The workspace's review as `mlops gate`, `mlops report` and `mlops review` see it:
    the champion `champion_rev`, else the current prod model, else `base`; the policy of
    `base`; the champion's data obtained too (data diff, removed rows)."""
    root = Path(root)
    champion = resolve_champion(champion_rev, base, root)
    policy = base_policy(params, base, root)
    with compare(params, champion, policy, root, need_data=True) as result:
        yield champion, result
