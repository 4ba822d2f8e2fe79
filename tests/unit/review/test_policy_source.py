"""The policy that judges is the base revision's: a PR cannot relax its own gate.

resolve_policy on parsed params (both sides as written), and base_policy on a real git
repository where a branch relaxes `gate:` in its params.yaml.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from mlops.core.config import load_params
from mlops.core.errors import ConfigError
from mlops.review.policy_source import base_policy, resolve_policy, rules_of
from support.repos import ROOT, git

BASE = yaml.safe_load((ROOT / "params.yaml").read_text())


def relaxed() -> dict:
    """A PR that gives up every guard: margin, floors, tolerances, ceilings, slices."""
    raw = copy.deepcopy(BASE)
    gate = raw["gate"]
    gate.update(margin=1.0, floors={}, slice_tolerance=1.0, gap_tolerance=1.0)
    gate.update(max_latency_ms_p95=1e9, max_model_bytes=10**12, max_removed_fraction=1.0)
    raw["evaluate"]["min_slice_size"] = 10**9  # no group large enough to be judged
    raw["data"]["slices"] = []
    return raw


def test_a_relaxed_challenger_is_judged_under_the_base_policy() -> None:
    policy = resolve_policy(BASE, relaxed(), "main", "a" * 40)
    assert policy.source == "base"
    assert policy.gate.margin == BASE["gate"]["margin"]
    assert policy.gate.floors == BASE["gate"]["floors"]
    assert policy.gate.max_model_bytes == BASE["gate"]["max_model_bytes"]
    assert policy.min_slice_size == BASE["evaluate"]["min_slice_size"]
    assert policy.slices == BASE["data"]["slices"]
    assert policy.changed is True
    keys = policy.changed_keys()
    assert {"gate.margin", "gate.floors.roc_auc", "evaluate.min_slice_size", "data.slices"} <= set(
        keys
    )
    recorded = policy.as_dict()
    assert recorded["base"] == rules_of(BASE)
    assert recorded["challenger"] == rules_of(relaxed())
    assert recorded["applied"]["gate"]["margin"] == BASE["gate"]["margin"]
    notice = policy.notice()
    assert notice is not None
    assert "changes the promotion policy" in notice
    assert "takes effect after merge" in notice
    assert "code-owner review" in notice


def test_an_unchanged_policy_has_no_notice_and_formatting_is_not_a_change() -> None:
    same = copy.deepcopy(BASE)
    same["train"]["seed"] = 7  # a model change, not a policy change
    policy = resolve_policy(BASE, same, "main", None)
    assert (policy.changed, policy.notice(), policy.changed_keys()) == (False, None, [])


def test_keys_the_base_lacks_take_the_default_or_the_challengers_value() -> None:
    old = copy.deepcopy(BASE)
    del old["gate"]["max_removed_fraction"]  # a base from before the rule: strict default
    del old["gate"]["max_model_bytes"]  # a required key the base does not have
    policy = resolve_policy(old, relaxed(), "main", None)
    assert policy.gate.max_removed_fraction == 0.0  # not the PR's 1.0
    assert policy.gate.max_model_bytes == 10**12  # only source: the PR, and it says so
    assert policy.from_challenger == ("gate.max_model_bytes",)


def test_first_adoption_applies_the_challengers_policy_and_says_so() -> None:
    no_gate = {k: v for k, v in BASE.items() if k != "gate"}
    policy = resolve_policy(no_gate, BASE, "main", None)
    assert policy.first_adoption
    assert policy.changed
    assert policy.source.startswith("challenger (first adoption")
    assert policy.gate.margin == BASE["gate"]["margin"]
    assert "introduces the promotion policy" in (policy.notice() or "")
    with pytest.raises(ConfigError, match="neither the base"):
        resolve_policy(None, no_gate, "main", None)


def test_a_base_policy_this_code_cannot_read_is_an_error_never_the_prs() -> None:
    broken = copy.deepcopy(BASE)
    broken["gate"]["margin"] = "lots"
    with pytest.raises(ConfigError, match=r"base main cannot be read by this code: gate\.margin"):
        resolve_policy(broken, relaxed(), "main", None)


def test_base_policy_reads_the_base_revision_from_git(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    git(tmp_path, "add", "params.yaml")
    git(tmp_path, "commit", "-q", "-m", "policy")
    git(tmp_path, "checkout", "-q", "-b", "relax")
    text = (tmp_path / "params.yaml").read_text().replace("margin: 0.005", "margin: 0.5")
    (tmp_path / "params.yaml").write_text(text)  # uncommitted, as in a working tree
    params = load_params(tmp_path / "params.yaml")
    assert params.gate.margin == 0.5  # what the workspace says ...
    policy = base_policy(params, "main", tmp_path)
    assert policy.gate.margin == 0.005  # ... is not what judges it
    assert policy.changed_keys() == ["gate.margin"]
    assert policy.base_commit == git(tmp_path, "rev-parse", "main")
