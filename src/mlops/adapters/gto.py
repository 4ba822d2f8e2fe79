"""GTO: the model registry as git tags. Every GTO call the package makes is here.

GTO reads `model@v1.2.0` as a registered version and `model#prod#3` as an assignment
to a stage; it takes the highest version still assigned to a stage as current (semver
order, not tag time). Errors reading the tags are the registry's: RegistryError.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from mlops.core.errors import MlopsError


class RegistryError(MlopsError):
    """A revision, tag or registry state cannot be resolved."""


@dataclass(frozen=True)
class Version:
    version: str  # "v1.2.0"
    commit: str  # full sha


def registered(repo: Path | str, artifact: str) -> list[Version]:
    """Every registered version of the artifact."""
    from gto import api
    from gto.exceptions import ArtifactNotFound, GTOException, NoRepo
    from scmrepo.exceptions import SCMError

    try:
        found = api.show(str(repo), artifact)
    except (ArtifactNotFound, NoRepo):
        return []
    except (GTOException, SCMError) as exc:  # SCMError: GTO's git layer (e.g. not a repo)
        raise RegistryError(f"GTO tags of {artifact!r} unreadable: {exc}") from None
    return [
        Version(str(row["version"]), str(row["commit_hexsha"]))
        for row in found
        if row.get("version")
    ]


def in_stage(repo: Path | str, artifact: str, stage: str) -> list[Version]:
    """Every version currently (actively) assigned to `stage`, highest first."""
    from gto import api
    from gto.exceptions import ArtifactNotFound, GTOException, NoRepo
    from scmrepo.exceptions import SCMError

    try:
        found = api.find_versions_in_stage(str(repo), artifact, stage, versions_per_stage=-1)
    except (ArtifactNotFound, NoRepo):
        return []
    except (GTOException, SCMError) as exc:
        raise RegistryError(f"GTO tags of {artifact!r} unreadable: {exc}") from None
    return [Version(str(v.version), str(v.commit_hexsha)) for v in found or []]


class Author(NamedTuple):
    """Who the tags say made them."""

    name: str
    email: str


def register(
    repo: Path | str, artifact: str, commit: str, version: str | None, author: Author
) -> tuple[str, str]:
    """Create the registration tag: (version, tag). The next minor version when
    `version` is None."""
    from gto import api

    created = api.register(
        str(repo), artifact, commit, version=version, bump_minor=version is None,
        author=author.name, author_email=author.email,
    )  # fmt: skip
    return str(created.version), str(created.tag)


def assign(repo: Path | str, artifact: str, stage: str, version: str, author: Author) -> str:
    """Create the assignment tag of a version to a stage; return it."""
    from gto import api

    created = api.assign(
        str(repo), artifact, stage, version=version, author=author.name, author_email=author.email
    )
    return str(created.tag)


def unassign(repo: Path | str, artifact: str, stage: str, version: str, author: Author) -> str:
    """Create the tag that takes a version out of a stage (history is kept); return it."""
    from gto import api

    removed = api.unassign(
        str(repo), artifact, version=version, stage=stage,
        author=author.name, author_email=author.email,
    )  # fmt: skip
    return str(removed.tag)
