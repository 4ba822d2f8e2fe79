"""git: every git command the package runs goes through `git()` here.

Tokens never sit in .git/config (checkouts use persist-credentials: false): a push or
fetch that needs GitHub's token gets it as a one-command `-c http.extraheader`, the way
actions/checkout passes it.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

from mlops.core.errors import MlopsError


class GitError(MlopsError):
    """A git command failed, or a revision or file does not exist."""


def git(
    repo: Path | str, *args: str, check: bool = True, config: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """Run `git [config] args` in repo; raise GitError (one line) when check and it fails."""
    result = subprocess.run(
        ["git", *config, *args], cwd=repo, capture_output=True, text=True, check=False
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


def auth_config(url: str, token: str) -> list[str]:
    """`git -c` options that send the token to an https remote, as actions/checkout does."""
    parsed = urlparse(url)
    if not token or parsed.scheme != "https" or not parsed.hostname:
        return []
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return ["-c", f"http.https://{parsed.hostname}/.extraheader=AUTHORIZATION: basic {basic}"]


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


def fetch_tags(repo: Path | str, token: str = "") -> None:
    """Fetch origin's tags (another job may have pushed some since checkout); best effort."""
    url = remote_url(repo)
    if url is None:
        return
    git(repo, "fetch", "--quiet", "--tags", "origin", check=False, config=auth_config(url, token))


def commit_on_branch(
    repo: Path | str, branch: str, paths: Sequence[str], message: str, author: tuple[str, str]
) -> str | None:
    """Check out `branch` at HEAD (created or reset), commit `paths` on it: the new sha, or
    None when the paths hold no change."""
    git(repo, "checkout", "-q", "-B", branch)
    git(repo, "add", "--", *paths)
    if not git(repo, "diff", "--cached", "--quiet", check=False).returncode:
        return None
    name, email = author
    identity = ["-c", f"user.name={name}", "-c", f"user.email={email}"]
    git(repo, "commit", "-q", "-m", message, config=identity)
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def push_branch(repo: Path | str, branch: str, token: str = "") -> None:
    """`git push --force origin <branch>` (a branch this tool owns), the token for this
    command only."""
    url = remote_url(repo)
    if url is None:
        raise GitError(f"git push: no remote 'origin' in {repo}")
    ref = f"refs/heads/{branch}:refs/heads/{branch}"
    result = git(repo, "push", "--force", "origin", ref, check=False,
                 config=auth_config(url, token))  # fmt: skip
    if result.returncode != 0:
        message = result.stderr.strip()
        message = message.replace(token, "***") if token else message
        raise GitError(f"git push origin {branch}: {message[-300:]}")
