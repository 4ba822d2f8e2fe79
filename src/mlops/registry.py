"""Model versions and stages, read from git tags with GTO.

GTO keeps the registry in git alone: `model@v1.2.0` registers a version of the artifact
`model` (declared under `artifacts:` in dvc.yaml) at a commit, `model#prod#3` assigns it
to the `prod` stage. The newest assignment wins, so a rollback is one more tag.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from mlops.errors import MlopsError

ARTIFACT = "model"  # the artifact name in dvc.yaml `artifacts:`
PROD_STAGE = "prod"  # the stage whose model is the champion


class RegistryError(MlopsError):
    """A revision, tag or registry state cannot be resolved."""


@dataclass(frozen=True)
class Champion:
    """The model a challenger is compared with: a commit, and how it was chosen."""

    commit: str  # full sha
    label: str  # what a reviewer reads, e.g. "model@v1.2.0 (prod)" or "main"
    source: str  # "registry" (a prod stage tag) or "rev" (a branch, tag or sha)


def resolve_commit(rev: str, repo: Path | str = ".") -> str:
    """Full sha of a branch, tag (including GTO tags like model#prod#3) or sha."""
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
        cwd=repo, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0 or not result.stdout.strip():
        raise RegistryError(
            f"git revision {rev!r} not found in {Path(repo).resolve()} "
            "(fetch it first, e.g. `git fetch origin main --tags`)"
        )
    return result.stdout.strip()


def prod_version(repo: Path | str = ".") -> tuple[str, str] | None:
    """(version, commit) of the artifact's newest `prod` assignment, or None if none."""
    from gto import api
    from gto.exceptions import ArtifactNotFound, NoRepo

    try:
        active = api.find_versions_in_stage(str(repo), ARTIFACT, PROD_STAGE)
    except (ArtifactNotFound, NoRepo):
        return None
    if not active:
        return None
    newest = active[0]
    return str(newest.version), str(newest.commit_hexsha)


def resolve_champion(rev: str | None, base: str, repo: Path | str = ".") -> Champion:
    """The champion: `rev` if given; else the newest prod model; else the base branch."""
    if rev:
        return Champion(resolve_commit(rev, repo), rev, "rev")
    found = prod_version(repo)
    if found is not None:
        version, commit = found
        return Champion(commit, f"{ARTIFACT}@{version} ({PROD_STAGE})", "registry")
    return Champion(resolve_commit(base, repo), base, "rev")
