"""The `Promotion gate` commit status: the verdict branch protection requires.

`mlops trusted-gate` runs in gate.yml, a workflow_run workflow that GitHub runs from the
default branch, whatever the PR changed (pr.yml, the gate's code, its policy). It takes
the PR's uploaded model and meta.json as untrusted data (ci/comment.py's checks), checks
with GitHub that the PR's head is the commit the run was for, fetches that commit's
objects (never checked out), lets review/trusted.py judge, and publishes the result as a
commit status named `Promotion gate` on the head commit with the job's own token:
- success / failure: the gate's decision;
- error: anything that stopped a decision (no model uploaded, a stale or forged
  candidate, data that cannot be obtained), with the reason in the description.
Forks work too: the status is posted by the base repository's workflow, with its token.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops.adapters import git, github
from mlops.ci.comment import read_meta
from mlops.ci.inputs import WorkflowError, commit_sha, environ, need
from mlops.ci.steps import check_dvc
from mlops.core.config import Params
from mlops.core.errors import EXIT_FAIL, EXIT_OK, MlopsError
from mlops.core.files import write_json
from mlops.review.trusted import run_trusted_gate

CONTEXT = "Promotion gate"  # the status name to require in branch protection
PR_HEAD_REF = "refs/mlops/pr-head"  # where the PR's commit objects are fetched to


def _token(env: Mapping[str, str]) -> str:
    return env.get("GH_TOKEN", "").strip() or env.get("GITHUB_TOKEN", "").strip()


def describe(document: dict[str, Any]) -> str:
    """The status description (GitHub keeps 140 characters): the verdict in brief."""
    if "champion" not in document:  # refused before scoring (e.g. an oversized model)
        rules = document.get("rules") or [{}]
        return f"FAIL: {rules[0].get('detail', 'refused')}"
    verdict = "PASS" if document["decision"] == "pass" else "FAIL"
    champion = document["champion"]
    text = f"{verdict} vs {champion['label']} ({str(champion['commit'])[:7]})"
    policy = document.get("policy") or {}
    if document.get("policy_changed"):  # first, so that the 140-character cut keeps it
        base = (policy.get("base_revision") or {}).get("label", "the base")
        text += "; the PR changes the policy: judged under " + (
            "its own (first adoption)" if policy.get("base") is None else f"{base}'s"
        )
    failed, rules = document.get("failed") or [], document.get("rules") or []
    if verdict == "PASS":
        return f"{text}; all {len(rules)} rules pass"
    return f"{text}; {len(failed)} of {len(rules)} rules fail: {', '.join(failed)}"


def judge(params: Params, env: Mapping[str, str], head: str, root: Path) -> dict[str, Any]:
    """Validate the candidate, fetch the PR's commit, and judge it."""
    check_dvc(root)
    candidate = Path(need(env, "CANDIDATE_DIR"))
    if not candidate.is_dir():
        conclusion = env.get("RUN_CONCLUSION", "").strip() or "unknown"
        raise WorkflowError(
            f"the PR's `pr` run (conclusion: {conclusion}) uploaded no model: see its log"
        )
    pr = read_meta(candidate / params.paths.comment / "meta.json", head)
    repository = need(env, "GITHUB_REPOSITORY")
    actual = github.pr_head_sha(repository, pr)
    if actual != head:
        raise WorkflowError(
            f"PR #{pr} head is {actual[:12]}, not {head[:12]} (pushed again since?): a newer "
            "run gates the new head"
        )
    git.fetch_ref(root, f"refs/pull/{pr}/head", PR_HEAD_REF, _token(env))
    if git.resolve(root, head) is None:
        raise WorkflowError(f"commit {head[:12]} not found in PR #{pr}'s fetched history")
    return run_trusted_gate(params, candidate / params.paths.model, head, f"PR #{pr}", root)


def trusted_gate(
    params: Params, env: Mapping[str, str] | None = None, root: str = "."
) -> tuple[str, int]:
    """Judge the PR and publish the `Promotion gate` status on its head commit."""
    env = environ(env)
    repository = need(env, "GITHUB_REPOSITORY")
    head = commit_sha("HEAD_SHA", need(env, "HEAD_SHA"))
    target = env.get("TARGET_URL", "").strip()
    gate_file = Path(root) / params.paths.gate
    try:
        document = judge(params, env, head, Path(root))
    except MlopsError as exc:
        write_json(
            gate_file, {"decision": "error", "error": str(exc), "challenger": {"commit": head}}
        )
        github.create_status(repository, head, "error", CONTEXT, f"error: {exc}", target)
        raise
    write_json(gate_file, document)
    passed = document["decision"] == "pass"
    line = describe(document)
    github.create_status(
        repository, head, "success" if passed else "failure", CONTEXT, line, target
    )
    return f"trusted-gate: {line}; status '{CONTEXT}' posted on {head[:12]}", (
        EXIT_OK if passed else EXIT_FAIL
    )
