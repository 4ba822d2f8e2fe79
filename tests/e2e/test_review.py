"""A real PR, simulated in a temporary clone with git and DVC: `mlops report`, `mlops gate`
and `mlops review` (both from one comparison) on branches that make the model worse,
change nothing, or append months.

Each test starts from `pipeline_copy` (the pipeline already ran once on main) and only
reruns the stages its change touches.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from mlops.core.config import load_params
from mlops.core.errors import MlopsError
from mlops.core.files import write_json
from mlops.data.prepare import read_split
from mlops.evaluate.metrics import quality
from mlops.registry import versions as registry
from mlops.review.gate import run_gate
from mlops.review.report import run_report
from mlops.train.model_io import load_model
from support.mermaid_check import blocks, check
from support.repos import git, mlops, run

pytestmark = pytest.mark.e2e


def set_param(repo: Path, pattern: str, replacement: str) -> None:
    path = repo / "params.yaml"
    text, count = re.subn(pattern, replacement, path.read_text(), count=1, flags=re.M)
    assert count == 1, pattern
    path.write_text(text)


def on_main(repo: Path) -> Path:
    """Commit the pipeline run on main, as the merge of the previous PR would have."""
    git(repo, "add", "-A")
    if git(repo, "status", "--porcelain"):
        git(repo, "commit", "-q", "-m", "pipeline outputs")
    return repo


def gate(repo: Path, *args: str) -> tuple[int, dict]:
    result = mlops(repo, "gate", *args)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads((repo / "reports/gate.json").read_text())


def test_worse_branch_is_reported_and_blocked_even_when_the_champion_must_be_rebuilt(
    pipeline_copy: Path,
):
    repo = on_main(pipeline_copy)
    run(["dvc", "push"], repo)  # main's CI would have pushed its outputs (local remote)
    git(repo, "checkout", "-q", "-b", "shallow")
    set_param(repo, r"^    max_iter: 300$", "    max_iter: 3")
    set_param(repo, r"^    max_depth: null$", "    max_depth: 1")
    run(["dvc", "repro"], repo)
    git(repo, "commit", "-q", "-am", "shallow trees")

    # The report: verdict first, the drop with its CI, the params diff, parseable charts.
    assert mlops(repo, "report", "--base", "main").returncode == 0
    report = (repo / "reports/report.md").read_text()
    first = report.splitlines()[0]
    assert first.startswith("**Gate: FAILED**")
    assert "`non_inferiority:roc_auc`" in first
    row = next(line for line in report.splitlines() if line.startswith("| **roc_auc**"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    base, head, change, ci, reading = (float(cells[1]), float(cells[2]), float(cells[3]),
                                       cells[4], cells[5])  # fmt: skip
    low, high = (float(x) for x in ci.strip("[]").split(","))
    assert change == pytest.approx(head - base, abs=2e-4)
    assert low <= change <= high < 0
    assert reading == "worse"
    assert "| `train.hist_gradient_boosting.max_iter` | `300` | `3` |" in report
    assert "Same data on both sides" in report
    assert len(report) < 65_536
    diagrams = blocks(report)
    assert len(diagrams) == 4
    assert [r["error"] for r in check(diagrams)] == [None] * 4

    # The gate: exit 1, the failed rule named, the champion's model from the DVC cache.
    code, cached = gate(repo, "--champion", "main")
    assert code == 1
    assert cached["decision"] == "fail"
    assert "non_inferiority:roc_auc" in cached["failed"]
    assert cached["champion"]["model"] == "DVC cache"
    assert cached["champion"]["commit"] == git(repo, "rev-parse", "main")
    rule = next(r for r in cached["rules"] if r["name"] == "non_inferiority:roc_auc")
    assert rule["value"] < rule["threshold"]
    assert rule["passed"] is False
    # (`make review` on a failing model, as the PR's report job runs it: the act test of
    # the worse PR; its bytes against gate + report: tests/unit/review/test_once.py)

    # A fresh CI runner with a DVC remote: no cache, the champion's model comes from the
    # remote (here the default local remote, .dvc-storage).
    shutil.rmtree(repo / ".dvc" / "cache")
    code, remote = gate(repo, "--champion", "main")
    assert code == 1
    assert remote["champion"]["model"] == "DVC remote"
    assert remote["rules"] == cached["rules"]
    shutil.rmtree(repo / ".dvc-storage")

    # A fresh fork: no DVC cache, no remote. The gate rebuilds the champion and decides
    # the same, because the rebuild is bit-for-bit the champion. (Run in this process, so
    # that the rebuild code is measured by coverage; the exit code is checked above.)
    assert not (repo / ".dvc" / "cache").exists()
    assert not (repo / ".dvc-storage").exists()
    rebuilt = run_gate(load_params(repo / "params.yaml"), "main", "main", repo)
    assert rebuilt == json.loads((repo / "reports/gate.json").read_text())
    assert rebuilt["decision"] == "fail"
    assert rebuilt["champion"]["model"] == "rebuilt by reproducing the commit"
    assert rebuilt["champion"]["notes"] == []  # its md5 matched main's dvc.lock
    assert rebuilt["rules"] == cached["rules"]
    assert git(repo, "worktree", "list").count("\n") == 0  # the temporary worktree is gone


def test_unchanged_branch_passes_against_the_prod_model_from_the_registry(pipeline_copy: Path):
    repo = on_main(pipeline_copy)
    # Promoted as promote.yml does: registered with the passing gate, staging, then prod.
    head = git(repo, "rev-parse", "HEAD")
    passed = {"decision": "pass", "challenger": {"commit": head}, "champion": {}}
    assert registry.register(repo, gate=passed) == ("v1.0.0", ["model@v1.0.0"])
    registry.assign("staging", "v1.0.0", repo)
    registry.assign("prod", "v1.0.0", repo)
    git(repo, "checkout", "-q", "-b", "retrain")
    run(["dvc", "repro", "--force", "train"], repo)  # same seed: the same model again
    code, document = gate(repo)  # no --champion: the current prod model
    assert code == 0, document["failed"]
    assert document["decision"] == "pass"
    assert document["champion"]["chosen_by"] == "registry"
    assert document["champion"]["label"] == "model@v1.0.0 (prod)"
    assert document["metrics"]["roc_auc"]["change"] == 0.0
    make = run(["make", "--no-print-directory", "gate", "RUN=", "BASE=main"], repo)
    assert "gate: PASS" in make.stdout

    # The report: the same verdict, and the same bytes on a second run (deterministic),
    # once through the command (`mlops report`) and once by calling run_report.
    assert mlops(repo, "report", "--base", "main").returncode == 0
    first = (repo / "reports/report.md").read_bytes()
    verdict = run_report(load_params(repo / "params.yaml"), "main", "reports/again.md", repo)
    assert verdict == "gate would pass"
    assert (repo / "reports/again.md").read_bytes() == first
    # Its champion is the gate's: the prod model, not the --base branch.
    assert first.decode().startswith("**Gate: PASSED** against champion `model@v1.0.0 (prod)`")

    # `mlops review`: both files from one comparison, the bytes of `gate` and `report`.
    decided = (repo / "reports/gate.json").read_bytes()
    (repo / "reports/gate.json").unlink()
    (repo / "reports/report.md").unlink()
    review = run(["mlops", "review", "--base", "main"], repo)
    assert review.stdout.splitlines()[0] == make.stdout.splitlines()[-1]  # the gate's line
    assert (repo / "reports/gate.json").read_bytes() == decided
    assert (repo / "reports/report.md").read_bytes() == first


def test_appended_months_show_in_the_data_diff_and_both_models_score_the_same_rows(
    pipeline_copy: Path, tmp_path: Path
):
    # main: the default snapshot, the months up to 2025-06 (the pipeline ran on it).
    repo = on_main(pipeline_copy)
    champion_model = tmp_path / "champion.skops"
    shutil.copy(repo / "models/model.skops", champion_model)
    champion_rows = json.loads((repo / "reports/metrics.json").read_text())["rows"]

    # The PR: three more months arrive, appended as the retraining PR appends them.
    git(repo, "checkout", "-q", "-b", "more-months")
    set_param(repo, r'^  until_month: "2025-06"', '  until_month: "2025-09"')
    run(["mlops", "ingest"], repo)
    run(["dvc", "add", "data"], repo)
    run(["dvc", "repro"], repo)
    git(repo, "commit", "-q", "-am", "append 2025-07 to 2025-09")

    run_report(load_params(repo / "params.yaml"), "main", "reports/report.md", repo)
    report = (repo / "reports/report.md").read_text()
    assert "**Rows by `month`**" in report
    added = {m: int(n.replace(",", "")) for m, n in re.findall(
        r"^\| (2025-\d\d) \| 0 \| [\d,]+ \| ([\d,]+) \| 0 \|$", report, flags=re.M)}  # fmt: skip
    assert sorted(added) == ["2025-07", "2025-08", "2025-09"]
    assert all(n > 0 for n in added.values())
    assert '| `ingest.until_month` | `"2025-06"` | `"2025-09"` |' in report
    assert "**Drift**" in report

    code, document = gate(repo, "--champion", "main")
    head_test = read_split(repo / "build/test.csv")
    assert document["scored_rows"]["rows"] == len(head_test) > champion_rows
    # The champion was scored on the head's rows: recompute it independently.
    model = load_model(champion_model)
    proba = model.predict_proba(head_test[list(model.feature_names_in_)])[:, 1]
    expected = quality(head_test["income"].to_numpy(), proba, 0.5)
    assert document["metrics"]["roc_auc"]["base"] == pytest.approx(expected["roc_auc"], abs=1e-6)
    assert np.isfinite(document["metrics"]["roc_auc"]["ci_low"])
    # More data, a better model (the CI of the AUC change lies above 0): it passes.
    assert document["metrics"]["roc_auc"]["ci_low"] > 0
    assert code == 0, document["failed"]


def test_unknown_revisions_are_one_line_errors_and_keep_earlier_outputs(pipeline_copy: Path):
    repo = pipeline_copy
    report = repo / "reports" / "report.md"
    report.write_text("an earlier good report\n")
    result = mlops(repo, "report", "--base", "no-such-branch")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "'no-such-branch' not found" in result.stderr
    assert report.read_text() == "an earlier good report\n"

    result = mlops(repo, "gate", "--champion", "no-such-tag")
    assert result.returncode == 2
    assert "'no-such-tag' not found" in result.stderr
    document = json.loads((repo / "reports" / "gate.json").read_text())
    assert document["decision"] == "error"  # never a stale "pass"
    assert "no-such-tag" in document["error"]

    # The review: the gate's error in gate.json, the earlier report kept; make fails too.
    write_json(repo / "reports" / "gate.json", {"decision": "pass"})
    result = mlops(repo, "review", "--champion", "no-such-tag")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("mlops review: error: ")
    assert json.loads((repo / "reports" / "gate.json").read_text())["decision"] == "error"
    assert report.read_text() == "an earlier good report\n"
    make = run(["make", "review", "RUN=", "CHAMPION=no-such-tag"], repo, check=False)
    assert make.returncode != 0

    (repo / "reports" / "gate.json").unlink()
    with pytest.raises(MlopsError, match="'v9' not found"):
        run_gate(load_params(repo / "params.yaml"), "v9", "main", repo)
    assert json.loads((repo / "reports" / "gate.json").read_text())["decision"] == "error"
