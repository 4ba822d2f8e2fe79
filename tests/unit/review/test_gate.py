"""The gate: its decision file holds every rule with value and threshold, is valid JSON
for any outcome, and an error replaces a stale decision instead of leaving it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mlops.core.files import write_json
from mlops.registry.versions import Champion, RegistryError
from mlops.review.gate import gate_document, run_gate
from support.repos import git
from support.review import BASE_SHA, synthetic_review, world

CHAMPION = Champion(BASE_SHA, "model@v1.0.0 (prod)", "registry")


def test_a_passing_document_names_both_sides_and_every_rule():
    review = synthetic_review()
    review.base.obtained["model"] = "DVC cache"
    review.base.notes.append("rebuilt model differs")
    document = gate_document(review, CHAMPION)
    assert document["decision"] == "pass"
    assert document["failed"] == []
    assert document["champion"] == {
        "label": "model@v1.0.0 (prod)", "commit": BASE_SHA, "chosen_by": "registry",
        "model": "DVC cache", "notes": ["rebuilt model differs"], "ignored_tags": [],
    }  # fmt: skip
    assert document["challenger"]["subject"] == "challenger subject"
    assert document["scored_rows"] == {"path": "build/test.csv", "rows": 2000}
    assert document["primary_metric"] == "roc_auc"
    assert set(document["metrics"]) == {"roc_auc", "pr_auc", "accuracy", "f1", "log_loss", "brier"}
    assert [r["name"] for r in document["rules"]] == [r.name for r in review.decision.rules]
    assert document["skipped"] == review.decision.skipped
    assert any(s.startswith("slice g=c:") for s in document["skipped"])  # the small group


def test_a_failing_document_lists_the_failed_rules_and_is_strict_json(tmp_path: Path):
    _, _, proba = world()
    shuffled = np.random.default_rng(0).permutation(proba)
    document = gate_document(synthetic_review(shuffled, latency=None), CHAMPION)
    assert document["decision"] == "fail"
    assert {"non_inferiority:roc_auc", "latency_ms_p95"} <= set(document["failed"])
    assert set(document["failed"]) == {r["name"] for r in document["rules"] if not r["passed"]}
    write_json(tmp_path / "gate.json", document)  # no NaN or infinity anywhere
    assert json.loads((tmp_path / "gate.json").read_text()) == document


def test_run_gate_writes_the_decision_to_paths_gate(repo):
    root, p = repo
    document = run_gate(p, None, "main", root)  # no prod model: the base branch
    assert json.loads((root / p.paths.gate).read_text()) == document
    assert document["champion"]["chosen_by"] == "rev"
    assert document["champion"]["label"] == "main"
    assert document["failed"] == ["latency_ms_p95"]  # same model, but too slow now


def test_an_error_replaces_a_stale_decision(params, tmp_path: Path):
    git(tmp_path, "init", "-q", "-b", "main")
    write_json(tmp_path / params.paths.gate, {"decision": "pass"})  # from an earlier run
    with pytest.raises(RegistryError, match="'nope' not found"):
        run_gate(params, "nope", "main", tmp_path)
    written = json.loads((tmp_path / params.paths.gate).read_text())
    assert written["decision"] == "error"
    assert "'nope' not found" in written["error"]
