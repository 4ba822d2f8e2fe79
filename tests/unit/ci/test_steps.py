"""The promote, rollback, release and check-dvc steps on real git repositories with a bare
`origin`: tags fetched first, created through the registry, pushed, and the version
handed to the next step; the release published through the recording `gh`. (`repro`
is one DVC call: its command is tested in adapters/test_dvc.py, its run in every PR
workflow that tests/workflows/test_act.py runs.)"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from mlops.ci import steps
from mlops.ci.inputs import WorkflowError
from mlops.ci.steps import check_dvc
from mlops.core.files import write_json
from mlops.registry.versions import RegistryError
from support.repos import GIT_IDENTITY, ROOT, commit, copy_repo, git, repo_with_origin, run

STUB_BIN = ROOT / "tests" / "fixtures" / "act" / "bin"


def register(repo: Path, params, env: dict[str, str] | None = None) -> str:
    """The register step with the promotion run's passing gate.json for HEAD."""
    head = git(repo, "rev-parse", "HEAD")
    write_json(repo / params.paths.gate, {"decision": "pass", "challenger": {"commit": head}})
    return steps.register(env or {}, str(repo), params.paths)


def tags(repo: Path) -> set[str]:
    return set(git(repo, "tag").split())


@pytest.fixture
def origin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(checkout, bare origin), the checkout holding one commit."""
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    return repo_with_origin(tmp_path, with_dvc_yaml=False)


def test_register_pushes_version_and_staging_and_hands_on_the_version(origin, tmp_path, params):
    repo, bare = origin
    output = tmp_path / "github_output"
    line = register(repo, params, {"GITHUB_OUTPUT": str(output)})
    assert line == "register: model@v1.0.0 in staging; pushed ['model@v1.0.0', 'model#staging#1']"
    assert tags(bare) == {"model@v1.0.0", "model#staging#1"}
    assert output.read_text() == "version=v1.0.0\n"
    again = register(repo, params, {"GITHUB_OUTPUT": str(output)})  # a rerun of the job
    assert again == "register: model@v1.0.0 in staging; pushed nothing new"


def test_register_sees_tags_another_job_pushed(origin, tmp_path, params):
    repo, bare = origin
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", "-b", "main", str(bare), str(other))
    register(other, params)  # another run registered this commit meanwhile
    assert "model@v1.0.0" not in tags(repo)
    line = register(repo, params)
    assert line == "register: model@v1.0.0 in staging; pushed nothing new"  # not a v1.1.0


def test_assign_and_rollback_move_prod_on_origin(origin, params):
    repo, bare = origin
    register(repo, params)
    commit(repo, "second model")
    register(repo, params)
    assert steps.assign({"VERSION": "v1.0.0", "STAGE": "prod"}, str(repo)) == (
        "assign: model@v1.0.0 -> prod; pushed ['model#prod#3']"
    )
    steps.assign({"VERSION": " v1.1.0\n", "STAGE": "prod"}, str(repo))
    line = steps.rollback({"ROLLBACK_TO": "v1.0.0"}, str(repo))
    assert line.startswith("rollback: model@v1.0.0 is prod again; pushed ['model#prod!#")
    assert any(t.startswith("model#prod!#") for t in tags(bare))
    with pytest.raises(RegistryError, match="stage 'Prod'"):
        steps.assign({"VERSION": "v1.0.0", "STAGE": "Prod"}, str(repo))
    with pytest.raises(RegistryError, match="version '' is not of the form"):
        steps.rollback({}, str(repo))


@pytest.fixture
def promoted(tmp_path: Path, params, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with model@v1.0.0 and the files a promotion run downloads."""
    from gto import api

    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, "model")
    api.register(str(tmp_path), "model", "HEAD", version="v1.0.0")
    monkeypatch.chdir(tmp_path)
    p = params.paths
    Path(p.model).parent.mkdir(parents=True)
    Path(p.model).write_bytes(b"model bytes")
    write_json(p.metrics, {"roc_auc": 0.93, "rows": 100})
    write_json(p.slices, {})
    write_json(p.runtime, {"latency_ms_p50": 1.0})
    write_json(p.features, {"numeric": ["age"], "categorical": [], "dropped": {}})
    write_json(p.training, {"model": "hist_gradient_boosting", "rows": 400, "features": 1})
    record = tmp_path / "record"
    monkeypatch.setenv("PATH", f"{STUB_BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("ACT_RECORD", str(record))
    monkeypatch.setenv("ACT_STUBS", str(STUB_BIN.parent))
    return tmp_path


def test_a_dry_run_release_builds_the_assets_and_publishes_nothing(promoted, params):
    line = steps.publish_release(params, {"VERSION": "v1.0.0", "RELEASE_DRY_RUN": "True"})
    assert line == "release: assets in build/release (dry run, nothing published)"
    built = sorted(p.name for p in (promoted / "build/release").iterdir())
    assert built == ["metrics.json", "model-card.md", "model-v1.0.0.skops", "runtime.json",
                     "slices.json"]  # fmt: skip
    assert not (promoted / "record").exists()


def test_a_release_is_published_for_the_registered_commit(promoted, params):
    line = steps.publish_release(params, {"VERSION": "v1.0.0"})
    assert line.startswith("release: model@v1.0.0 published with 5 assets")
    (call,) = [json.loads(x) for x in (promoted / "record/calls.jsonl").read_text().splitlines()]
    assert call["argv"][:4] == ["release", "create", "model@v1.0.0", "--verify-tag"]
    card = (promoted / "record/releases/model@v1.0.0/RELEASE_NOTES.md").read_text()
    assert f"- Commit: `{git(promoted, 'rev-parse', 'HEAD')}`" in card
    with pytest.raises(RegistryError, match=r"'model@v9\.9\.9' not found"):
        steps.publish_release(params, {"VERSION": "v9.9.9"})


# --- check-dvc: model and data bytes never come from git ---------------------------------


@pytest.fixture(scope="module")
def dvc_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """git + `dvc init` + the template's .dvc/config, made once for the module."""
    repo = tmp_path_factory.mktemp("dvc-template")
    git(repo, "init", "-q", "-b", "main")
    run(["dvc", "init", "-q"], repo)
    (repo / ".dvc" / "config").write_text((ROOT / ".dvc" / "config").read_text())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "dvc")
    return repo


@pytest.fixture
def dvc_repo(dvc_template: Path, tmp_path: Path) -> Path:
    return copy_repo(dvc_template, tmp_path / "repo")


def test_the_template_config_passes(dvc_repo: Path) -> None:
    assert "1 remote(s) verify" in check_dvc(dvc_repo)


@pytest.mark.parametrize("folder", [".dvc-storage/files/md5/ab", ".dvc/cache/files/md5/ab"])
def test_a_cache_or_local_remote_tracked_by_git_is_refused(dvc_repo: Path, folder: str) -> None:
    planted = dvc_repo / folder / "cdef0123456789"
    planted.parent.mkdir(parents=True)
    planted.write_bytes(b"model bytes nobody trained")
    git(dvc_repo, "add", "-f", str(planted.relative_to(dvc_repo)))  # force-added past .gitignore
    with pytest.raises(WorkflowError, match=r"git tracks 1 file\(s\) of a DVC cache or remote"):
        check_dvc(dvc_repo)


def test_a_remote_that_does_not_verify_downloads_is_refused(dvc_repo: Path) -> None:
    config = dvc_repo / ".dvc" / "config"
    config.write_text(config.read_text() + "['remote \"storage\"']\n    url = s3://bucket/path\n")
    with pytest.raises(WorkflowError, match="dvc remote modify storage verify true"):
        check_dvc(dvc_repo)
    config.write_text(config.read_text() + "    verify = true\n")
    assert "2 remote(s) verify" in check_dvc(dvc_repo)


# --- a promotion killed between its steps, then rerun ------------------------------------


def registry_state(bare: Path) -> tuple[dict[str, bool], dict]:
    """What origin holds: every tag -> whether it names main's commit, and what `gto show`
    reads back (version, stages)."""
    main = git(bare, "rev-parse", "main")
    listed = git(bare, "for-each-ref", "refs/tags", "--format=%(refname:short) %(*objectname)")
    tagged = {name: commit == main for name, commit in (row.split() for row in listed.splitlines())}
    from gto import api

    shown = api.show(str(bare), table=False)  # `gto show --json`: GTO's own reading
    return tagged, shown


def promote(repo: Path, params, killed_after: str = "") -> None:
    """The promote workflow's registry steps (register+staging, push; prod, push), killed
    after `killed_after`: `register` (tag created locally), `staging` (both tags created
    locally), `push` (the register job done), `prod` (the prod tag created locally)."""
    from mlops.registry import versions

    head = git(repo, "rev-parse", "HEAD")
    write_json(repo / params.paths.gate, {"decision": "pass", "challenger": {"commit": head}})
    if killed_after in ("register", "staging"):
        version, _ = versions.register(
            repo, gate={"decision": "pass", "challenger": {"commit": head}}
        )
        if killed_after == "staging":
            versions.assign("staging", version, repo)
        return
    steps.register({}, str(repo), params.paths)
    if killed_after == "push":
        return
    if killed_after == "prod":
        versions.assign("prod", "v1.0.0", repo)
        return
    steps.assign({"VERSION": "v1.0.0", "STAGE": "prod"}, str(repo))


# An uninterrupted run ends here (checked by the first case); every killed run, rerun,
# must end here too: one version for the commit, staging then prod, no extra tag.
UNINTERRUPTED = (
    {"model@v1.0.0": True, "model#staging#1": True, "model#prod#2": True},
    {"model": {"version": "v1.0.0", "stage": {"prod": "v1.0.0", "staging": "v1.0.0"},
               "registered": True, "active": True}},
)  # fmt: skip


@pytest.mark.parametrize(
    ("killed_after", "rerun_in"),
    [("", "")]  # not killed
    + [(step, "the same checkout") for step in ("register", "staging", "push", "prod")]
    # a new runner: the local tags are gone (after "push", the same as the same checkout)
    + [(step, "a fresh clone") for step in ("register", "staging", "prod")],
)
def test_a_promotion_killed_between_steps_and_rerun_ends_as_one_that_was_not(
    killed_after, rerun_in, tmp_path, params, monkeypatch
):
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    bare, repo = tmp_path / "origin.git", tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "dvc.yaml").write_text((ROOT / "dvc.yaml").read_text())
    git(repo, "add", "dvc.yaml")
    git(repo, "commit", "-q", "-m", "first model")
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "origin", "main")
    if killed_after:
        promote(repo, params, killed_after)
        if rerun_in == "a fresh clone":
            repo = tmp_path / "rerun"
            git(tmp_path, "clone", "-q", "-b", "main", str(bare), str(repo))
    promote(repo, params)
    assert registry_state(bare) == UNINTERRUPTED
