"""monitor.yml, executed with act (as test_act.py runs the other workflows): a drifted
month opens ONE retraining PR whose body is the monitor report and whose branch bumps
data.dvc; a second run updates that PR; a quiet month opens nothing; and the retraining
branch, run through pr.yml, gets a report and a gate decision like any PR.

GitHub's pull-request API is the recording `gh` stand-in (tests/fixtures/act/record.py),
which keeps the PRs in a JSON file shared by the runs, so a later run sees the PR an
earlier one opened. git pushes go to a local bare `origin`; DVC pushes to a local DVC
remote configured for the repository (a "configured remote"). All runs share one DVC
cache outside the repository, so the second run and the PR run find the first run's
pipeline outputs in DVC's run cache instead of retraining.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from support.repos import copy_repo, git, run
from workflows.test_act import ActRun, act, event_file, explain, pr_run, publish, set_param

pytestmark = pytest.mark.e2e

BRANCH = "monitor/retrain"


def dispatch(repo: Path, tmp: Path, name: str, pulls: Path, month: str, scenario: str) -> ActRun:
    event = event_file(
        "workflow_dispatch_monitor.json", tmp / f"{name}.json", MONTH=month, SCENARIO=scenario
    )
    return act(repo, "workflow_dispatch", "monitor.yml", event, tmp / name, STUB_PULLS=str(pulls))


@pytest.fixture(scope="module")
def monitor_repo(pipeline_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main with the pipeline run and committed (snapshot up to 2025-06), pushed to a bare
    'GitHub' remote; a DVC remote and a DVC cache outside the repository."""
    base = tmp_path_factory.mktemp("monitor")
    repo = copy_repo(pipeline_repo, base / "repo")
    # about the workflows, not this machine's speed (as test_act.py's act_repo)
    set_param(repo, r"^(\s+max_latency_ms_p95:) [0-9.]+", r"\1 100000.0")
    # Three pipeline runs follow (two retrains, the PR's): a one-pass permutation importance
    # makes each evaluate ~3x cheaper; main's evaluate reruns once here to match.
    set_param(repo, r"^(\s+importance_repeats:) 5", r"\1 1")
    run(["dvc", "repro"], repo)
    publish(repo, base / "origin.git")
    shutil.move(repo / ".dvc" / "cache", base / "dvc-cache")
    (base / "dvc-remote").mkdir()
    run(["dvc", "cache", "dir", "--local", str(base / "dvc-cache")], repo)
    run(["dvc", "remote", "add", "--local", "-d", "shared", str(base / "dvc-remote")], repo)
    assert run(["dvc", "status"], repo).stdout.strip() == "Data and pipelines are up to date."
    return repo


def remote_branch(repo: Path) -> str:
    """The retraining branch's commit on origin (fetched, so its objects are local)."""
    git(repo, "fetch", "-q", "origin", f"+refs/heads/{BRANCH}:refs/remotes/origin/{BRANCH}")
    return git(repo, "rev-parse", f"refs/remotes/origin/{BRANCH}")


def show(repo: Path, rev: str, path: str) -> str:
    return git(repo, "show", f"{rev}:{path}")


def check_first_run(drifted: ActRun, monitor_repo: Path, pulls: Path) -> None:
    """A drifted month opens one PR with the report and the bumped data pointer."""
    assert drifted.jobs == {"monitor": "succeeded"}, explain(drifted)
    verdict = json.loads((drifted.record / "artifacts/monitor-report/monitor.json").read_text())
    assert verdict["retrain"] is True
    assert "input_drift" in {r["kind"] for r in verdict["reasons"]}
    assert verdict["current"]["months"] == ["2025-07"]

    # GitHub was asked for open PRs of the branch, then one was opened, with the report
    calls = [c["argv"][:4] for c in drifted.calls("gh")]
    assert calls == [
        ["api", "--method", "GET", "repos/acme/models/pulls"],
        ["api", "--method", "POST", "repos/acme/models/pulls"],
    ]
    assert all(c["tokens"]["GITHUB_TOKEN"] for c in drifted.calls("gh"))
    (pr,) = json.loads(pulls.read_text())
    assert (pr["head"], pr["base"], pr["state"]) == (BRANCH, "main", "open")
    report = (drifted.record / "artifacts/monitor-report/monitor.md").read_text()
    assert report.strip() in pr["body"]
    assert "Approve workflows to run" in pr["body"]  # opened with GITHUB_TOKEN: one click
    assert "**simulated**" in pr["body"]
    assert "`age` moved" in pr["body"]
    assert pr["title"].startswith("Retrain: new data up to 2025-07")
    assert "retrain-pr: opened PR #1 (+4,171 rows up to 2025-07); retrained and pushed" in (
        drifted.log
    )

    # the branch: main + one commit with the bumped data pointer, params and pipeline run
    head = remote_branch(monitor_repo)
    assert git(monitor_repo, "rev-parse", f"{head}~1") == git(monitor_repo, "rev-parse", "main")
    changed = set(git(monitor_repo, "diff", "--name-only", "main", head).split())
    assert {"data.dvc", "params.yaml", "dvc.lock", "reports/metrics.json"} <= changed
    params = yaml.safe_load(show(monitor_repo, head, "params.yaml"))
    assert params["ingest"]["until_month"] == "2025-07"
    new_md5 = yaml.safe_load(show(monitor_repo, head, "data.dvc"))["outs"][0]["md5"]
    old_md5 = yaml.safe_load((monitor_repo / "data.dvc").read_text())["outs"][0]["md5"]
    assert new_md5 != old_md5
    # the new data is in the configured DVC remote, so the PR's workflow can pull it
    remote = monitor_repo.parent / "dvc-remote"
    assert (remote / "files/md5" / new_md5[:2] / new_md5[2:]).exists()
    print(f"act monitor.yml (drift, retrain, PR opened): {drifted.seconds:.0f} s")


def check_second_run(again: ActRun, monitor_repo: Path, pulls: Path, first_head: str) -> None:
    """A second run that calls for retraining updates the same PR: no second PR."""
    assert again.jobs == {"monitor": "succeeded"}, explain(again)
    calls = [c["argv"][:4] for c in again.calls("gh")]
    assert calls == [
        ["api", "--method", "GET", "repos/acme/models/pulls"],
        ["api", "--method", "PATCH", "repos/acme/models/pulls/1"],
    ]
    (pr,) = json.loads(pulls.read_text())  # still one PR, now with this run's report
    assert "label shift" in pr["body"]
    assert "`age` moved" not in pr["body"]
    # the same month again on the same main: the branch already holds that data, so it is
    # neither retrained nor pushed again
    assert "monitor/retrain already holds this data on this base: kept" in again.log
    assert "Running stage" not in again.log
    assert remote_branch(monitor_repo) == first_head
    print(f"act monitor.yml (second run, PR updated): {again.seconds:.0f} s")


def test_a_quiet_month_opens_nothing(monitor_repo: Path, tmp_path: Path) -> None:
    quiet_pulls = tmp_path / "pulls.json"
    quiet = dispatch(monitor_repo, tmp_path, "quiet", quiet_pulls, "", "none")
    assert quiet.jobs == {"monitor": "succeeded"}, explain(quiet)
    verdict = json.loads((quiet.record / "artifacts/monitor-report/monitor.json").read_text())
    assert (verdict["drift"], verdict["retrain"]) == (False, False)
    assert "retrain-pr: verdict 'no drift': no retraining PR" in quiet.log
    assert quiet.calls("gh") == []
    assert not quiet_pulls.exists()
    print(f"act monitor.yml (quiet month): {quiet.seconds:.0f} s")


def check_pr_run(pr: ActRun) -> None:
    """The retraining branch through pr.yml: a report and a gate decision like any PR."""
    assert pr.jobs.get("report") == "succeeded", explain(pr)
    gate = json.loads((pr.record / "artifacts/pr-report/gate.json").read_text())
    assert gate["decision"] in ("pass", "fail")
    assert pr.jobs["gate"] == ("succeeded" if gate["decision"] == "pass" else "failed")
    body = (pr.record / "comments/0.md").read_text()
    assert "**Rows by `month`**" in body  # the data diff shows the appended month
    assert '| `ingest.until_month` | `"2025-06"` |' in body
    print(f"act pr.yml on {BRANCH}: {pr.seconds:.0f} s, gate {gate['decision']}")


def test_drift_opens_one_pr_a_second_run_updates_it_and_its_branch_is_gated(
    monitor_repo: Path, tmp_path: Path
) -> None:
    """One test, because each step needs the one before (and so runs on one worker)."""
    pulls = tmp_path / "github-pulls.json"  # acme/models' PRs, as the gh stand-in keeps them
    drifted = dispatch(monitor_repo, tmp_path, "drifted", pulls, "", "covariate")
    check_first_run(drifted, monitor_repo, pulls)
    first_head = remote_branch(monitor_repo)

    again = dispatch(monitor_repo, tmp_path, "again", pulls, "", "prior")
    check_second_run(again, monitor_repo, pulls, first_head)

    git(monitor_repo, "branch", "-f", BRANCH, remote_branch(monitor_repo))
    (tmp_path / "pr" / BRANCH).parent.mkdir(parents=True)  # pr_run names files after it
    pr = pr_run(monitor_repo, BRANCH, tmp_path / "pr")
    check_pr_run(pr)
