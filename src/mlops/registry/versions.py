"""Model versions and stages: which model is the champion, and how a version moves.

The registry is git alone (GTO, adapters/gto.py): `model@v1.2.0` registers a version of
the artifact `model` (declared under `artifacts:` in dvc.yaml) at a commit, and
`model#prod#3` assigns it to the `prod` stage. The current prod version is the highest
version still assigned to prod, so a rollback unassigns the versions above the one it
restores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mlops.adapters import git, gto
from mlops.adapters.gto import RegistryError

ARTIFACT = "model"  # the artifact name in dvc.yaml `artifacts:`
PROD_STAGE = "prod"  # the stage whose model is the champion
FIRST_VERSION = "v1.0.0"
SEMVER = r"v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")

__all__ = ["RegistryError"]


@dataclass(frozen=True)
class Champion:
    """The model a challenger is compared with: a commit, and how it was chosen."""

    commit: str  # full sha
    label: str  # what a reviewer reads, e.g. "model@v1.2.0 (prod)" or "main"
    source: str  # "registry" (a prod stage tag) or "rev" (a branch, tag or sha)


def resolve_commit(rev: str, repo: Path | str = ".") -> str:
    """Full sha of a branch, tag (including GTO tags like model#prod#3) or sha."""
    sha = git.resolve(repo, rev)
    if sha is None:
        raise RegistryError(
            f"git revision {rev!r} not found in {Path(repo).resolve()} "
            "(fetch it first, e.g. `git fetch origin main --tags`)"
        )
    return sha


def prod_version(repo: Path | str = ".") -> tuple[str, str] | None:
    """(version, commit) of the artifact's current `prod` version, or None if none."""
    active = gto.in_stage(repo, ARTIFACT, PROD_STAGE)
    return (active[0].version, active[0].commit) if active else None


def resolve_champion(rev: str | None, base: str, repo: Path | str = ".") -> Champion:
    """The champion: `rev` if given; else the current prod model; else the base branch."""
    if rev:
        return Champion(resolve_commit(rev, repo), rev, "rev")
    found = prod_version(repo)
    if found is not None:
        version, commit = found
        return Champion(commit, f"{ARTIFACT}@{version} ({PROD_STAGE})", "registry")
    return Champion(resolve_commit(base, repo), base, "rev")


# --- Promotion and rollback (used by the promote and rollback workflows) ---------------


def _author(repo: Path | str) -> gto.Author:
    """Tag author: the git identity if one is configured, else GitHub's Actions bot."""
    name, email = git.config_value(repo, "user.name"), git.config_value(repo, "user.email")
    return gto.Author(name or BOT[0], email or BOT[1])


def versions(repo: Path | str = ".") -> dict[str, str]:
    """Every registered version of the artifact -> its commit sha."""
    return {v.version: v.commit for v in gto.registered(repo, ARTIFACT)}


def register(repo: Path | str = ".", ref: str = "HEAD") -> tuple[str, list[str]]:
    """Register the model at `ref` as the next minor version: (version, tags created).

    Idempotent: if `ref` already has a version (a rerun of the workflow), it is reused.
    """
    commit = resolve_commit(ref, repo)
    known = versions(repo)
    for version, sha in known.items():
        if sha == commit:
            return version, []
    version, tag = gto.register(
        repo, ARTIFACT, commit, None if known else FIRST_VERSION, _author(repo)
    )
    return version, [tag]


def _check_version(version: str, repo: Path | str) -> None:
    if not re.fullmatch(SEMVER, version):
        raise RegistryError(f"version {version!r} is not of the form v1.2.3")
    if version not in versions(repo):
        raise RegistryError(f"{ARTIFACT}@{version} is not registered (see `gto show {ARTIFACT}`)")


def in_stage(stage: str, repo: Path | str = ".") -> list[str]:
    """Every version currently (actively) assigned to `stage`, highest first."""
    return [v.version for v in gto.in_stage(repo, ARTIFACT, stage)]


def assign(stage: str, version: str, repo: Path | str = ".") -> list[str]:
    """Assign a registered version to a stage: the tags created (none if already there)."""
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", stage):
        raise RegistryError(f"stage {stage!r}: use lowercase letters, digits and '-'")
    _check_version(version, repo)
    if version in in_stage(stage, repo):
        return []
    return [gto.assign(repo, ARTIFACT, stage, version, _author(repo))]


def rollback(version: str, repo: Path | str = ".") -> list[str]:
    """Make `version` the one prod version again: the tags created.

    GTO lets several versions sit in a stage and reads the highest as current, so a
    rollback unassigns prod from every other version (tags like `model#prod!#7`, which
    keep the history) and reassigns `version` if it had been unassigned itself.
    """
    _check_version(version, repo)
    active = in_stage(PROD_STAGE, repo)
    if active[:1] == [version]:
        raise RegistryError(
            f"{ARTIFACT}@{version} is already in {PROD_STAGE}; nothing to roll back"
        )
    created = [
        gto.unassign(repo, ARTIFACT, PROD_STAGE, other, _author(repo))
        for other in active
        if other != version
    ]
    if version not in active:
        created += assign(PROD_STAGE, version, repo)
    return created
