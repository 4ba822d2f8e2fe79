"""The steps of the promote, release and rollback workflows, and the PR's repro.

Each reads its inputs from the environment (validated), does one thing through the
adapters, and returns the line the CLI prints.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlops.adapters import dvc, git, github
from mlops.ci.inputs import WorkflowError, environ
from mlops.core.config import Params
from mlops.registry import release, versions


def repro(root: str = ".") -> str:
    """`dvc repro`, with --pull --allow-missing when a DVC remote can hold data."""
    command = dvc.repro_command(root)
    result = dvc.run_cli(command[1:], root, capture=False)
    if result.returncode != 0:
        raise WorkflowError(f"`{' '.join(command)}` exited {result.returncode}")
    return f"repro: ran `{' '.join(command)}`"


def _token(env: Mapping[str, str]) -> str:
    return env.get("GITHUB_TOKEN", "").strip()


def register(env: Mapping[str, str] | None = None, repo: str = ".") -> str:
    """Register HEAD as the next model version and assign it to staging; push the tags."""
    env = environ(env)
    git.fetch_tags(repo, _token(env))
    version, tags = versions.register(repo)
    tags += versions.assign("staging", version, repo)
    git.push_tags(repo, tags, _token(env))
    github.set_output("version", version, env)
    return f"register: {versions.ARTIFACT}@{version} in staging; pushed {tags or 'nothing new'}"


def assign(env: Mapping[str, str] | None = None, repo: str = ".") -> str:
    """Assign env VERSION to env STAGE; push the tag."""
    env = environ(env)
    version, stage = env.get("VERSION", "").strip(), env.get("STAGE", "").strip()
    git.fetch_tags(repo, _token(env))
    tags = versions.assign(stage, version, repo)
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
