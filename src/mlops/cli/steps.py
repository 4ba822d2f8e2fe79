"""Workflow steps, driven by environment variables that the workflows pass through
`env:` (never `${{ }}` inside `run:`). Those of the PR workflow need no valid params.yaml
beyond its `paths:` block, so a PR that breaks params.yaml still gets its comment and a
failed check; the monitor's steps (monitor-batch, retrain-pr) run on the default branch
and read all of it."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from mlops.core.config import load_params, load_paths

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


def check_dvc(_: argparse.Namespace) -> str:
    from mlops.ci.steps import check_dvc

    return check_dvc()


def retrain(args: argparse.Namespace) -> str:
    from mlops.ci.steps import retrain

    return retrain(load_paths(args.params))


def trusted_gate(args: argparse.Namespace) -> tuple[str, int]:
    from mlops.ci.trusted import trusted_gate

    return trusted_gate(load_params(args.params))


def register(args: argparse.Namespace) -> str:
    from mlops.ci.steps import register

    return register(paths=load_paths(args.params))


def assign(_: argparse.Namespace) -> str:
    from mlops.ci.steps import assign

    return assign()


def rollback(_: argparse.Namespace) -> str:
    from mlops.ci.steps import rollback

    return rollback()


def monitor_batch(args: argparse.Namespace) -> str:
    from mlops.monitor.retrain import monitor_batch

    return monitor_batch(load_params(args.params))


def retrain_pr(args: argparse.Namespace) -> str:
    from mlops.core.files import read_json
    from mlops.monitor.retrain import no_retraining, retrain_pr

    # The usual answer (no retrain) comes from the verdict file alone, before the whole
    # params.yaml and the ML libraries load (seconds on a busy runner).
    skipped = no_retraining(read_json(load_paths(args.params).monitor))
    return skipped or retrain_pr(load_params(args.params))


def bundle(args: argparse.Namespace) -> str:
    import os

    from mlops.adapters import git, github
    from mlops.ci.deploy import image_name
    from mlops.serve.bundle import bundle

    # another job of the run may have just pushed the version's tag
    git.fetch_tags(".", os.environ.get("GITHUB_TOKEN", "").strip())
    params = load_params(args.params)
    paths = params.paths
    meta = bundle(params, os.environ.get("VERSION", ""))
    repository = os.environ.get("GITHUB_REPOSITORY", "").strip()
    if repository:  # in a workflow: the image's name and tag, for the build steps
        name = image_name(repository)
        github.set_output("name", name, os.environ)
        github.set_output("image", f"{name}:{meta['version']}", os.environ)
    return f"bundle: {paths.bundle} holds model {meta['version']} (md5 {meta['model_md5'][:8]})"


def canary(args: argparse.Namespace) -> str:
    from mlops.core.config import load_params
    from mlops.serve.canary import canary_from_env

    return canary_from_env(load_params(args.params))


def deploy_pin(args: argparse.Namespace) -> str:
    from mlops.ci.deploy import deploy_pin

    return deploy_pin()


STEPS: dict[str, tuple[StepHandler, str]] = {
    "repro": (repro, "dvc repro, with --pull --allow-missing when a DVC remote is usable"),
    "push": (push, "dvc push to the default remote; a failure names the remote and the cause"),
    "verdict": (verdict, "exit 0/1/2 on the gate file's decision (the gate check)"),
    "comment-compose": (comment_compose, "PR comment body + meta (env PR_NUMBER, HEAD_SHA)"),
    "comment-post": (comment_post, "validate the comment folder; create or update THE comment"),
    "trusted-gate": (trusted_gate, "judge a PR's uploaded model; post the Promotion gate status"),
    "check-dvc": (check_dvc, "refuse DVC stores tracked by git and remotes without verify"),
    "retrain": (retrain, "train from source; the model must hash to what dvc.lock records"),
    "register": (register, "register HEAD (passing gate.json) as the next version, staging"),
    "assign": (assign, "assign env VERSION to env STAGE, push the tag"),
    "rollback": (rollback, "make env ROLLBACK_TO the only prod version again, push"),
    "monitor-batch": (monitor_batch, "new rows of env MONITOR_MONTH (default: the next)"),
    "retrain-pr": (retrain_pr, "if monitor.json says retrain: append, repro, open/update PR"),
    "bundle": (bundle, "the serving image's model + metadata for env VERSION (paths.bundle)"),
    "canary": (canary, "run env IMAGE, send it the test split over HTTP, compare, time it"),
    "deploy-pin": (deploy_pin, "pin deploy/ to env VERSION's image; open or update the PR"),
}
