"""GitHub: the `gh` CLI and the Actions runner's files. Nothing else talks to GitHub.

Everything a workflow would send to GitHub goes through one function here (`api`), so
the workflow tests run the real workflows with a recording stand-in for `gh` and assert
what would have been sent. `gh` is preinstalled on GitHub-hosted runners and reads its
token from GH_TOKEN (or GITHUB_TOKEN) in the environment: never from the command line.
Request bodies go through a file (`--input`), so a report's text is never an argument.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops.core.errors import MlopsError

REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
SHA = re.compile(r"^[0-9a-f]{40}$")
STATUS_STATES = ("error", "failure", "pending", "success")
STATUS_DESCRIPTION = 140  # GitHub's limit for a commit status description


class GitHubError(MlopsError):
    """A call to GitHub (through gh) failed, or gh is missing."""


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


def _repository(repository: str) -> str:
    if not REPOSITORY.match(repository):
        raise GitHubError(f"GITHUB_REPOSITORY {repository!r} is not owner/name")
    return repository


def api(
    path: str,
    method: str = "GET",
    body: Mapping[str, Any] | None = None,
    paginate: bool = False,
    jq: str | None = None,
) -> str:
    """`gh api` (REST): the response text. The body, if any, is sent from a file."""
    gh = _tool("gh", "it is preinstalled on GitHub-hosted runners")
    command = [gh, "api", "--method", method, path]
    if paginate:
        command.append("--paginate")
    if jq:
        command += ["--jq", jq]
    with tempfile.TemporaryDirectory(prefix="mlops-gh-") as scratch:
        if body is not None:
            request = Path(scratch) / "body.json"
            request.write_text(json.dumps(body), encoding="utf-8")
            command += ["--input", str(request)]
        return _run(command, f"gh api {method} {path}")


def _pages(text: str) -> list[Any]:
    """`gh api --paginate` prints one JSON array per page, back to back: flatten them."""
    decoder, items, i = json.JSONDecoder(), [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        page, i = decoder.raw_decode(text, i)
        items.extend(page if isinstance(page, list) else [page])
    return items


def pr_head_sha(repository: str, pr: int) -> str:
    """The PR's current head commit, asked of GitHub's API."""
    out = api(f"repos/{_repository(repository)}/pulls/{pr}", jq=".head.sha")
    return out.lower()


# --- PR comments ------------------------------------------------------------------------


def pr_comments(repository: str, pr: int) -> list[dict[str, Any]]:
    """Every comment of a PR, all pages (GitHub returns 30 per page by default), oldest
    first: {"id", "login", "body"}."""
    text = api(f"repos/{_repository(repository)}/issues/{pr}/comments", paginate=True)
    try:
        comments = _pages(text)
    except ValueError as exc:
        raise GitHubError(f"PR #{pr} comments: unreadable answer ({exc})") from None
    return [
        {
            "id": int(c["id"]),
            "login": str((c.get("user") or {}).get("login", "")),
            "body": str(c.get("body") or ""),
        }
        for c in comments
        if isinstance(c, dict) and "id" in c
    ]


def comment_create(repository: str, pr: int, body: str) -> int:
    out = api(f"repos/{_repository(repository)}/issues/{pr}/comments", "POST", {"body": body})
    return int(json.loads(out)["id"])


def comment_update(repository: str, comment_id: int, body: str) -> None:
    api(f"repos/{_repository(repository)}/issues/comments/{comment_id}", "PATCH", {"body": body})


def comment_delete(repository: str, comment_id: int) -> None:
    api(f"repos/{_repository(repository)}/issues/comments/{comment_id}", "DELETE")


# --- commit statuses --------------------------------------------------------------------


def create_status(
    repository: str, sha: str, state: str, context: str, description: str, target_url: str = ""
) -> None:
    """A commit status (Statuses API): what branch protection can require by `context`."""
    if not SHA.match(sha):
        raise GitHubError(f"commit {sha!r} is not a 40-hex sha")
    if state not in STATUS_STATES:
        raise GitHubError(f"status state {state!r} is not one of {', '.join(STATUS_STATES)}")
    body = {"state": state, "context": context, "description": _cut(description)}
    if target_url.startswith("https://"):
        body["target_url"] = target_url
    api(f"repos/{_repository(repository)}/statuses/{sha}", "POST", body)


def _cut(text: str, limit: int = STATUS_DESCRIPTION) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


# --- releases and step outputs ----------------------------------------------------------


def release_create(tag: str, title: str, notes: Path, assets: list[Path]) -> str:
    """`gh release create` for an existing tag, with the assets; returns gh's output."""
    gh = _tool("gh", "it is preinstalled on GitHub-hosted runners")
    command = [
        gh, "release", "create", tag, "--verify-tag",
        "--title", title, "--notes-file", str(notes), *(str(a) for a in assets),
    ]  # fmt: skip
    return _run(command, f"gh release create {tag}")


def set_output(name: str, value: str, env: Mapping[str, str]) -> None:
    """Write a step output when running in GitHub Actions (GITHUB_OUTPUT is set)."""
    path = env.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{name}={value}\n")
