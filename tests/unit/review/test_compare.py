"""One review on a real git + DVC repository: the champion's model comes from the DVC
cache by the md5 its commit's dvc.lock records, the challenger's from the workspace, and
both are scored on the challenger's test rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from mlops.core.config import Data
from mlops.data.prepare import read_split
from mlops.evaluate.predict import predict
from mlops.registry.versions import Champion
from mlops.review.compare import compare, removed_rows
from mlops.review.scoring import METRICS
from mlops.review.sides import Side
from mlops.review.store import OBTAINED_CACHE
from mlops.train.model_io import load_model, save_model
from mlops.train.models import hist_gradient_boosting, logistic_regression
from support.review import GATE, policy, review_repo
from support.synthetic import SPEC, records

SYNTHETIC = Data(id_column="row_id", time_column="month", target="label", positive_label="1",
                 slices=["group"])  # fmt: skip
SMALL_HGB = hist_gradient_boosting.Hyperparameters(
    learning_rate=0.2, max_iter=30, max_depth=3, max_leaf_nodes=8, min_samples_leaf=5,
    l2_regularization=0.0, early_stopping=False,
)  # fmt: skip


@pytest.fixture(scope="module")
def models(params, tmp_path_factory) -> tuple[Path, Path]:
    """(logistic regression, gradient boosting) model files fitted on synthetic records."""
    folder = tmp_path_factory.mktemp("models")
    frame = records(400)
    lr = logistic_regression.build(SPEC, params.train.logistic_regression, 0)
    hgb = hist_gradient_boosting.build(SPEC, SMALL_HGB, 0)
    save_model(lr.fit(frame[SPEC.columns], frame["label"]), folder / "lr.skops")
    save_model(hgb.fit(frame[SPEC.columns], frame["label"]), folder / "hgb.skops")
    return folder / "lr.skops", folder / "hgb.skops"


@pytest.fixture(scope="module")
def synthetic(params):
    return params.model_copy(update={"data": SYNTHETIC, "gate": GATE})


def test_an_unchanged_model_scores_the_same_and_passes(synthetic, models, tmp_path):
    rows = records(600, seed=5)
    commit = review_repo(tmp_path, synthetic, models[0], models[0], rows)
    with compare(
        synthetic, Champion(commit, "main", "rev"), policy(SYNTHETIC, GATE), tmp_path
    ) as review:
        assert review.base.obtained["model"] == OBTAINED_CACHE
        assert review.head.obtained["model"] == "workspace"
        assert (review.base.commit, review.head.commit) == (commit, commit)
        assert review.comparison.rows == 600
        assert review.test_path == synthetic.paths.test
        assert len(review.frame) == 600
        assert all(review.comparison.changes[m].delta == 0 for m in METRICS)
        assert review.decision.passed, [r.detail for r in review.decision.failed]


def test_each_side_is_scored_with_its_own_model(synthetic, models, tmp_path):
    rows = records(600, seed=5)
    commit = review_repo(tmp_path, synthetic, models[0], models[1], rows)
    with compare(
        synthetic, Champion(commit, "main", "rev"), policy(SYNTHETIC, GATE), tmp_path
    ) as review:
        comparison = review.comparison
        champion = predict(load_model(models[0]), rows)
        challenger = predict(load_model(models[1]), rows)
        assert np.array_equal(comparison.base_proba, champion)
        assert np.array_equal(comparison.head_proba, challenger)
        change = comparison.changes["roc_auc"]
        assert change.base == pytest.approx(roc_auc_score(rows["label"], champion))
        assert change.head == pytest.approx(roc_auc_score(rows["label"], challenger))
        assert set(comparison.head_slices) == {"group"}
        # The gate's ceilings read the challenger's runtime report and model file.
        latency = next(r for r in review.decision.rules if r.name == "latency_ms_p95")
        assert latency.value == 1.0
        size = next(r for r in review.decision.rules if r.name == "model_bytes")
        assert size.value == models[1].stat().st_size


# --- rows of the champion's own test split that the challenger's scored rows lack -------


def champion_with(snapshot: Path, params) -> Side:
    side = Side("main", "a" * 40, "champion", {"prepare": params.prepare.model_dump()})
    side.snapshot_path = snapshot
    return side


def test_the_champions_test_rows_missing_from_the_scored_rows_are_counted(
    params, splits, snapshot_path: Path
) -> None:
    test = read_split(splits[1])
    champion = champion_with(snapshot_path, params)
    same = removed_rows(champion, test, params)
    assert (same.champion_rows, same.removed) == (len(test), 0)

    hard = test[test["income"] == 1].head(250)  # a PR that drops rows its model gets wrong
    check = removed_rows(champion, test.drop(index=hard.index), params)
    assert (check.champion_rows, check.removed) == (len(test), 250)
    assert len(check.examples) == 5
    assert all(e.isdigit() for e in check.examples)
    assert sum(n for _, n in check.by_period) == 250
    assert {p for p, _ in check.by_period} <= set(test["month"].astype(str))

    # A new split salt moves rows between train and test: the champion's rows go missing.
    moved = champion_with(snapshot_path, params)
    moved.params = {"prepare": {**params.prepare.model_dump(), "split_salt": "other"}}
    assert removed_rows(moved, test, params).removed > 0.7 * len(test)


def test_a_split_by_group_is_the_champions_split_too(params, snapshot_path, tmp_path) -> None:
    """With data.group_column the champion's test rows are those its group hashes into
    (as prepare split them), from a Parquet snapshot too: scoring the same rows removes none."""
    from mlops.data.prepare import prepare
    from support.synthetic import grouped_copies

    grouped_copies(snapshot_path, tmp_path / "snap.parquet", 3000)
    data = params.data.model_copy(update={"group_column": "source_id"})
    grouped = params.model_copy(update={"data": data})
    _, test = prepare(tmp_path / "snap.parquet", data, params.prepare,
                      tmp_path / "train.parquet", tmp_path / "test.parquet")  # fmt: skip
    champion = champion_with(tmp_path / "snap.parquet", grouped)
    champion.params["data"] = data.model_dump()
    check = removed_rows(champion, test, grouped)
    assert (check.champion_rows, check.removed) == (len(test), 0)
