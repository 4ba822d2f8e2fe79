"""The registry moves only forward through the gate, on real git repositories.

A version counts only if its commit is on the default branch and its registration tag
records a passing gate for that commit; prod only after staging. Tags pushed by hand
that break these are ignored, with a warning naming them: never a champion, never a
rollback target. The trusted view agrees with GTO's own reading when every tag is good.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from gto import api

from mlops.adapters import gto
from mlops.registry import versions as registry
from mlops.registry.versions import RegistryError
from support.repos import GIT_IDENTITY, repo_with_origin
from support.repos import git as run_git


def commit(repo: Path, message: str) -> str:
    run_git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return run_git(repo, "rev-parse", "HEAD")


def passing(sha: str) -> dict:
    """A gate.json that passed for `sha`, as promote's gate job writes it."""
    return {
        "decision": "pass",
        "challenger": {"commit": sha},
        "champion": {"label": "main", "commit": sha},
    }


def promote(repo: Path) -> str:
    """What promote.yml does on a merge: register (with the gate), staging, prod."""
    version, _ = registry.register(repo, gate=passing(run_git(repo, "rev-parse", "HEAD")))
    registry.assign("staging", version, repo)
    registry.assign("prod", version, repo)
    return version


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """main with the project's dvc.yaml (GTO knows the artifact), pushed to a bare origin."""
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DEFAULT_BRANCH", raising=False)
    return repo_with_origin(tmp_path)[0]


def test_a_hand_pushed_prod_tag_off_main_is_neither_champion_nor_rollback_target(
    repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = promote(repo)
    main_sha = run_git(repo, "rev-parse", "main")

    # Someone with push rights tags a commit that never reached main, GTO-style, by hand.
    run_git(repo, "checkout", "-q", "-b", "sneaky")
    rogue = commit(repo, "model nobody reviewed")
    api.register(str(repo), "model", rogue, version="v9.0.0")
    api.assign(str(repo), "model", "staging", version="v9.0.0")
    api.assign(str(repo), "model", "prod", version="v9.0.0")
    run_git(repo, "checkout", "-q", "main")
    # GTO itself believes it: that is what an unchecked registry would gate against.
    assert gto.in_stage(repo, "model", "prod")[0].version == "v9.0.0"

    with caplog.at_level(logging.WARNING):
        champion = registry.resolve_champion(None, "main", repo)
    assert (champion.commit, champion.label) == (main_sha, f"model@{first} (prod)")
    assert champion.source == "registry"
    named = [line for line in champion.ignored if line.startswith("model@v9.0.0")]
    assert named
    assert f"{rogue[:7]} is not on main" in named[0]
    assert any("model#prod#" in line for line in champion.ignored)
    assert "ignoring registry tag model@v9.0.0" in caplog.text  # the warning names it

    with pytest.raises(RegistryError, match="not a version registered by the promotion gate"):
        registry.rollback("v9.0.0", repo)
    with pytest.raises(RegistryError, match="not a version registered"):
        registry.assign("prod", "v9.0.0", repo)
    assert registry.in_stage("prod", repo) == [first]


def test_a_registration_without_a_passing_gate_record_is_ignored_even_on_main(
    repo: Path,
) -> None:
    promote(repo)
    second = commit(repo, "second model")
    run_git(repo, "push", "-q", "origin", "main")
    api.register(str(repo), "model", second, version="v1.1.0")  # GTO's default annotation
    api.assign(str(repo), "model", "staging", version="v1.1.0")
    api.assign(str(repo), "model", "prod", version="v1.1.0")
    view = registry.view(repo, warn=False)
    assert "v1.1.0" not in view.versions
    assert any(
        line.startswith("model@v1.1.0") and "no passing promotion gate" in line
        for line in view.ignored
    )
    assert registry.resolve_champion(None, "main", repo).label == "model@v1.0.0 (prod)"

    # A forged record naming another commit does not count either.
    third = commit(repo, "third model")
    run_git(repo, "push", "-q", "origin", "main")
    forged = registry.gate_record(passing(second), second)
    api.register(str(repo), "model", third, version="v1.2.0", message=forged)
    assert "v1.2.0" not in registry.view(repo, warn=False).versions


def test_prod_only_after_staging_and_lightweight_tags_are_ignored(repo: Path) -> None:
    version, _ = registry.register(repo, gate=passing(run_git(repo, "rev-parse", "HEAD")))
    with pytest.raises(RegistryError, match="prod only after staging"):
        registry.assign("prod", version, repo)
    # By hand, GTO would take it: prod straight away (annotated), and a lightweight tag.
    api.assign(str(repo), "model", "prod", version=version)
    run_git(repo, "tag", "model#prod#99")
    view = registry.view(repo, warn=False)
    assert view.stages.get("prod") is None
    reasons = "\n".join(view.ignored)
    assert "without being in staging first" in reasons
    assert "model#prod#99: a lightweight tag" in reasons
    assert registry.resolve_champion(None, "main", repo).source == "rev"  # main, not prod

    registry.assign("staging", version, repo)
    assert registry.assign("prod", version, repo)  # now it may
    assert registry.in_stage("prod", repo) == [version]


def test_register_refuses_without_a_passing_gate_for_this_commit_or_off_main(repo: Path) -> None:
    head = run_git(repo, "rev-parse", "HEAD")
    with pytest.raises(RegistryError, match="decision is missing"):
        registry.register(repo)
    with pytest.raises(RegistryError, match="decision is fail"):
        registry.register(repo, gate={**passing(head), "decision": "fail"})
    with pytest.raises(RegistryError, match="not this commit"):
        registry.register(repo, gate=passing("b" * 40))
    run_git(repo, "checkout", "-q", "-b", "feature")
    off_main = commit(repo, "unmerged")
    with pytest.raises(RegistryError, match="is not on main"):
        registry.register(repo, gate=passing(off_main))
    assert gto.events(repo, "model") == []  # nothing was tagged


def test_the_trusted_view_reads_stages_as_gto_does(repo: Path) -> None:
    """With only good tags, the trusted stages equal GTO's own (highest active first)."""
    first = promote(repo)
    commit(repo, "second")
    run_git(repo, "push", "-q", "origin", "main")
    second = promote(repo)
    time.sleep(1.1)  # GTO orders events by the second; a rollback must come after
    registry.rollback(first, repo)
    for stage in ("staging", "prod"):
        ours = registry.in_stage(stage, repo)
        theirs = [v.version for v in gto.in_stage(repo, "model", stage)]
        assert ours == theirs, stage
    assert registry.in_stage("prod", repo) == [first]
    assert set(registry.versions(repo)) == {first, second}
    tag = next(e for e in gto.events(repo, "model") if e.tag == f"model@{second}")
    assert "mlops-gate: pass" in tag.message
