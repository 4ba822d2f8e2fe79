"""Building blocks for the review's unit tests: a synthetic Review (scores, sides,
decision) for the report sections and the gate file, and a real git + DVC repository
with a champion commit and a challenger workspace for compare and run_gate."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from mlops.core.config import Bootstrap, Data, Evaluate, Gate, Params
from mlops.core.files import write_json
from mlops.review.compare import Review
from mlops.review.policy import Decision, decide
from mlops.review.policy_source import Policy, resolve_policy
from mlops.review.scoring import Comparison, compare_scores
from mlops.review.sides import Side
from support.repos import git

DATA = Data(id_column="row_id", time_column="month", target="y", positive_label="1", slices=["g"])
EVALUATE = Evaluate(
    threshold=0.5, min_slice_size=100, calibration_bins=10, curve_points=101,
    importance_repeats=1, latency_rows=10,
)  # fmt: skip
BOOT = Bootstrap(resamples=200, confidence=0.95, seed=0)
GATE = Gate(
    primary_metric="roc_auc", margin=0.005, bootstrap=BOOT, floors={"roc_auc": 0.7},
    slice_metrics=["roc_auc", "accuracy"], slice_tolerance=0.03,
    fairness_gaps=["true_positive_rate", "false_positive_rate"], gap_tolerance=0.05,
    max_latency_ms_p95=50.0, max_model_bytes=1_000_000,
)  # fmt: skip
BASE_SHA, HEAD_SHA = "a" * 40, "b" * 40


def world(n: int = 2000, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Rows in groups a (70 %), b (28 %), c (2 %: small); a good model's probabilities."""
    rng = np.random.default_rng(seed)
    groups = rng.choice(["a", "b", "c"], n, p=[0.7, 0.28, 0.02])
    signal = rng.normal(size=n)
    y = (signal + rng.normal(scale=0.8, size=n) > 0.6).astype(int)
    proba = 1 / (1 + np.exp(-(2.2 * signal - 1.3)))
    return pd.DataFrame({"g": groups, "y": y}), y, proba


def synthetic_review(
    head_proba: np.ndarray | None = None,
    base: Side | None = None,
    head: Side | None = None,
    latency: float | None = 5.0,
) -> Review:
    """A Review of a champion scoring `world()`'s probabilities and a challenger scoring
    `head_proba` (the same, by default) on the same rows."""
    base = base or Side("main", BASE_SHA, "champion subject", {"train": {"seed": 1}})
    head = head or Side("workspace", HEAD_SHA, "challenger subject", {"train": {"seed": 2}})
    key = None if head_proba is None else np.asarray(head_proba, dtype=np.float64).tobytes()
    frame, comparison, decision = _scored(key, latency)
    return Review(base, head, comparison, decision, "build/test.csv", frame, policy(), None)


def policy(data: Data = DATA, gate: Gate = GATE, min_slice_size: int = 100) -> Policy:
    """The policy of a base and a challenger that both hold these rules (unchanged)."""
    raw = {
        "gate": gate.model_dump(mode="json"),
        "evaluate": {"min_slice_size": min_slice_size},
        "data": {"slices": list(data.slices)},
    }
    return resolve_policy(raw, raw, "main", BASE_SHA)


@functools.cache
def _scored(head: bytes | None, latency: float | None) -> tuple[pd.DataFrame, Comparison, Decision]:
    """Scoring and decision for one challenger, computed once per process (the tests only
    read them)."""
    frame, y, proba = world()
    head_proba = proba if head is None else np.frombuffer(head, dtype=np.float64)
    comparison = compare_scores(frame, y, proba, head_proba, DATA, EVALUATE, BOOT)
    return frame, comparison, decide(comparison, GATE, EVALUATE.min_slice_size, latency, 10_000)


def review_repo(root: Path, params: Params, champion: Path, challenger: Path, rows: pd.DataFrame,
                latency_ms_p95: float = 1.0) -> str:  # fmt: skip
    """A git + DVC repository at root: its one commit is the champion (dvc.lock records the
    champion model file, which is in the DVC cache only; data.dvc the rows as its data
    snapshot; params.yaml is `params`, so its policy is theirs); the workspace holds the
    challenger model, its runtime report and the test rows. Returns the champion commit."""
    from dvc.repo import Repo

    from mlops.adapters.dvc import Dvc, quiet
    from mlops.review.store import md5_of

    p = params.paths
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    # quiet: DVC's log handlers hold the stdout of the test that first imported
    # DVC (closed by now when that test captured its output).
    with quiet():
        Repo.init(str(root)).close()
    md5 = md5_of(champion)
    store = Dvc(root)
    cached = Path(store.repo.cache.local.oid_to_path(md5))
    store.close()
    cached.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(champion, cached)
    out = {"path": p.model, "hash": "md5", "md5": md5, "size": champion.stat().st_size}
    lock = {"schema": "2.0", "stages": {"train": {"cmd": "mlops train", "outs": [out]}}}
    (root / "dvc.lock").write_text(yaml.safe_dump(lock))
    raw = params.model_dump(mode="json", by_alias=True)
    (root / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    write_json(root / p.runtime, {"latency_ms_p95": 2.0})
    write_json(root / p.training, {"model": "logistic_regression", "rows": 400})
    snapshot = root / p.snapshot
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(snapshot, index=False)
    with quiet():
        store = Dvc(root)
        store.add(snapshot.parent)  # data.dvc: the champion's data, by hash, in the cache
        store.close()
    git(root, "add", "params.yaml", "dvc.lock", "reports", ".dvc", f"{snapshot.parent}.dvc")
    git(root, "add", "-f", ".gitignore")
    git(root, "commit", "-q", "-m", "champion model")
    commit = git(root, "rev-parse", "HEAD")
    (root / p.model).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(challenger, root / p.model)
    write_json(root / p.runtime, {"latency_ms_p95": latency_ms_p95})
    (root / p.test).parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(root / p.test, index=False)
    return commit
