"""Model versions and stages, read from git tags with GTO.

GTO keeps the registry in git alone: `model@v1.2.0` registers a version of the artifact
`model` (declared under `artifacts:` in dvc.yaml) at a commit, `model#prod#3` assigns it
to the `prod` stage. GTO reads the highest version still assigned to a stage as current
(semver order, not tag time), so a rollback unassigns the versions above the one restored.
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
    """(version, commit) of the artifact's current `prod` version (GTO: the highest version
    actively assigned to prod), or None if none."""
    from gto import api
    from gto.exceptions import ArtifactNotFound, GTOException, NoRepo

    try:
        active = api.find_versions_in_stage(str(repo), ARTIFACT, PROD_STAGE)
    except (ArtifactNotFound, NoRepo):
        return None
    except GTOException as exc:
        raise RegistryError(f"GTO tags of {ARTIFACT!r} unreadable: {exc}") from None
    if not active:
        return None
    current = active[0]
    return str(current.version), str(current.commit_hexsha)


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

FIRST_VERSION = "v1.0.0"
SEMVER = r"v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")


def _author(repo: Path | str) -> dict[str, str]:
    """Tag author: the git identity if one is configured, else GitHub's Actions bot."""
    name, email = (
        subprocess.run(
            ["git", "config", key], cwd=repo, capture_output=True, text=True, check=False
        ).stdout.strip()
        for key in ("user.name", "user.email")
    )
    return {"author": name or BOT[0], "author_email": email or BOT[1]}


def versions(repo: Path | str = ".") -> dict[str, str]:
    """Every registered version of the artifact -> its commit sha."""
    from gto import api
    from gto.exceptions import ArtifactNotFound, NoRepo

    try:
        found = api.show(str(repo), ARTIFACT)
    except (ArtifactNotFound, NoRepo):
        return {}
    return {str(row["version"]): str(row["commit_hexsha"]) for row in found if row.get("version")}


def register(repo: Path | str = ".", ref: str = "HEAD") -> tuple[str, list[str]]:
    """Register the model at `ref` as the next minor version: (version, tags created).

    Idempotent: if `ref` already has a version (a rerun of the workflow), it is reused.
    """
    from gto import api

    commit = resolve_commit(ref, repo)
    known = versions(repo)
    for version, sha in known.items():
        if sha == commit:
            return version, []
    bump = {"bump_minor": True} if known else {"version": FIRST_VERSION}
    created = api.register(str(repo), ARTIFACT, commit, **bump, **_author(repo))
    return str(created.version), [str(created.tag)]


def _check_version(version: str, repo: Path | str) -> None:
    import re

    if not re.fullmatch(SEMVER, version):
        raise RegistryError(f"version {version!r} is not of the form v1.2.3")
    if version not in versions(repo):
        raise RegistryError(f"{ARTIFACT}@{version} is not registered (see `gto show {ARTIFACT}`)")


def in_stage(stage: str, repo: Path | str = ".") -> list[str]:
    """Every version currently (actively) assigned to `stage`, highest first."""
    from gto import api
    from gto.exceptions import ArtifactNotFound, NoRepo

    try:
        found = api.find_versions_in_stage(str(repo), ARTIFACT, stage, versions_per_stage=-1)
    except (ArtifactNotFound, NoRepo):
        return []
    return [str(v.version) for v in found or []]


def assign(stage: str, version: str, repo: Path | str = ".") -> list[str]:
    """Assign a registered version to a stage: the tags created (none if already there)."""
    import re

    from gto import api

    if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", stage):
        raise RegistryError(f"stage {stage!r}: use lowercase letters, digits and '-'")
    _check_version(version, repo)
    if version in in_stage(stage, repo):
        return []
    created = api.assign(str(repo), ARTIFACT, stage, version=version, **_author(repo))
    return [str(created.tag)]


def rollback(version: str, repo: Path | str = ".") -> list[str]:
    """Make `version` the one prod version again: the tags created.

    GTO lets several versions sit in a stage and reads the highest as current, so a
    rollback unassigns prod from every other version (tags like `model#prod!#7`, which
    keep the history) and reassigns `version` if it had been unassigned itself.
    """
    from gto import api

    _check_version(version, repo)
    active = in_stage(PROD_STAGE, repo)
    if active[:1] == [version]:
        raise RegistryError(
            f"{ARTIFACT}@{version} is already in {PROD_STAGE}; nothing to roll back"
        )
    created = []
    for other in active:
        if other != version:
            removed = api.unassign(
                str(repo), ARTIFACT, version=other, stage=PROD_STAGE, **_author(repo)
            )
            created.append(str(removed.tag))
    if version not in active:
        created += assign(PROD_STAGE, version, repo)
    return created
