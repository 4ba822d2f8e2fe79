"""git: every git command the package runs goes through `git()` here.

Tokens never sit in .git/config (checkouts use persist-credentials: false) nor on a
command line (where any process on the runner could read it): a push or fetch that
needs GitHub's token gets it as an `http.extraheader` passed through git's environment
(GIT_CONFIG_COUNT/KEY/VALUE, git >= 2.31), for that one command.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from mlops.core.errors import MlopsError


class GitError(MlopsError):
    """A git command failed, or a revision or file does not exist."""


def git(
    repo: Path | str, *args: str, check: bool = True, config: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `git args` in repo; raise GitError (one line) when check and it fails.

    `config`: settings for this command only, passed in the environment, never argv."""
    env = None
    if config:
        env = dict(os.environ)
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for i, (key, value) in enumerate(config.items()):
            env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
    result = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        detail = " ".join(result.stderr.split())[:300]
        raise GitError(f"git {' '.join(args[:3])} failed in {repo}: {detail}")
    return result


def resolve(repo: Path | str, rev: str) -> str | None:
    """Full sha of a branch, tag (GTO tags like model#prod#3 too) or sha; None if unknown."""
    result = git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    sha = result.stdout.strip()
    return sha if result.returncode == 0 and sha else None


def head(repo: Path | str) -> str | None:
    """The checked-out commit, or None outside a repository (or before a first commit)."""
    result = git(repo, "rev-parse", "HEAD", check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def show(repo: Path | str, commit: str, path: str) -> str | None:
    """A file's text at a commit, or None if the commit does not have it."""
    result = git(repo, "show", f"{commit}:{path}", check=False)
    return result.stdout if result.returncode == 0 else None


def subject(repo: Path | str, commit: str) -> str:
    """First line of a commit's message."""
    return git(repo, "log", "-1", "--format=%s", commit).stdout.strip()


def has_uncommitted_changes(repo: Path | str) -> bool:
    return bool(git(repo, "status", "--porcelain", "--untracked-files=no").stdout.strip())


def config_value(repo: Path | str, key: str) -> str:
    """A git config value, or "" when unset."""
    return git(repo, "config", key, check=False).stdout.strip()


def remote_url(repo: Path | str, name: str = "origin") -> str | None:
    result = git(repo, "remote", "get-url", name, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def worktree_add(repo: Path | str, path: Path, commit: str) -> None:
    git(repo, "worktree", "add", "--detach", "--force", str(path), commit)


def worktree_remove(repo: Path | str, path: Path) -> None:
    """Remove a worktree and prune its record; never fails (used in cleanup)."""
    git(repo, "worktree", "remove", "--force", str(path), check=False)
    git(repo, "worktree", "prune", check=False)


def auth_config(url: str, token: str) -> dict[str, str]:
    """The git setting that sends the token to an https remote, as actions/checkout does."""
    parsed = urlparse(url)
    if not token or parsed.scheme != "https" or not parsed.hostname:
        return {}
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {f"http.https://{parsed.hostname}/.extraheader": f"AUTHORIZATION: basic {basic}"}


def push_tags(repo: Path | str, tags: Sequence[str], token: str = "") -> None:
    """`git push origin refs/tags/<tag>...`, the token (if any) for this command only."""
    if not tags:
        return
    url = remote_url(repo)
    if url is None:
        raise GitError(f"git push: no remote 'origin' in {repo}")
    refs = [f"refs/tags/{tag}" for tag in tags]
    result = git(repo, "push", "origin", *refs, check=False, config=auth_config(url, token))
    if result.returncode != 0:
        message = result.stderr.strip()
        message = message.replace(token, "***") if token else message
        raise GitError(f"git push origin {' '.join(tags)}: {message[-300:]}")


def remote_tags(repo: Path | str, token: str = "") -> set[str]:
    """The names of origin's tags (`git ls-remote`); empty without an origin."""
    url = remote_url(repo)
    if url is None:
        return set()
    listed = git(repo, "ls-remote", "--tags", "--refs", "origin", config=auth_config(url, token))
    return {line.split("refs/tags/", 1)[1] for line in listed.stdout.splitlines() if line}


def fetch_tags(repo: Path | str, token: str = "") -> None:
    """Fetch origin's tags (another job may have pushed some since checkout); best effort."""
    url = remote_url(repo)
    if url is None:
        return
    git(repo, "fetch", "--quiet", "--tags", "origin", check=False, config=auth_config(url, token))


def fetch_branch(repo: Path | str, branch: str, token: str = "") -> str | None:
    """Fetch origin's `branch` (as refs/remotes/origin/<branch>); its sha, or None when
    origin has no such branch."""
    url = remote_url(repo)
    if url is None:
        return None
    ref = f"refs/remotes/origin/{branch}"
    result = git(
        repo, "fetch", "--quiet", "origin", f"+refs/heads/{branch}:{ref}",
        check=False, config=auth_config(url, token),
    )  # fmt: skip
    return resolve(repo, ref) if result.returncode == 0 else None


def checkout_branch(repo: Path | str, branch: str) -> None:
    """Point `branch` at HEAD and check it out, keeping the working tree's changes."""
    git(repo, "checkout", "-q", "-B", branch)


def commit_tracked(
    repo: Path | str, paths: Sequence[str], message: str, author: tuple[str, str]
) -> str | None:
    """Commit the changes of already-tracked `paths` as `author`; the new sha, or None
    when none of them changed."""
    git(repo, "add", "--update", "--", *paths)
    if not git(repo, "diff", "--cached", "--name-only").stdout.strip():
        return None
    identity = {"user.name": author[0], "user.email": author[1]}
    git(repo, "commit", "-q", "-m", message, config=identity)
    return head(repo)


def push_branch(repo: Path | str, branch: str, token: str = "") -> None:
    """Force-push HEAD to origin's `branch` (a branch the automation owns), the token (if
    any) for this command only."""
    url = remote_url(repo)
    if url is None:
        raise GitError(f"git push: no remote 'origin' in {repo}")
    ref = f"HEAD:refs/heads/{branch}"
    result = git(
        repo, "push", "--force", "origin", ref, check=False, config=auth_config(url, token)
    )
    if result.returncode != 0:
        message = result.stderr.strip()
        message = message.replace(token, "***") if token else message
        raise GitError(f"git push origin {branch}: {message[-300:]}")


def fetch_ref(repo: Path | str, ref: str, local: str, token: str = "") -> None:
    """Fetch origin's `ref` into the local ref `local` (objects only: nothing is checked out)."""
    url = remote_url(repo)
    if url is None:
        raise GitError(f"git fetch: no remote 'origin' in {repo}")
    result = git(
        repo, "fetch", "--quiet", "--no-tags", "origin", f"+{ref}:{local}", check=False,
        config=auth_config(url, token),
    )  # fmt: skip
    if result.returncode != 0:
        message = result.stderr.strip()
        message = message.replace(token, "***") if token else message
        raise GitError(f"git fetch origin {ref}: {message[-300:]}")


def is_ancestor(repo: Path | str, commit: str, of: str) -> bool:
    """True when `commit` is `of` or one of its ancestors."""
    return git(repo, "merge-base", "--is-ancestor", commit, of, check=False).returncode == 0


def object_size(repo: Path | str, commit: str, path: str) -> int | None:
    """Size in bytes of a file at a commit (read before the file itself), or None."""
    result = git(repo, "cat-file", "-s", f"{commit}:{path}", check=False)
    return int(result.stdout.strip()) if result.returncode == 0 else None


def tracked(repo: Path | str, *paths: str) -> list[str]:
    """The files git tracks under the given paths."""
    return git(repo, "ls-files", "-z", "--", *paths).stdout.split("\0")[:-1] or []


@dataclass(frozen=True)
class Tag:
    """A tag as git stores it: annotated tags carry a tagger time and a message."""

    name: str
    annotated: bool
    commit: str  # the commit it points to (peeled)
    time: int  # tagger time, seconds since the epoch (0 for a lightweight tag)
    message: str


_FIELDS = "%00".join(
    (
        "%(refname:strip=2)", "%(objecttype)", "%(*objectname)", "%(objectname)",
        "%(taggerdate:unix)", "%(contents)%1e",
    )
)  # fmt: skip


def tags(repo: Path | str, pattern: str) -> list[Tag]:
    """Every tag matching a `git for-each-ref` pattern (e.g. refs/tags/model[@#]*)."""
    out = git(repo, "for-each-ref", f"--format={_FIELDS}", pattern).stdout
    found = []
    for record in out.split("\x1e"):
        fields = record.lstrip("\n").split("\0")
        if len(fields) != 6:
            continue
        name, kind, peeled, target, when, message = fields
        annotated = kind == "tag"
        found.append(
            Tag(name, annotated, peeled if annotated else target,
                int(when) if when.strip() else 0, message)
        )  # fmt: skip
    return found
