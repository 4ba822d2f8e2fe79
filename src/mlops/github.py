"""Glue between GitHub Actions and the pipeline, so that no logic lives in YAML.

Workflows pass their inputs as environment variables (never `${{ }}` inside `run:`),
and each function here reads them, validates them, and calls git, DVC, CML or gh.
Everything a PR comment or a tag push would send goes through one function each, so the
workflow tests can run the real workflows with recording stand-ins for `cml` and `gh`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlparse

from mlops.errors import MlopsError

COMMENT_LIMIT = 65_536  # GitHub's maximum comment size, in characters
WATERMARK = "mlops PR report"  # CML finds and updates its own comment by this title
COMMENT_DIR = Path("reports/comment")  # what the PR workflow uploads for the comment
REPORT = Path("reports/report.md")
GATE = Path("reports/gate.json")
SHA = re.compile(r"^[0-9a-f]{40}$")
EXIT_PASS, EXIT_FAIL, EXIT_ERROR = 0, 1, 2


class WorkflowError(MlopsError):
    """A workflow input, artifact or external tool is not what it must be."""


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def _need(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise WorkflowError(f"environment variable {name} is not set (the workflow passes it)")
    return value


def _tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise WorkflowError(f"`{name}` not found on PATH; {hint}")
    return path


# --- DVC remote and repro -------------------------------------------------------------


def usable_remote(root: Path | str = ".") -> str | None:
    """Name of the default DVC remote if one is configured and could hold data, else None.

    A local-path remote (the template's default, a gitignored folder) counts only when
    the folder exists: on a fresh CI runner it does not, and pulling from it is pointless.
    """
    from dvc.repo import Repo

    repo = Repo(str(root))
    try:
        name = repo.config["core"].get("remote")
        if not name:
            return None
        url = str(repo.config["remote"].get(name, {}).get("url", ""))
    finally:
        repo.close()
    if not url:
        return None
    if "://" not in url:  # a local path, relative to .dvc/
        folder = Path(url) if Path(url).is_absolute() else Path(root) / ".dvc" / url
        return name if folder.is_dir() else None
    return name


def repro_command(root: Path | str = ".") -> list[str]:
    """`dvc repro`, pulling what it can from the remote first when there is one."""
    command = ["dvc", "repro"]
    if usable_remote(root) is not None:
        command += ["--pull", "--allow-missing"]
    return command


def repro(root: Path | str = ".") -> str:
    command = repro_command(root)
    result = subprocess.run(command, cwd=root, check=False)
    if result.returncode != 0:
        raise WorkflowError(f"`{' '.join(command)}` exited {result.returncode}")
    return f"repro: ran `{' '.join(command)}`"


# --- the gate's verdict as a check ----------------------------------------------------


def verdict(gate_json: Path | str = GATE) -> tuple[int, str]:
    """(exit code, one line) from gate.json: 0 pass, 1 fail, 2 missing or unreadable."""
    path = Path(gate_json)
    try:
        gate = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return EXIT_ERROR, f"{path}: not found (the gate did not run or crashed; see its log)"
    except (OSError, ValueError) as exc:
        return EXIT_ERROR, f"{path}: unreadable ({exc})"
    decision = gate.get("decision") if isinstance(gate, dict) else None
    if decision == "pass":
        return EXIT_PASS, "gate: PASS (the challenger may replace the champion)"
    if decision != "fail":
        return EXIT_ERROR, f"{path}: 'decision' is {decision!r}, expected 'pass' or 'fail'"
    failed = gate.get("failed")
    names = [str(name) for name in failed] if isinstance(failed, list) else []
    return EXIT_FAIL, "gate: FAIL: " + (", ".join(names) or "see gate.json") + " failed"


# --- the PR comment -------------------------------------------------------------------


def compose_comment(
    env: Mapping[str, str] | None = None,
    report: Path | str = REPORT,
    gate_json: Path | str = GATE,
    out_dir: Path | str = COMMENT_DIR,
) -> Path:
    """Write out_dir/body.md (report, capped to GitHub's limit) and out_dir/meta.json.

    The meta file says which PR and head commit the body is for; the fork path
    (pr-comment.yml) checks both before posting anything.
    """
    env = _env(env)
    pr = _pr_number(_need(env, "PR_NUMBER"))
    head = _need(env, "HEAD_SHA").lower()
    if not SHA.match(head):
        raise WorkflowError(f"HEAD_SHA {head!r} is not a 40-hex commit sha")
    report = Path(report)
    if report.exists():
        body = report.read_text(encoding="utf-8")
    else:
        line = verdict(gate_json)[1]
        body = f"## Model report\n\n{report} was not written (see the workflow log).\n\n{line}\n"
    body = cap(body)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "body.md").write_text(body, encoding="utf-8")
    meta = {"pr": pr, "head_sha": head}
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return out / "body.md"


def cap(body: str, limit: int = COMMENT_LIMIT) -> str:
    """The body cut at a line boundary, with a note, so that it fits in one comment."""
    reserve = 400  # CML's watermark and the note
    if len(body) <= limit - reserve:
        return body
    note = (
        "\n\n> Truncated to fit GitHub's comment limit: "
        "the full report is the `pr-report` artifact.\n"
    )
    cut = body[: limit - reserve - len(note)]
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    if cut.count("```") % 2:  # do not leave a code or Mermaid block open
        cut += "\n```"
    return cut + note


def _pr_number(value: object) -> int:
    text = str(value).strip()
    if not re.fullmatch(r"[1-9][0-9]{0,9}", text):
        raise WorkflowError(f"PR number {value!r} is not a positive integer")
    return int(text)


def read_comment(comment_dir: Path | str, expected_sha: str | None) -> tuple[int, Path]:
    """(PR number, body file) from a comment folder, validated as untrusted data."""
    folder = Path(comment_dir)
    meta_path, body = folder / "meta.json", folder / "body.md"
    for path in (meta_path, body):
        if not path.is_file() or path.is_symlink():
            raise WorkflowError(f"{path}: missing or not a regular file")
    if meta_path.stat().st_size > 4096:
        raise WorkflowError(f"{meta_path}: larger than 4 KiB, refusing it")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WorkflowError(f"{meta_path}: not valid JSON ({exc})") from exc
    if not isinstance(meta, dict) or set(meta) != {"pr", "head_sha"}:
        raise WorkflowError(f"{meta_path}: expected exactly the keys 'pr' and 'head_sha'")
    if isinstance(meta["pr"], bool) or not isinstance(meta["pr"], int):
        raise WorkflowError(f"{meta_path}: 'pr' must be an integer")
    pr = _pr_number(meta["pr"])
    head = str(meta["head_sha"])
    if expected_sha is not None and head != expected_sha.lower():
        raise WorkflowError(
            f"{meta_path}: head_sha {head[:12]!r} is not the triggering run's "
            f"{expected_sha[:12]!r}; refusing to post"
        )
    try:
        text = body.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise WorkflowError(f"{body}: not UTF-8 text") from exc
    if len(text) > COMMENT_LIMIT:
        raise WorkflowError(f"{body}: {len(text)} characters, over GitHub's {COMMENT_LIMIT}")
    return pr, body


def pr_head_sha(repository: str, pr: int) -> str:
    """The PR's current head commit, asked of GitHub's API with `gh`."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repository):
        raise WorkflowError(f"GITHUB_REPOSITORY {repository!r} is not owner/name")
    gh = _tool("gh", "it is preinstalled on GitHub-hosted runners")
    result = subprocess.run(
        [gh, "api", f"repos/{repository}/pulls/{pr}", "--jq", ".head.sha"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise WorkflowError(f"gh api: PR #{pr} of {repository}: {result.stderr.strip()[:200]}")
    return result.stdout.strip().lower()


def post_comment(env: Mapping[str, str] | None = None) -> str:
    """Post or update THE report comment on the PR with CML.

    COMMENT_DIR (default reports/comment) holds body.md and meta.json. EXPECTED_HEAD_SHA,
    when set, must equal meta.json's head_sha; VERIFY_PR_HEAD=true also asks GitHub
    that the PR's head is that commit, so a fork cannot steer the comment elsewhere.
    """
    env = _env(env)
    expected = env.get("EXPECTED_HEAD_SHA", "").strip() or None
    if expected is not None and not SHA.match(expected.lower()):
        raise WorkflowError(f"EXPECTED_HEAD_SHA {expected!r} is not a 40-hex commit sha")
    pr, body = read_comment(env.get("COMMENT_DIR", "").strip() or COMMENT_DIR, expected)
    if env.get("VERIFY_PR_HEAD", "").strip().lower() == "true":
        if expected is None:
            raise WorkflowError("VERIFY_PR_HEAD=true needs EXPECTED_HEAD_SHA")
        actual = pr_head_sha(_need(env, "GITHUB_REPOSITORY"), pr)
        if actual != expected.lower():
            raise WorkflowError(
                f"PR #{pr} head is {actual[:12]}, not {expected[:12]} (pushed again since?); "
                "refusing to post a stale or misdirected report"
            )
    cml = _tool("cml", "install it with `npm install -g @dvcorg/cml@0.20.6`")
    command = [
        cml, "comment", "update", f"--target=pr/{pr}",
        f"--watermark-title={WATERMARK}", "--no-publish", str(body),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise WorkflowError(
            f"cml comment update exited {result.returncode}: {result.stderr[-300:]}"
        )
    return f"comment: posted to PR #{pr} {result.stdout.strip()}".rstrip()


# --- pushing tags with the job's token ------------------------------------------------


def push_tags(
    tags: Sequence[str], repo: Path | str = ".", env: Mapping[str, str] | None = None
) -> None:
    """`git push origin <tags>`; on GitHub with GITHUB_TOKEN passed for this one command.

    Checkout runs with persist-credentials: false, so no token sits in .git/config for
    the pipeline's code to read; the header is given on the command line instead.
    """
    if not tags:
        return
    env = _env(env)
    url = _git(repo, "remote", "get-url", "origin")
    token = env.get("GITHUB_TOKEN", "").strip()
    config = auth_config(url, token)
    refs = [f"refs/tags/{tag}" for tag in tags]
    result = subprocess.run(
        ["git", *config, "push", "origin", *refs],
        cwd=repo, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        message = result.stderr.strip().replace(token, "***") if token else result.stderr.strip()
        raise WorkflowError(f"git push origin {' '.join(tags)}: {message[-300:]}")


def auth_config(url: str, token: str) -> list[str]:
    """`git -c` options that send the token to an https remote, as actions/checkout does."""
    parsed = urlparse(url)
    if not token or parsed.scheme != "https" or not parsed.hostname:
        return []
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return ["-c", f"http.https://{parsed.hostname}/.extraheader=AUTHORIZATION: basic {basic}"]


def fetch_tags(repo: Path | str = ".", env: Mapping[str, str] | None = None) -> None:
    """Fetch origin's tags (another job may have pushed some since checkout)."""
    env = _env(env)
    url = _git(repo, "remote", "get-url", "origin", check=False)
    if not url:
        return
    config = auth_config(url, env.get("GITHUB_TOKEN", "").strip())
    subprocess.run(
        ["git", *config, "fetch", "--quiet", "--tags", "origin"],
        cwd=repo, capture_output=True, text=True, check=False,
    )  # fmt: skip


def _git(repo: Path | str, *args: str, check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise WorkflowError(f"git {' '.join(args)}: {result.stderr.strip()[:300]}")
    return result.stdout.strip()


def set_output(name: str, value: str, env: Mapping[str, str] | None = None) -> None:
    """Write a step output when running in GitHub Actions (GITHUB_OUTPUT is set)."""
    path = _env(env).get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{name}={value}\n")
