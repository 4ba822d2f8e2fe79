"""issue 9's workflows under act: the image job stops at a failing canary (nothing is
pushed or attested), and deploy.yml pins the version it is given. The passing path runs
inside promote.yml and rollback.yml (test_act.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops.registry import versions as registry
from support.repos import copy_repo, git
from workflows.test_act import act, event_file, explain, image_env, set_param

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def slow_canary_repo(pipeline_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pipeline's repository with v1.0.0 registered at HEAD and a canary latency
    ceiling no HTTP request can meet."""
    repo = copy_repo(pipeline_repo, tmp_path_factory.mktemp("canary") / "repo")
    set_param(repo, r"^(\s+max_latency_ms_p99:) [0-9.]+", r"\1 0.001")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "an impossible latency ceiling")
    git(repo, "remote", "add", "github", "https://github.com/acme/models.git")
    version, _ = registry.register(repo)
    assert version == "v1.0.0"
    return repo


def test_a_failing_canary_stops_the_image_before_any_push(
    slow_canary_repo: Path, tmp_path: Path
) -> None:
    event = event_file("workflow_dispatch_rollback.json", tmp_path / "e.json", VERSION="v1.0.0")
    failed = act(slow_canary_repo, "workflow_dispatch", "image.yml", event, tmp_path / "r",
                 **image_env())  # fmt: skip
    assert failed.jobs == {"image": "failed"}, explain(failed)
    assert "canary: FAIL v1.0.0" in failed.log
    assert "p99 latency" in failed.log
    assert "(0 rows differ)" in failed.log  # the answers were right; the speed was not
    builds = failed.calls("build-push")
    assert [b["push"] for b in builds] == [False]  # built and loaded, never pushed
    assert failed.calls("login") == []
    assert failed.calls("attest") == []
    assert not (failed.record / "pushed.jsonl").exists()
    print(f"act image.yml (failing canary): {failed.seconds:.0f} s")


def test_deploy_refuses_a_version_that_is_not_in_prod(
    slow_canary_repo: Path, tmp_path: Path
) -> None:
    event = event_file("workflow_dispatch_rollback.json", tmp_path / "e.json", VERSION="v1.0.0")
    refused = act(slow_canary_repo, "workflow_dispatch", "deploy.yml", event, tmp_path / "r")
    assert refused.jobs == {"pin": "failed"}, explain(refused)
    assert "model@v1.0.0 is not in prod: nothing to deploy" in refused.log
    assert [c for c in refused.calls("gh") if c["argv"][:2] == ["pr", "create"]] == []
