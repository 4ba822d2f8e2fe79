"""The PR comment: composed from the report, validated as untrusted data, posted once.

The PR workflow composes `body.md` (the report, cut to GitHub's limit) and `meta.json`
(which PR and head commit it is for) into the comment folder (`paths.comment`). A
same-repository PR posts it directly; a fork's PR uploads it, and pr-comment.yml posts
it from the base repository after checking it as untrusted data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from mlops.adapters import github
from mlops.ci.inputs import WorkflowError, commit_sha, environ, need, pr_number
from mlops.ci.verdict import verdict
from mlops.core.markdown import GITHUB_COMMENT_LIMIT, fit_to_limit

WATERMARK = "mlops PR report"  # CML finds and updates its own comment by this title
META_BYTES = 4096  # meta.json is two keys; anything larger is not ours


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
    # Room for CML's watermark; the full text is in the uploaded artifact.
    body = fit_to_limit(
        body, GITHUB_COMMENT_LIMIT - 400, "The full report is the `pr-report` artifact."
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "body.md").write_text(body, encoding="utf-8")
    meta = {"pr": pr, "head_sha": head}
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return out / "body.md"


def read_comment(comment_dir: Path | str, expected_sha: str | None) -> tuple[int, Path]:
    """(PR number, body file) from a comment folder, validated as untrusted data."""
    folder = Path(comment_dir)
    meta_path, body = folder / "meta.json", folder / "body.md"
    for path in (meta_path, body):
        if not path.is_file() or path.is_symlink():
            raise WorkflowError(f"{path}: missing or not a regular file")
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
            f"{expected_sha[:12]!r}; refusing to post"
        )
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
    posted = github.cml_comment_update(pr, WATERMARK, body)
    return f"comment: posted to PR #{pr} {posted}".rstrip()
