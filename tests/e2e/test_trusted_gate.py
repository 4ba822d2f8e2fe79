"""The trusted gate in this process on a pipeline clone (act runs it as a workflow in
tests/workflows/test_act.py, where a degraded, self-relaxing, self-grading PR fails;
here the way through is checked, and measured by coverage).

A PR that changes nothing in the model passes under the default branch's code, with
its model taken as data; a model that is not the one the PR's dvc.lock records is
refused before it is read.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from mlops.core.config import load_params
from mlops.review.trusted import TrustError, run_trusted_gate
from support.repos import git

pytestmark = pytest.mark.e2e


def test_an_unchanged_pr_passes_the_trusted_gate_and_a_foreign_model_is_refused(
    pipeline_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = pipeline_copy
    monkeypatch.delenv("DEFAULT_BRANCH", raising=False)
    params_file = repo / "params.yaml"
    # About the gate's way through, not this machine's speed (a busy host breaks 50 ms).
    params_file.write_text(
        re.sub(
            r"^(\s+max_latency_ms_p95:) [0-9.]+",
            r"\1 100000.0",
            params_file.read_text(),
            flags=re.M,
        )
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "pipeline outputs")
    main = git(repo, "rev-parse", "main")
    git(repo, "checkout", "-q", "-b", "pr")
    params_file.write_text(
        re.sub(r"^(train:)$", r"\1  # reviewed", params_file.read_text(), flags=re.M)
    )
    git(repo, "commit", "-q", "-am", "a comment")
    head = git(repo, "rev-parse", "pr")
    git(repo, "checkout", "-q", "main")  # the trusted side: the default branch's checkout

    candidate = tmp_path / "model.skops"  # what the PR's run uploaded
    shutil.copy(repo / "models" / "model.skops", candidate)
    params = load_params(repo / "params.yaml")
    document = run_trusted_gate(params, candidate, head, "PR #1", repo)
    assert document["decision"] == "pass", document["failed"]
    assert document["mode"].startswith("trusted")
    assert document["challenger"] == {"label": "PR #1", "commit": head, "subject": "a comment"}
    assert document["champion"]["commit"] == main
    assert document["policy_changed"] is False
    assert document["metrics"]["roc_auc"]["change"] == 0.0  # the same model, the same rows
    assert document["rows_removed"]["removed"] == 0
    latency = next(r for r in document["rules"] if r["name"] == "latency_ms_p95")
    assert latency["value"] > 0  # measured here, not read from the PR's reports

    # Another model than the one the PR's dvc.lock records: refused before it is read.
    candidate.write_bytes(b"PK\x03\x04 not the trained model")
    with pytest.raises(TrustError, match=r"is not the one the PR's dvc\.lock records"):
        run_trusted_gate(params, candidate, head, "PR #1", repo)
