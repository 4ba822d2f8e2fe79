"""GitHub: the `gh` CLI, CML and the Actions runner's files. Nothing else talks to GitHub.

Everything a workflow would send to GitHub goes through one function here, so the
workflow tests run the real workflows with recording stand-ins for `gh` and `cml` and
assert what would have been sent.
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


class GitHubError(MlopsError):
    """A call to GitHub (through gh or CML) failed, or its tool is missing."""


def _tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise GitHubError(f"`{name}` not found on PATH; {hint}")
    return path


def _run(command: list[str], what: str, token: str | None = None) -> str:
    """Run a tool; `token`, if given, is the GH_TOKEN of this one command."""
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


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise GitHubError(f"{what}: the answer is not JSON: {text[:200]!r}") from None


# Pull requests through the REST API (`gh api`), not `gh pr create/edit`: some gh versions'
# `pr edit` fails on a GraphQL field GitHub retired (projectCards; cli/cli#11983).


def open_pulls(repository: str, branch: str, token: str) -> list[dict[str, Any]]:
    """The open pull requests whose head is `branch` of the repository itself."""
    repository = _repository(repository)
    gh = _tool("gh", "it is preinstalled on GitHub-hosted runners")
    owner = repository.split("/")[0]
    out = _run(
        [gh, "api", "--method", "GET", f"repos/{repository}/pulls",
         "-f", f"head={owner}:{branch}", "-f", "state=open"],
        f"gh api: open PRs of {branch}", token,
    )  # fmt: skip
    found = _json(out, "gh api: open PRs")
    if not isinstance(found, list):
        raise GitHubError(f"gh api: open PRs of {branch}: expected a list")
    return [pr for pr in found if isinstance(pr, dict)]


def _pull_request(method: str, endpoint: str, fields: dict[str, Any], token: str) -> dict[str, Any]:
    gh = _tool("gh", "it is preinstalled on GitHub-hosted runners")
    with tempfile.TemporaryDirectory(prefix="mlops-gh-") as folder:
        request = Path(folder) / "request.json"
        request.write_text(json.dumps(fields), encoding="utf-8")
        out = _run(
            [gh, "api", "--method", method, endpoint, "--input", str(request)],
            f"gh api {method} {endpoint}", token,
        )  # fmt: skip
    answer = _json(out, f"gh api {method} {endpoint}")
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


def pr_head_sha(repository: str, pr: int) -> str:
    """The PR's current head commit, asked of GitHub's API."""
    _repository(repository)
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


def cml_comment_update(pr: int, watermark: str, body: Path) -> str:
    """Post, or update in place, the PR comment carrying the watermark (CML)."""
    cml = _tool("cml", "install it with `npm install -g @dvcorg/cml@0.20.6`")
    command = [
        cml, "comment", "update", f"--target=pr/{pr}",
        f"--watermark-title={watermark}", "--no-publish", str(body),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise GitHubError(
            f"cml comment update exited {result.returncode}: {_last_words(result.stderr)}"
        )
    return result.stdout.strip()


def set_output(name: str, value: str, env: Mapping[str, str]) -> None:
    """Write a step output when running in GitHub Actions (GITHUB_OUTPUT is set)."""
    path = env.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{name}={value}\n")
