"""The steps of the promote, release and rollback workflows, and the PR's repro.

Each reads its inputs from the environment (validated), does one thing through the
adapters, and returns the line the CLI prints.

The released model is the one the merged commit produces: `retrain` never takes model
bytes from a cache or remote (the stage that writes the model runs again, forced, after
its upstream is brought up to date; promote pulls nothing but data, verified), then
checks that the model it trained hashes to what the commit's dvc.lock records (the
pipeline is byte-reproducible; a mismatch stops the release). `check_dvc` refuses a
DVC cache or local remote that git tracks (bytes any PR could plant) and a remote that
does not verify what it downloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops.adapters import dvc, git, github
from mlops.ci.inputs import WorkflowError, environ
from mlops.core.config import Params, Paths
from mlops.core.files import read_json
from mlops.registry import release, versions
from mlops.review.store import md5_of

STORE_FOLDERS = (".dvc/cache", ".dvc-storage")  # the template's cache and local remote


def repro(root: str = ".") -> str:
    """`dvc repro`, with --pull --allow-missing when a DVC remote can hold data.

    First the outputs dvc.lock records are checked out of the DVC cache, which pr.yml
    keeps between runs: on a fresh runner they are missing, and `dvc repro` reruns every
    stage whose outputs are missing even when nothing it depends on changed (DVC's
    run-cache cannot restore them: every output is `persist: true`). A PR that leaves the
    model's inputs alone then reruns nothing; one that changes them reruns only the
    stages downstream of the change. Best effort: what the cache lacks, or a file the
    workspace changed, is left to `dvc repro`."""
    dvc.run_cli(["checkout", "--allow-missing", "--quiet"], root)
    command = dvc.repro_command(root)
    result = dvc.run_cli(command[1:], root, capture=False)
    if result.returncode != 0:
        raise WorkflowError(f"`{' '.join(command)}` exited {result.returncode}")
    return f"repro: ran `{' '.join(command)}`"


def check_dvc(root: Path | str = ".") -> str:
    """Refuse DVC stores git tracks, and remotes that do not verify downloads."""
    root = Path(root).resolve()
    folders = {*STORE_FOLDERS}
    cache = dvc.cache_dir(root)
    candidates = [cache] + [Path(url) for _, url, _ in dvc.remotes(root) if "://" not in url]
    for folder in candidates:
        if folder.resolve().is_relative_to(root):
            folders.add(folder.resolve().relative_to(root).as_posix())
    tracked = git.tracked(root, *sorted(folders))
    if tracked:
        raise WorkflowError(
            f"git tracks {len(tracked)} file(s) of a DVC cache or remote (e.g. {tracked[0]}): "
            "model and data bytes must never come from git; `git rm -r --cached` them"
        )
    unverified = [name for name, _, verify in dvc.remotes(root) if not verify]
    if unverified:
        raise WorkflowError(
            f"DVC remote {unverified[0]!r} does not verify downloads: "
            f"`dvc remote modify {unverified[0]} verify true` and commit .dvc/config"
        )
    return f"check-dvc: no DVC store tracked by git; {len(dvc.remotes(root))} remote(s) verify"


def retrain(paths: Paths, root: str = ".") -> str:
    """Train the model from source and check it is what dvc.lock records; then the rest."""
    check_dvc(root)
    lock = git.show(root, "HEAD", "dvc.lock")
    expected = dvc.locked_md5(lock, paths.model)
    stage = dvc.producing_stage(lock, paths.model)
    if expected is None or stage is None:
        raise WorkflowError(f"dvc.lock at HEAD records no {paths.model}: nothing to release")
    # Upstream first (on a runner, with an empty cache, everything runs); then the model's
    # stage alone, forced: whatever a cache held for its output is overwritten.
    for args in (["repro", stage], ["repro", "--force", "--single-item", stage]):
        result = dvc.run_cli(args, root, capture=False)
        if result.returncode != 0:
            raise WorkflowError(f"`dvc {' '.join(args)}` exited {result.returncode}")
    trained = md5_of(Path(root) / paths.model)
    if trained != expected:
        raise WorkflowError(
            f"the model trained from this commit (md5 {trained[:8]}) is not the one its dvc.lock "
            f"records ({expected[:8]}): the commit does not reproduce its own lock, so nothing "
            "is released (rerun `dvc repro`, commit dvc.lock; same uv.lock?)"
        )
    rest = dvc.run_cli(["repro"], root, capture=False)
    if rest.returncode != 0:
        raise WorkflowError(f"`dvc repro` exited {rest.returncode}")
    return f"retrain: {paths.model} trained from source, md5 {trained[:12]} as dvc.lock records"


def _token(env: Mapping[str, str]) -> str:
    return env.get("GITHUB_TOKEN", "").strip()


def _unpushed(version: str, repo: str, token: str) -> list[str]:
    """The version's tags that this checkout holds and origin does not, oldest first: the
    ones just created, and any a killed run created and never pushed (a rerun on the same
    checkout resumes from them instead of saying "nothing new")."""
    on_origin = git.remote_tags(repo, token)
    return [tag for tag in versions.version_tags(version, repo) if tag not in on_origin]


def _gate(paths: Paths, repo: str) -> dict[str, Any]:
    document = read_json(Path(repo) / paths.gate)
    if not isinstance(document, dict):
        raise WorkflowError(f"{paths.gate}: not a gate document")
    return document


def register(
    env: Mapping[str, str] | None = None, repo: str = ".", paths: Paths | None = None
) -> str:
    """Register HEAD as the next model version and assign it to staging; push the tags.
    Only with the promotion run's passing gate.json for HEAD (recorded in the tag)."""
    env = environ(env)
    git.fetch_tags(repo, _token(env))
    gate = _gate(paths, repo) if paths is not None else None
    version, _ = versions.register(repo, gate=gate)
    versions.assign("staging", version, repo)
    tags = _unpushed(version, repo, _token(env))
    git.push_tags(repo, tags, _token(env))
    github.set_output("version", version, env)
    return f"register: {versions.ARTIFACT}@{version} in staging; pushed {tags or 'nothing new'}"


def assign(env: Mapping[str, str] | None = None, repo: str = ".") -> str:
    """Assign env VERSION to env STAGE; push the tag."""
    env = environ(env)
    version, stage = env.get("VERSION", "").strip(), env.get("STAGE", "").strip()
    git.fetch_tags(repo, _token(env))
    versions.assign(stage, version, repo)
    tags = _unpushed(version, repo, _token(env))
    git.push_tags(repo, tags, _token(env))
    return f"assign: {versions.ARTIFACT}@{version} -> {stage}; pushed {tags or 'nothing new'}"


def rollback(env: Mapping[str, str] | None = None, repo: str = ".") -> str:
    """Make env ROLLBACK_TO the only prod version again; push the tags."""
    env = environ(env)
    version = env.get("ROLLBACK_TO", "").strip()
    git.fetch_tags(repo, _token(env))
    tags = versions.rollback(version, repo)
    git.push_tags(repo, tags, _token(env))
    return f"rollback: {versions.ARTIFACT}@{version} is prod again; pushed {tags}"


def publish_release(params: Params, env: Mapping[str, str] | None = None) -> str:
    """The release of env VERSION: assets and model card; published unless a dry run."""
    env = environ(env)
    version = env.get("VERSION", "").strip()
    git.fetch_tags(".", _token(env))
    commit = versions.resolve_commit(f"{versions.ARTIFACT}@{version}")
    assets = release.build(params, version, commit)
    if env.get("RELEASE_DRY_RUN", "").strip().lower() == "true":
        return f"release: assets in {release.RELEASE_DIR} (dry run, nothing published)"
    return release.publish(version, assets, assets[-1])
