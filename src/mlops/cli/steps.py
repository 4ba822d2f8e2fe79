"""Workflow steps, driven by environment variables that the workflows pass through
`env:` (never `${{ }}` inside `run:`). They need no valid params.yaml beyond its `paths:`
block, so a PR that breaks params.yaml still gets its comment and a failed check."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from mlops.core.config import load_paths

StepHandler = Callable[[argparse.Namespace], "str | tuple[str, int]"]


def repro(_: argparse.Namespace) -> str:
    from mlops.ci.steps import repro

    return repro()


def push(_: argparse.Namespace) -> str:
    from mlops.adapters.dvc import Dvc

    store = Dvc()
    try:
        return f"push: {store.push()} files sent to the DVC remote"
    finally:
        store.close()


def verdict(args: argparse.Namespace) -> tuple[str, int]:
    from mlops.ci.verdict import verdict

    code, line = verdict(load_paths(args.params).gate)
    return line, code


def comment_compose(args: argparse.Namespace) -> str:
    from mlops.ci.comment import compose_comment

    paths = load_paths(args.params)
    return (
        f"comment-compose: wrote {compose_comment(None, paths.report, paths.gate, paths.comment)}"
    )


def comment_post(args: argparse.Namespace) -> str:
    from mlops.ci.comment import post_comment

    return post_comment(None, load_paths(args.params).comment)


def register(_: argparse.Namespace) -> str:
    from mlops.ci.steps import register

    return register()


def assign(_: argparse.Namespace) -> str:
    from mlops.ci.steps import assign

    return assign()


def rollback(_: argparse.Namespace) -> str:
    from mlops.ci.steps import rollback

    return rollback()


STEPS: dict[str, tuple[StepHandler, str]] = {
    "repro": (repro, "dvc repro, with --pull --allow-missing when a DVC remote is usable"),
    "push": (push, "dvc push to the default remote; a failure names the remote and the cause"),
    "verdict": (verdict, "exit 0/1/2 on the gate file's decision (the gate check)"),
    "comment-compose": (comment_compose, "PR comment body + meta (env PR_NUMBER, HEAD_SHA)"),
    "comment-post": (comment_post, "validate the comment folder, post it with CML"),
    "register": (register, "register HEAD as the next model version, assign staging, push"),
    "assign": (assign, "assign env VERSION to env STAGE, push the tag"),
    "rollback": (rollback, "make env ROLLBACK_TO the only prod version again, push"),
}
