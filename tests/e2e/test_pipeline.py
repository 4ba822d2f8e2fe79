"""The whole pipeline on temporary clones: fresh-clone setup, no-op reruns, reproducibility."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from support.repos import ROOT, git, make_clone, run

pytestmark = pytest.mark.e2e

# On a fresh clone only the stages whose outputs are not in git run: the split files and
# the model live in the DVC cache. Everything else is already current in git.
FRESH_CLONE_STAGES = ["prepare", "train"]


def lock_outs(repo: Path) -> dict[str, str]:
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    return {
        out["path"]: out["md5"]
        for stage in lock["stages"].values()
        for out in stage.get("outs", [])
    }


def ran(output: str) -> list[str]:
    return re.findall(r"Running stage '(\w+)'", output)


def test_make_run_on_a_fresh_clone(tmp_path):
    """The README's first command on a clone with an empty DVC cache and remote."""
    repo = make_clone(tmp_path / "fresh")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.setdefault("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv"))
    result = run(["make", "run"], repo, env=env)
    assert "data: rebuilt from ingest.sources (matches data.dvc)" in result.stdout
    # Fails if dvc.lock was committed without rerunning the pipeline after a change.
    assert ran(result.stdout) == FRESH_CLONE_STAGES
    assert re.search(r"quality\s+roc_auc 0\.9[2-9]\d\d", result.stdout)
    # Rebuilt data hashes to what data.dvc records, and the rebuilt split and model hash to
    # what dvc.lock records: only the fit-time measurement differs.
    assert git(repo, "status", "--porcelain") == "M reports/training.json"
    assert lock_outs(repo) == lock_outs(ROOT)
    assert json.loads((repo / "reports/metrics.json").read_text())["roc_auc"] >= 0.92


def test_second_repro_reruns_nothing(pipeline_repo):
    result = run(["dvc", "repro"], pipeline_repo)
    assert ran(result.stdout) == []
    assert "Data and pipelines are up to date" in result.stdout


def test_cold_runs_give_identical_bytes(pipeline_copy):
    """Every stage rerun from an empty cache gives the bytes of the committed run."""
    repo = pipeline_copy
    shutil.rmtree(repo / ".dvc" / "cache")
    result = run(["dvc", "repro", "--force"], repo)
    assert ran(result.stdout) == ["validate", "prepare", "featurize", "train", "evaluate"]
    assert lock_outs(repo) == lock_outs(ROOT)
    for name in ("reports/metrics.json", "reports/slices.json", "reports/plots/roc.csv"):
        assert (repo / name).read_bytes() == (ROOT / name).read_bytes(), name


def test_train_param_change_reruns_only_train_and_evaluate(pipeline_copy):
    result = run(["dvc", "exp", "run", "-S", "train.hist_gradient_boosting.learning_rate=0.2"],
                 pipeline_copy)  # fmt: skip
    assert ran(result.stdout) == ["train", "evaluate"]
    shown = run(["dvc", "exp", "show", "--json"], pipeline_copy).stdout
    assert '"learning_rate": 0.2' in shown


def test_artifact_is_declared(pipeline_repo):
    dvc_yaml = yaml.safe_load((pipeline_repo / "dvc.yaml").read_text())
    assert dvc_yaml["artifacts"]["model"]["type"] == "model"
    assert (pipeline_repo / "models/model.skops").stat().st_size > 10_000


def test_metrics_and_plots_diff_work_from_git_history_alone(pipeline_copy):
    repo = pipeline_copy
    shutil.rmtree(repo / ".dvc" / "cache")  # no cache, no remote: only git
    params = yaml.safe_load((repo / "params.yaml").read_text())
    metrics = json.loads((repo / "reports/metrics.json").read_text())
    metrics["roc_auc"] = 0.5
    (repo / "reports/metrics.json").write_text(json.dumps(metrics))
    diff = run(["dvc", "metrics", "diff", "HEAD", "--md"], repo).stdout
    assert "reports/metrics.json" in diff
    assert "roc_auc" in diff
    assert "0.5" in diff
    assert params["train"]["model"] == "hist_gradient_boosting"


def test_mlops_repro_on_a_fresh_runner_restores_from_the_dvc_cache(pipeline_copy):
    """What pr.yml does on a new runner: a fresh checkout (no data/, no split files, no
    model) beside the DVC cache that actions/cache restored. Nothing changed, so nothing
    reruns; `dvc repro` alone would rerun prepare and train."""
    repo = pipeline_copy
    before = git(repo, "status", "--porcelain", "--untracked-files=no")
    run(["git", "clean", "-xfdq", "-e", ".dvc/cache"], repo)
    assert not (repo / "models/model.skops").exists()
    run(["mlops", "get-data"], repo)
    result = run(["mlops", "repro"], repo)
    assert ran(result.stdout) == []
    assert lock_outs(repo) == lock_outs(ROOT)
    assert (repo / "models/model.skops").exists()
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == before
