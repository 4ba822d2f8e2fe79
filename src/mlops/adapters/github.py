"""GitHub: the `gh` CLI, CML and the Actions runner's files. Nothing else talks to GitHub.

Everything a workflow would send to GitHub goes through one function here, so the
workflow tests run the real workflows with recording stand-ins for `gh` and `cml` and
assert what would have been sent.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from mlops.core.errors import MlopsError

REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class GitHubError(MlopsError):
    """A call to GitHub (through gh or CML) failed, or its tool is missing."""


def _tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise GitHubError(f"`{name}` not found on PATH; {hint}")
    return path


def _run(command: list[str], what: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise GitHubError(f"{what}: {result.stderr.strip()[-300:]}")
    return result.stdout.strip()


def pr_head_sha(repository: str, pr: int) -> str:
    """The PR's current head commit, asked of GitHub's API."""
    if not REPOSITORY.match(repository):
        raise GitHubError(f"GITHUB_REPOSITORY {repository!r} is not owner/name")
    gh = _tool("gh", "it is preinstalled on GitHub-hosted runners")
    out = _run(
        [gh, "api", f"repos/{repository}/pulls/{pr}", "--jq", ".head.sha"],
        f"gh api: PR #{pr} of {repository}",
    )
    return out.lower()


def release_create(tag: str, title: str, notes: Path, assets: list[Path]) -> str:
    """`gh release create` for an existing tag, with the assets; returns gh's output."""
    gh = _tool("gh", "it is preinstalled on GitHub-hosted runners")
    command = [
        gh, "release", "create", tag, "--verify-tag",
        "--title", title, "--notes-file", str(notes), *(str(a) for a in assets),
    ]  # fmt: skip
    return _run(command, f"gh release create {tag}")


def pr_for_branch(repository: str, head: str) -> int | None:
    """The number of the open PR from branch `head`, or None."""
    gh = _tool("gh", "it is preinstalled on GitHub-hosted runners")
    out = _run(
        [gh, "pr", "list", "--repo", repository, "--head", head, "--state", "open",
         "--json", "number", "--jq", ".[0].number"],
        f"gh pr list --head {head}",
    )  # fmt: skip
    return int(out) if out.isdigit() else None


def pr_open_or_update(repository: str, head: str, base: str, title: str, body: Path) -> str:
    """Open a PR from `head` into `base`, or retitle the one already open; its URL or number."""
    gh = _tool("gh", "it is preinstalled on GitHub-hosted runners")
    number = pr_for_branch(repository, head)
    if number is None:
        command = [
            gh, "pr", "create", "--repo", repository, "--base", base, "--head", head,
            "--title", title, "--body-file", str(body),
        ]  # fmt: skip
        return _run(command, f"gh pr create --head {head}")
    command = [
        gh, "pr", "edit", str(number), "--repo", repository,
        "--title", title, "--body-file", str(body),
    ]  # fmt: skip
    _run(command, f"gh pr edit {number}")
    return f"#{number} (updated)"


def cml_comment_update(pr: int, watermark: str, body: Path) -> str:
    """Post, or update in place, the PR comment carrying the watermark (CML)."""
    cml = _tool("cml", "install it with `npm install -g @dvcorg/cml@0.20.6`")
    command = [
        cml, "comment", "update", f"--target=pr/{pr}",
        f"--watermark-title={watermark}", "--no-publish", str(body),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise GitHubError(f"cml comment update exited {result.returncode}: {result.stderr[-300:]}")
    return result.stdout.strip()


def set_output(name: str, value: str, env: Mapping[str, str]) -> None:
    """Write a step output when running in GitHub Actions (GITHUB_OUTPUT is set)."""
    path = env.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{name}={value}\n")
