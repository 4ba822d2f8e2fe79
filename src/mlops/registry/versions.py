"""Model versions and stages: which model is the champion, and how a version moves.

The registry is git alone (GTO, adapters/gto.py): `model@v1.2.0` registers a version of
the artifact `model` (declared under `artifacts:` in dvc.yaml) at a commit, and
`model#prod#3` assigns it to the `prod` stage. The current prod version is the highest
version still assigned to prod, so a rollback unassigns the versions above the one it
restores.

GTO tags are ordinary git tags: anyone with push rights can push `model#prod#9` on any
commit. So the registry moves only forward through the gate, and reads only what went
through it (`view`):
- a version counts only if its commit is on the default branch and its registration
  tag's annotation records a passing promotion gate for that very commit (`GATE_RECORD`,
  written by `register`, which refuses to register without a passing gate.json);
- an assignment counts only for such a version, and `prod` only after `staging`;
- every other tag is ignored, with a warning that names it.
Tag rulesets on GitHub (README) stop the pushes themselves; this stops their effect.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.adapters import git, gto
from mlops.adapters.gto import RegistryError

log = logging.getLogger(__name__)

ARTIFACT = "model"  # the artifact name in dvc.yaml `artifacts:`
PROD_STAGE = "prod"  # the stage whose model is the champion
STAGING_STAGE = "staging"  # the stage a version must pass through before prod
FIRST_VERSION = "v1.0.0"
SEMVER = r"v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")
GATE_RECORD = "mlops-gate"  # the annotation line a passing gate writes: "mlops-gate: pass"

__all__ = ["RegistryError"]


@dataclass(frozen=True)
class Champion:
    """The model a challenger is compared with: a commit, and how it was chosen."""

    commit: str  # full sha
    label: str  # what a reviewer reads, e.g. "model@v1.2.0 (prod)" or "main"
    source: str  # "registry" (a prod stage tag) or "rev" (a branch, tag or sha)
    ignored: tuple[str, ...] = ()  # registry tags left out, each "tag: reason"


def resolve_commit(rev: str, repo: Path | str = ".") -> str:
    """Full sha of a branch, tag (including GTO tags like model#prod#3) or sha."""
    sha = git.resolve(repo, rev)
    if sha is None:
        raise RegistryError(
            f"git revision {rev!r} not found in {Path(repo).resolve()} "
            "(fetch it first, e.g. `git fetch origin main --tags`)"
        )
    return sha


# --- what the registry trusts ----------------------------------------------------------


def default_branch(repo: Path | str = ".") -> tuple[str, str]:
    """(name, sha) of the default branch: env DEFAULT_BRANCH (workflows pass GitHub's),
    else `main`; origin's copy when there is one (the truth a laptop may be ahead of)."""
    name = os.environ.get("DEFAULT_BRANCH", "").strip() or "main"
    for ref in (f"refs/remotes/origin/{name}", f"refs/heads/{name}"):
        sha = git.resolve(repo, ref)
        if sha is not None:
            return name, sha
    raise RegistryError(
        f"default branch {name!r} not found in {Path(repo).resolve()} (fetch it, or set "
        "DEFAULT_BRANCH)"
    )


def gate_record(document: dict[str, Any], commit: str) -> str:
    """The registration tag's annotation: which passing gate let this commit in."""
    champion = document.get("champion") or {}
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    return "\n".join(
        [
            f"Register {ARTIFACT} at {commit[:7]}: the promotion gate passed",
            "",
            f"{GATE_RECORD}: pass",
            f"{GATE_RECORD}-commit: {commit}",
            f"{GATE_RECORD}-champion: {champion.get('label')} {champion.get('commit')}",
            f"{GATE_RECORD}-policy-changed: {str(bool(document.get('policy_changed'))).lower()}",
            f"{GATE_RECORD}-sha256: {digest}",
        ]
    )


def _records_passing_gate(message: str, commit: str) -> bool:
    lines = {line.strip() for line in message.splitlines()}
    return f"{GATE_RECORD}: pass" in lines and f"{GATE_RECORD}-commit: {commit}" in lines


@dataclass
class View:
    """The registry as the gate lets it be: trusted versions and stages, and what was
    left out (each "tag: reason")."""

    branch: str
    versions: dict[str, str] = field(default_factory=dict)  # version -> commit
    stages: dict[str, list[str]] = field(default_factory=dict)  # stage -> versions, highest first
    staged: set[str] = field(default_factory=set)  # versions ever (trustedly) in staging
    ignored: list[str] = field(default_factory=list)

    def warn(self) -> None:
        for line in self.ignored:
            log.warning("mlops: warning: ignoring registry tag %s", line)


def view(repo: Path | str = ".", warn: bool = True) -> View:
    """The trusted registry; ignored tags are logged as warnings (when `warn`)."""
    branch, tip = default_branch(repo)
    result = View(branch)
    counted: list[gto.Event] = []
    for event in gto.events(repo, ARTIFACT):
        reason = _untrusted(event, result, repo, branch, tip)
        if reason:
            result.ignored.append(f"{event.tag}: {reason}")
            continue
        if event.action == "register" and event.version:
            result.versions[event.version] = event.commit
        elif event.action == "deregister" and event.version:
            result.versions.pop(event.version, None)
        elif event.action in ("assign", "unassign"):
            counted.append(event)
            version = _version_at(result, event.commit)
            if event.action == "assign" and event.stage == STAGING_STAGE and version:
                result.staged.add(version)
    result.stages = gto.stages(result.versions, counted)
    if warn:
        result.warn()
    return result


def _version_at(current: View, commit: str) -> str | None:
    return next((v for v, c in current.versions.items() if c == commit), None)


def _untrusted(event: gto.Event, current: View, repo: Path | str, branch: str, tip: str) -> str:
    """Why a tag is not trusted ("" when it is), given the trusted events before it."""
    if not event.annotated:
        return "a lightweight tag (registry tags are annotated, made by the workflows)"
    if event.action == "register":
        if not event.version or not re.fullmatch(SEMVER, event.version):
            return "not a version of the form v1.2.3"
        if not git.is_ancestor(repo, event.commit, tip):
            return f"its commit {event.commit[:7]} is not on {branch}"
        if not _records_passing_gate(event.message, event.commit):
            return "its annotation records no passing promotion gate for its commit"
        if event.version in current.versions:
            return f"{event.version} is registered already"
        if _version_at(current, event.commit):
            return f"its commit {event.commit[:7]} has a version already"
        return ""
    if event.action in ("assign", "unassign", "deregister"):
        version = _version_at(current, event.commit)
        if version is None:
            return f"its commit {event.commit[:7]} has no version registered by the gate"
        if event.action == "assign" and event.stage not in (STAGING_STAGE, PROD_STAGE):
            return f"stage {event.stage!r} is not one the workflows use (staging, prod)"
        prod = event.action == "assign" and event.stage == PROD_STAGE
        if prod and version not in current.staged:
            return f"{version} is assigned to {PROD_STAGE} without being in staging first"
        return ""
    return f"GTO action {event.action!r} is not used by this registry"


def prod_version(repo: Path | str = ".", current: View | None = None) -> tuple[str, str] | None:
    """(version, commit) of the artifact's current `prod` version, or None if none."""
    current = current or view(repo)
    active = current.stages.get(PROD_STAGE, [])
    return (active[0], current.versions[active[0]]) if active else None


def resolve_champion(rev: str | None, base: str, repo: Path | str = ".") -> Champion:
    """The champion: `rev` if given; else the current (trusted) prod model; else the
    base branch. A hand-pushed registry tag never makes a champion (it is warned about)."""
    if rev:
        return Champion(resolve_commit(rev, repo), rev, "rev")
    try:
        current = view(repo)
    except RegistryError:  # no default branch here (a bare local experiment): no registry
        return Champion(resolve_commit(base, repo), base, "rev")
    found = prod_version(repo, current)
    ignored = tuple(current.ignored)
    if found is not None:
        version, commit = found
        return Champion(commit, f"{ARTIFACT}@{version} ({PROD_STAGE})", "registry", ignored)
    return Champion(resolve_commit(base, repo), base, "rev", ignored)


# --- Promotion and rollback (used by the promote and rollback workflows) ---------------


def _author(repo: Path | str) -> gto.Author:
    """Tag author: the git identity if one is configured, else GitHub's Actions bot."""
    name, email = git.config_value(repo, "user.name"), git.config_value(repo, "user.email")
    return gto.Author(name or BOT[0], email or BOT[1])


def versions(repo: Path | str = ".") -> dict[str, str]:
    """Every trusted registered version of the artifact -> its commit sha."""
    return dict(view(repo).versions)


def register(
    repo: Path | str = ".", ref: str = "HEAD", gate: dict[str, Any] | None = None
) -> tuple[str, list[str]]:
    """Register the model at `ref` as the next minor version: (version, tags created).

    Only through the gate: `gate` (gate.json) must say "pass" for this very commit, and
    the commit must be on the default branch. The annotation records that gate.
    Idempotent: if `ref` already has a trusted version (a rerun of the workflow), it is
    reused.
    """
    commit = resolve_commit(ref, repo)
    current = view(repo)
    if not git.is_ancestor(repo, commit, default_branch(repo)[1]):
        raise RegistryError(f"{commit[:7]} is not on {current.branch}: only merged models")
    existing = _version_at(current, commit)
    if existing:
        return existing, []
    if not gate or gate.get("decision") != "pass":
        decision = (gate or {}).get("decision", "missing")
        raise RegistryError(f"refusing to register {commit[:7]}: the gate's decision is {decision}")
    challenger = (gate.get("challenger") or {}).get("commit")
    if challenger != commit:
        raise RegistryError(
            f"refusing to register {commit[:7]}: gate.json judged {str(challenger)[:7]}, "
            "not this commit"
        )
    first = not current.versions and not _any_registered(repo)
    version, tag = gto.register(
        repo, ARTIFACT, commit, FIRST_VERSION if first else None, _author(repo),
        gate_record(gate, commit),
    )  # fmt: skip
    return version, [tag]


def version_tags(version: str, repo: Path | str = ".") -> list[str]:
    """The tags that make `version` what it is in this checkout, oldest first: its
    trusted registration and every stage tag on its commit."""
    current = view(repo, warn=False)
    commit = current.versions.get(version)
    if commit is None:
        return []
    return [
        e.tag
        for e in gto.events(repo, ARTIFACT)
        if e.commit == commit
        and (
            e.action in ("assign", "unassign") or (e.action == "register" and e.version == version)
        )
    ]


def _any_registered(repo: Path | str) -> bool:
    """Whether any registration tag exists (trusted or not): GTO then bumps from it."""
    return any(e.action == "register" for e in gto.events(repo, ARTIFACT))


def _check_version(version: str, current: View) -> None:
    if not re.fullmatch(SEMVER, version):
        raise RegistryError(f"version {version!r} is not of the form v1.2.3")
    if version not in current.versions:
        raise RegistryError(
            f"{ARTIFACT}@{version} is not a version registered by the promotion gate on "
            f"{current.branch} (see `gto show {ARTIFACT}` and the warnings above)"
        )


def in_stage(stage: str, repo: Path | str = ".") -> list[str]:
    """Every version currently (actively, trustedly) assigned to `stage`, highest first."""
    return list(view(repo).stages.get(stage, []))


def assign(stage: str, version: str, repo: Path | str = ".") -> list[str]:
    """Assign a registered version to a stage: the tags created (none if already there).
    `prod` only after `staging`."""
    if stage not in (STAGING_STAGE, PROD_STAGE):
        raise RegistryError(f"stage {stage!r}: the registry uses {STAGING_STAGE} and {PROD_STAGE}")
    current = view(repo)
    _check_version(version, current)
    if version in current.stages.get(stage, []):
        return []
    if stage == PROD_STAGE and version not in current.staged:
        raise RegistryError(
            f"{ARTIFACT}@{version} has not been in {STAGING_STAGE}: prod only after staging"
        )
    return [gto.assign(repo, ARTIFACT, stage, version, _author(repo))]


def rollback(version: str, repo: Path | str = ".") -> list[str]:
    """Make `version` the one prod version again: the tags created.

    GTO lets several versions sit in a stage and reads the highest as current, so a
    rollback unassigns prod from every other version (tags like `model#prod!#7`, which
    keep the history) and reassigns `version` if it had been unassigned itself. Only a
    version the gate registered, on the default branch, that went through staging.
    """
    current = view(repo)
    _check_version(version, current)
    if version not in current.staged:
        raise RegistryError(f"{ARTIFACT}@{version} never went through {STAGING_STAGE}")
    active = current.stages.get(PROD_STAGE, [])
    if active[:1] == [version]:
        raise RegistryError(
            f"{ARTIFACT}@{version} is already in {PROD_STAGE}; nothing to roll back"
        )
    created = [
        gto.assign(repo, ARTIFACT, PROD_STAGE, other, _author(repo), remove=True)
        for other in active
        if other != version
    ]
    if version not in active:
        created.append(gto.assign(repo, ARTIFACT, PROD_STAGE, version, _author(repo)))
    return created
