"""GitHub: the `gh` CLI and the Actions runner's files. Nothing else talks to GitHub.

Everything a workflow would send to GitHub goes through one function here (`api`), so
the workflow tests run the real workflows with a recording stand-in for `gh` and assert
what would have been sent. `gh` is preinstalled on GitHub-hosted runners and reads its
token from GH_TOKEN (or GITHUB_TOKEN) in the environment: never from the command line.
Request bodies go through a file (`--input`), so a report's text is never an argument.
"""

from __future__ import annotations

import json
import os
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


def _run(command: list[str], what: str, token: str | None = None) -> str:
    """Run a tool; `token`, if given, is the GH_TOKEN of this one command (never argv)."""
    env = None if token is None else {**os.environ, "GH_TOKEN": token}
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise GitHubError(f"{what}: {_last_words(result.stderr)}")
    return result.stdout.strip()


def _last_words(stderr: str) -> str:
    """A tool's error output as one line (the CLI prints errors as one line): its end."""
    return " ".join(stderr.split())[-300:]


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
    fields: Mapping[str, str] | None = None,
    token: str | None = None,
) -> str:
    """`gh api` (REST): the response text. The body, if any, is sent from a file;
    `fields` are request parameters (the query string of a GET); `token` replaces the
    environment's for this call (e.g. a GitHub App's)."""
    gh = _tool("gh", "it is preinstalled on GitHub-hosted runners")
    command = [gh, "api", "--method", method, path]
    for key, value in (fields or {}).items():
        command += ["-f", f"{key}={value}"]
    if paginate:
        command.append("--paginate")
    if jq:
        command += ["--jq", jq]
    with tempfile.TemporaryDirectory(prefix="mlops-gh-") as scratch:
        if body is not None:
            request = Path(scratch) / "body.json"
            request.write_text(json.dumps(body), encoding="utf-8")
            command += ["--input", str(request)]
        return _run(command, f"gh api {method} {path}", token)


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise GitHubError(f"{what}: the answer is not JSON: {text[:200]!r}") from None


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
    return int(_json(out, f"PR #{pr} new comment")["id"])


def comment_update(repository: str, comment_id: int, body: str) -> None:
    api(f"repos/{_repository(repository)}/issues/comments/{comment_id}", "PATCH", {"body": body})


def comment_delete(repository: str, comment_id: int) -> None:
    api(f"repos/{_repository(repository)}/issues/comments/{comment_id}", "DELETE")


# --- pull requests (the monitor's retraining PR) ---------------------------------------
# Through the REST API, not `gh pr create/edit`: some gh versions' `pr edit` fails on a
# GraphQL field GitHub retired (projectCards; cli/cli#11983).


def open_pulls(repository: str, branch: str, token: str) -> list[dict[str, Any]]:
    """The open pull requests whose head is `branch` of the repository itself."""
    repository = _repository(repository)
    owner = repository.split("/")[0]
    out = api(
        f"repos/{repository}/pulls", fields={"head": f"{owner}:{branch}", "state": "open"},
        token=token,
    )  # fmt: skip
    found = _json(out, "gh api: open PRs")
    if not isinstance(found, list):
        raise GitHubError(f"gh api: open PRs of {branch}: expected a list")
    return [pr for pr in found if isinstance(pr, dict)]


def _pull_request(method: str, endpoint: str, fields: dict[str, Any], token: str) -> dict[str, Any]:
    answer = _json(api(endpoint, method, fields, token=token), f"gh api {method} {endpoint}")
    if not isinstance(answer, dict) or not isinstance(answer.get("number"), int):
        raise GitHubError(f"gh api {method} {endpoint}: no pull request number in the answer")
    return answer


def create_pull(
    repository: str, head: str, base: str, title: str, body: str, token: str
) -> dict[str, Any]:
    """Open a pull request from `head` into `base`; GitHub's answer (number, html_url)."""
    fields = {"title": title, "head": head, "base": base, "body": body}
    return _pull_request("POST", f"repos/{_repository(repository)}/pulls", fields, token)


def update_pull(repository: str, number: int, title: str, body: str, token: str) -> dict[str, Any]:
    """Replace an open pull request's title and body."""
    endpoint = f"repos/{_repository(repository)}/pulls/{number}"
    return _pull_request("PATCH", endpoint, {"title": title, "body": body}, token)


def open_or_update_pull(
    repository: str, branch: str, base: str, title: str, body: str, token: str
) -> tuple[str, dict[str, Any]]:
    """THE pull request from `branch` (a branch the automation owns): the open one is
    updated, else one is opened; never a second. ("opened" | "updated", GitHub's answer)."""
    found = open_pulls(repository, branch, token)
    if found:
        return "updated", update_pull(repository, int(found[0]["number"]), title, body, token)
    return "opened", create_pull(repository, branch, base, title, body, token)


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
