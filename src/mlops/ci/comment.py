"""The PR comment: composed from the report, validated as untrusted data, posted once.

The PR workflow composes `body.md` (the report, cut to GitHub's limit) and `meta.json`
(which PR and head commit it is for) into the comment folder (`paths.comment`). A
same-repository PR posts it directly; a fork's PR uploads it, and pr-comment.yml posts
it from the base repository after checking it as untrusted data.

Exactly one report comment per PR, updated in place. CML 0.20.6 cannot promise that:
`cml comment update` reads only the first page of a PR's comments (30) and edits the
newest comment whose body carries its watermark, whoever wrote it. So the comment is
posted here through GitHub's API: every page of comments is read, and a comment counts
as ours only if it starts with MARKER AND its author is the identity that posts (the
Actions bot for GITHUB_TOKEN; COMMENT_AUTHOR for an App token). Someone else's comment
carrying the marker is never edited nor taken as ours; extra copies of ours (a race
between two runs) are deleted, the oldest is updated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from mlops.adapters import github
from mlops.ci.inputs import WorkflowError, commit_sha, environ, need, pr_number
from mlops.ci.verdict import verdict
from mlops.core.markdown import GITHUB_COMMENT_LIMIT, fit_to_limit

MARKER = "<!-- mlops-pr-report -->"  # first line of our comment; invisible when rendered
DEFAULT_AUTHOR = "github-actions[bot]"  # who GITHUB_TOKEN posts as
META_BYTES = 4096  # meta.json is two keys; anything larger is not ours
ADVISORY = (
    "<sub>Computed by this pull request's own code (advisory). The required check is the "
    "`Promotion gate` status, computed by the default branch's code and policy.</sub>"
)


def compose_comment(
    env: Mapping[str, str] | None, report: Path | str, gate_json: Path | str, out_dir: Path | str
) -> Path:
    """Write out_dir/body.md (report, capped to GitHub's limit) and out_dir/meta.json.

    The meta file says which PR and head commit the body is for; the fork path
    (pr-comment.yml) checks both before posting anything.
    """
    env = environ(env)
    pr = pr_number(need(env, "PR_NUMBER"))
    head = commit_sha("HEAD_SHA", need(env, "HEAD_SHA"))
    report = Path(report)
    if report.exists():
        body = report.read_text(encoding="utf-8")
    else:
        line = verdict(gate_json)[1]
        body = f"## Model report\n\n{report} was not written (see the workflow log).\n\n{line}\n"
    # Room for the marker and the advisory note; the full text is in the uploaded artifact.
    room = GITHUB_COMMENT_LIMIT - 400 - len(MARKER) - len(ADVISORY)
    body = fit_to_limit(body, room, "The full report is the `pr-report` artifact.")
    body = f"{MARKER}\n{body.rstrip()}\n\n{ADVISORY}\n"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "body.md").write_text(body, encoding="utf-8")
    meta = {"pr": pr, "head_sha": head}
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return out / "body.md"


def read_meta(meta_path: Path, expected_sha: str | None) -> int:
    """The PR number from an uploaded meta.json, validated as untrusted data: a regular
    file, small, exactly {"pr", "head_sha"}, and for the expected head commit."""
    if not meta_path.is_file() or meta_path.is_symlink():
        raise WorkflowError(f"{meta_path}: missing or not a regular file")
    if meta_path.stat().st_size > META_BYTES:
        raise WorkflowError(f"{meta_path}: larger than 4 KiB, refusing it")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WorkflowError(f"{meta_path}: not valid JSON ({exc})") from exc
    if not isinstance(meta, dict) or set(meta) != {"pr", "head_sha"}:
        raise WorkflowError(f"{meta_path}: expected exactly the keys 'pr' and 'head_sha'")
    if isinstance(meta["pr"], bool) or not isinstance(meta["pr"], int):
        raise WorkflowError(f"{meta_path}: 'pr' must be an integer")
    pr = pr_number(meta["pr"])
    head = str(meta["head_sha"])
    if expected_sha is not None and head != expected_sha.lower():
        raise WorkflowError(
            f"{meta_path}: head_sha {head[:12]!r} is not the triggering run's "
            f"{expected_sha[:12]!r}; refusing it"
        )
    return pr


def read_comment(comment_dir: Path | str, expected_sha: str | None) -> tuple[int, Path]:
    """(PR number, body file) from a comment folder, validated as untrusted data."""
    folder = Path(comment_dir)
    body = folder / "body.md"
    pr = read_meta(folder / "meta.json", expected_sha)
    if not body.is_file() or body.is_symlink():
        raise WorkflowError(f"{body}: missing or not a regular file")
    if body.stat().st_size > 4 * GITHUB_COMMENT_LIMIT:  # stat before reading
        raise WorkflowError(f"{body}: over GitHub's {GITHUB_COMMENT_LIMIT} characters")
    try:
        text = body.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise WorkflowError(f"{body}: not UTF-8 text") from exc
    if len(text) > GITHUB_COMMENT_LIMIT:
        raise WorkflowError(f"{body}: {len(text)} characters, over GitHub's {GITHUB_COMMENT_LIMIT}")
    return pr, body


def post_comment(env: Mapping[str, str] | None, comment_dir: Path | str) -> str:
    """Post or update THE report comment on the PR.

    COMMENT_DIR (default: `comment_dir`, i.e. paths.comment) holds body.md and meta.json.
    EXPECTED_HEAD_SHA, when set, must equal meta.json's head_sha; VERIFY_PR_HEAD=true also
    asks GitHub that the PR's head is that commit, so a fork cannot steer the comment.
    """
    env = environ(env)
    expected_raw = env.get("EXPECTED_HEAD_SHA", "").strip()
    expected = commit_sha("EXPECTED_HEAD_SHA", expected_raw) if expected_raw else None
    pr, body = read_comment(env.get("COMMENT_DIR", "").strip() or comment_dir, expected)
    if env.get("VERIFY_PR_HEAD", "").strip().lower() == "true":
        if expected is None:
            raise WorkflowError("VERIFY_PR_HEAD=true needs EXPECTED_HEAD_SHA")
        actual = github.pr_head_sha(need(env, "GITHUB_REPOSITORY"), pr)
        if actual != expected:
            raise WorkflowError(
                f"PR #{pr} head is {actual[:12]}, not {expected[:12]} (pushed again since?); "
                "refusing to post a stale or misdirected report"
            )
    repository = need(env, "GITHUB_REPOSITORY")
    author = env.get("COMMENT_AUTHOR", "").strip() or DEFAULT_AUTHOR
    return "comment: " + upsert_comment(repository, pr, body.read_text(encoding="utf-8"), author)


def upsert_comment(repository: str, pr: int, body: str, author: str) -> str:
    """Create or update THE report comment; say which."""
    if not body.startswith(MARKER):
        body = f"{MARKER}\n{body}"
    comments = github.pr_comments(repository, pr)
    ours = [c for c in comments if c["login"] == author and c["body"].startswith(MARKER)]
    impostors = len([c for c in comments if MARKER in c["body"]]) - len(ours)
    note = f"; {impostors} comment(s) by others carry the marker and were left alone"
    note = note if impostors else ""
    if not ours:
        created = github.comment_create(repository, pr, body)
        return f"created comment {created} on PR #{pr}{note}"
    keep, *extra = sorted(ours, key=lambda c: c["id"])
    github.comment_update(repository, keep["id"], body)
    for duplicate in extra:
        github.comment_delete(repository, duplicate["id"])
    removed = f", deleted {len(extra)} duplicate(s)" if extra else ""
    return f"updated comment {keep['id']} on PR #{pr}{removed}{note}"
