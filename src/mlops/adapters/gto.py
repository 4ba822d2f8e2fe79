"""GTO: the model registry as git tags. Every GTO call the package makes is here.

GTO reads `model@v1.2.0` as a registered version and `model#prod#3` as an assignment
to a stage; it takes the highest version still assigned to a stage as current (semver
order, not tag time). Errors reading the tags are the registry's: RegistryError.

`events` lists the artifact's tags as GTO parses them (name grammar from GTO itself),
with their commits and annotations, so that the registry can leave out tags it does not
trust (registry/versions.py) and compute the stages from the rest with `stages`, which
applies GTO's own rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from mlops.adapters import git
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
    repo: Path | str,
    artifact: str,
    commit: str,
    version: str | None,
    author: Author,
    message: str | None = None,
) -> tuple[str, str]:
    """Create the registration tag (annotated, with `message`): (version, tag). The next
    minor version when `version` is None."""
    from gto import api
    from gto.exceptions import GTOException

    try:
        created = api.register(
            str(repo), artifact, commit, version=version, bump_minor=version is None,
            message=message, author=author.name, author_email=author.email,
        )  # fmt: skip
    except GTOException as exc:
        raise RegistryError(f"cannot register {artifact} at {commit[:7]}: {exc}") from None
    return str(created.version), str(created.tag)


def assign(
    repo: Path | str,
    artifact: str,
    stage: str,
    version: str,
    author: Author,
    message: str | None = None,
    *,
    remove: bool = False,
) -> str:
    """Create the tag that puts a version in a stage, or with `remove` the one that takes
    it out (history is kept); return it.

    force: the registry decides from the tags it trusts (registry/versions.py); GTO's own
    check reads every tag, hand-pushed ones included, and must not veto it."""
    from gto import api

    tagger = api.unassign if remove else api.assign
    created = tagger(
        str(repo), artifact, stage=stage, version=version, message=message, force=True,
        author=author.name, author_email=author.email,
    )  # fmt: skip
    return str(created.tag)


# --- the tags as events, and GTO's stage rules over a chosen subset of them -----------


@dataclass(frozen=True)
class Event:
    """One GTO tag of the artifact."""

    tag: str
    action: str  # "register", "deregister", "assign", "unassign", "deprecate", "create"
    version: str | None  # the version a registration names (None for stage tags)
    stage: str | None
    commit: str
    time: int  # tagger time (seconds); 0 for a lightweight tag, which GTO ignores
    annotated: bool
    message: str

    @property
    def order(self) -> tuple[int, int]:
        """GTO orders events by tag time (seconds); the tag's #N counter breaks ties."""
        counter = self.tag.rsplit("#", 1)[-1] if "#" in self.tag else ""
        return self.time, int(counter) if counter.isdigit() else 0


def events(repo: Path | str, artifact: str) -> list[Event]:
    """Every tag of the artifact that GTO's grammar accepts, oldest first."""
    from gto.constants import ACTION, STAGE, VERSION
    from gto.tag import parse_name

    prefix = artifact.replace(":", "=")  # GTO's name_to_tag for names with a separator
    found = []
    for tag in git.tags(repo, f"refs/tags/{prefix}@*") + git.tags(repo, f"refs/tags/{prefix}#*"):
        parsed = parse_name(tag.name, raise_on_fail=False)
        if not parsed or parsed.get("name") != artifact:
            continue
        found.append(
            Event(
                tag.name, str(parsed[ACTION].value), parsed.get(VERSION), parsed.get(STAGE),
                tag.commit, tag.time, tag.annotated, tag.message,
            )
        )  # fmt: skip
    return sorted(found, key=lambda e: e.order)


def _semver(version: str) -> tuple[int, ...]:
    core = version.lstrip("v").split("-", 1)[0].split("+", 1)[0]
    return tuple(int(part) for part in core.split("."))


def stages(registrations: dict[str, str], assignments: Iterable[Event]) -> dict[str, list[str]]:
    """GTO's rule for what is in each stage, over the given events only: a version is in
    a stage when its latest assignment event there is an assignment (not an
    unassignment); each stage lists its versions highest first (semver).

    `registrations`: version -> commit of every version to count; an assignment tag
    names a commit, and counts for the version registered at that commit."""
    by_commit = {commit: version for version, commit in registrations.items()}
    latest: dict[tuple[str, str], bool] = {}
    for event in sorted(assignments, key=lambda e: e.order):
        version = by_commit.get(event.commit)
        if version is None or event.stage is None or event.action not in ("assign", "unassign"):
            continue
        latest[(event.stage, version)] = event.action == "assign"
    out: dict[str, list[str]] = {}
    for (stage, version), active in latest.items():
        if active:
            out.setdefault(stage, []).append(version)
    return {stage: sorted(found, key=_semver, reverse=True) for stage, found in out.items()}
