"""The `mlops` command: one subcommand per stage. Wiring only: parse, call, exit code.

Exit codes: 0 success, 1 a gate that refuses the challenger, 2 a user-fixable error
(printed as one line on stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from mlops.config import Params, load_params
from mlops.errors import MlopsError

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2


def _check_params(p: Params, args: argparse.Namespace) -> str:
    # Loading already validated every key; this exists so that a typo in a section no
    # stage depends on (DVC would not rerun anything) still fails `make repro` and CI.
    return f"check-params: {args.params} is valid"


def _ingest(p: Params, _: argparse.Namespace) -> str:
    from mlops.data.ingest import ingest

    frame = ingest(p.ingest, p.data, p.paths.snapshot)
    return f"ingest: wrote {len(frame)} rows to {p.paths.snapshot}"


def _get_data(p: Params, _: argparse.Namespace) -> str:
    from mlops.data.fetch import get_data

    return f"data: {get_data(p)}"


def _validate(p: Params, _: argparse.Namespace) -> str:
    from mlops.data.validate import validate

    summary = validate(p.paths.snapshot, p.data, p.validate_, p.paths.validation)
    return f"validate: {summary['rows']} rows pass the schema and quality rules"


def _prepare(p: Params, _: argparse.Namespace) -> str:
    from mlops.data.prepare import prepare

    train, test = prepare(p.paths.snapshot, p.data, p.prepare, p.paths.train, p.paths.test)
    return f"prepare: {len(train)} train rows, {len(test)} test rows"


def _featurize(p: Params, _: argparse.Namespace) -> str:
    from mlops.data.prepare import read_split
    from mlops.features import featurize

    selection = featurize(read_split(p.paths.train), p.data, p.featurize, p.paths.features)
    kept = len(selection["numeric"]) + len(selection["categorical"])
    return f"featurize: {kept} features kept, {len(selection['dropped'])} columns dropped"


def _train(p: Params, _: argparse.Namespace) -> str:
    from mlops.features import load_feature_spec
    from mlops.train import train

    spec = load_feature_spec(p.paths.features)
    facts = train(p.paths.train, spec, p.data, p.train, p.paths.model, p.paths.training)
    return f"train: {facts['model']} fitted on {facts['rows']} rows in {facts['fit_seconds']} s"


def _evaluate(p: Params, _: argparse.Namespace) -> str:
    from mlops.evaluate import EvaluateOutputs, evaluate
    from mlops.features import load_feature_spec

    outputs = EvaluateOutputs(
        Path(p.paths.metrics), Path(p.paths.slices), Path(p.paths.runtime), Path(p.paths.plots)
    )
    metrics = evaluate(
        p.paths.model, p.paths.test, load_feature_spec(p.paths.features), p.data, p.evaluate,
        p.train.seed, outputs,
    )  # fmt: skip
    return f"evaluate: ROC AUC {metrics['roc_auc']:.4f} on {metrics['rows']} test rows"


def _summary(p: Params, _: argparse.Namespace) -> str:
    from mlops.summary import summary

    return summary(p)


# --- Workflow steps (src/mlops/github.py, registry.py, release.py). Inputs come from
# environment variables: workflows pass GitHub context through `env:`, never inline.


def _repro(_: Params, __: argparse.Namespace) -> str:
    from mlops.github import repro

    return repro()


def _verdict(p: Params, _: argparse.Namespace) -> tuple[str, int]:
    from mlops.github import verdict

    code, line = verdict()
    return line, code


def _comment_compose(_: Params, __: argparse.Namespace) -> str:
    from mlops.github import compose_comment

    return f"comment-compose: wrote {compose_comment()}"


def _comment_post(_: Params, __: argparse.Namespace) -> str:
    from mlops.github import post_comment

    return post_comment()


def _register(_: Params, __: argparse.Namespace) -> str:
    from mlops import registry
    from mlops.github import fetch_tags, push_tags, set_output

    fetch_tags()
    version, tags = registry.register()
    tags += registry.assign("staging", version)
    push_tags(tags)
    set_output("version", version)
    return f"register: {registry.ARTIFACT}@{version} in staging; pushed {tags or 'nothing new'}"


def _assign(_: Params, __: argparse.Namespace) -> str:
    from mlops import registry
    from mlops.github import fetch_tags, push_tags

    version, stage = os.environ.get("VERSION", "").strip(), os.environ.get("STAGE", "").strip()
    fetch_tags()
    tags = registry.assign(stage, version)
    push_tags(tags)
    return f"assign: {registry.ARTIFACT}@{version} -> {stage}; pushed {tags or 'nothing new'}"


def _rollback(_: Params, __: argparse.Namespace) -> str:
    from mlops import registry
    from mlops.github import fetch_tags, push_tags

    version = os.environ.get("ROLLBACK_TO", "").strip()
    fetch_tags()
    tags = registry.rollback(version)
    push_tags(tags)
    return f"rollback: {registry.ARTIFACT}@{version} is prod again; pushed {tags}"


def _release(p: Params, _: argparse.Namespace) -> str:
    from mlops import registry, release
    from mlops.github import fetch_tags

    version = os.environ.get("VERSION", "").strip()
    fetch_tags()
    commit = registry.resolve_commit(f"{registry.ARTIFACT}@{version}")
    assets = release.build(p, version, commit)
    if os.environ.get("RELEASE_DRY_RUN", "").strip().lower() == "true":
        return f"release: assets in {release.RELEASE_DIR} (dry run, nothing published)"
    return release.publish(version, assets, assets[-1])


def _report(p: Params, args: argparse.Namespace) -> str:
    from mlops.compare.report import run_report

    out = args.out or p.paths.report
    verdict = run_report(p, args.base, out, champion=args.champion)
    return f"report: wrote {out} ({verdict})"


def _gate(p: Params, args: argparse.Namespace) -> tuple[str, int]:
    from mlops.compare.gate import run_gate, summary_line

    document = run_gate(p, args.champion, args.base)
    return summary_line(document), EXIT_OK if document["decision"] == "pass" else EXIT_FAIL


def _review_options(parser: argparse.ArgumentParser, command: str) -> None:
    if command == "report":
        parser.add_argument("--base", default="main", help="champion if no prod (%(default)s)")
        parser.add_argument("--champion", help="revision or tag (default: as the gate)")
        parser.add_argument("--out", help="markdown file to write (default: paths.report)")
    if command == "gate":
        parser.add_argument(
            "--champion", help="revision or tag (default: current prod, else --base)"
        )
        parser.add_argument("--base", default="main", help="champion if no prod (%(default)s)")


Handler = Callable[[Params, argparse.Namespace], "str | tuple[str, int]"]

COMMANDS: dict[str, tuple[Handler, str]] = {
    "check-params": (_check_params, "validate params.yaml: unknown keys, types and ranges"),
    "get-data": (_get_data, "pull data/ from the DVC remote, or rebuild it from the source"),
    "ingest": (_ingest, "read ingest.sources and write the normalised snapshot"),
    "validate": (_validate, "check the snapshot against the schema and quality rules"),
    "prepare": (_prepare, "clean and split into train/test by a hash of the row id"),
    "featurize": (_featurize, "select features and record why others are dropped"),
    "train": (_train, "fit the model Pipeline and save it with skops"),
    "evaluate": (_evaluate, "metrics, slice metrics, plot data, latency and size"),
    "summary": (_summary, "print the headline metrics and where the results are"),
    "report": (_report, "compare the workspace with --base REV: markdown for the PR comment"),
    "gate": (_gate, "promotion gate vs the champion: gate.json; exit 0 pass, 1 fail"),
    "repro": (_repro, "dvc repro, with --pull --allow-missing when a DVC remote is usable"),
    "verdict": (_verdict, "exit 0/1/2 on reports/gate.json's decision (the gate check)"),
    "comment-compose": (_comment_compose, "PR comment body + meta (env PR_NUMBER, HEAD_SHA)"),
    "comment-post": (_comment_post, "validate the comment folder, post it with CML"),
    "register": (_register, "register HEAD as the next model version, assign staging, push"),
    "assign": (_assign, "assign env VERSION to env STAGE, push the tag"),
    "rollback": (_rollback, "make env ROLLBACK_TO the only prod version again, push"),
    "release": (_release, "model card + assets for env VERSION; gh release create"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlops", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--params", default="params.yaml", help="params file (default: %(default)s)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        _review_options(sub.add_parser(name, help=help_text, description=help_text), name)
    return parser


# Workflow steps that report on a run which may have failed, even on a broken params.yaml.
WITHOUT_PARAMS = {"verdict", "comment-compose", "comment-post"}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler, _ = COMMANDS[args.command]
    try:
        if args.command in WITHOUT_PARAMS:
            result = handler(None, args)  # type: ignore[arg-type]
        else:
            params = load_params(args.params)
            # Before any numeric library loads: OpenMP reads this once, at start-up.
            os.environ["OMP_NUM_THREADS"] = str(params.threads)
            result = handler(params, args)
        message, code = result if isinstance(result, tuple) else (result, EXIT_OK)
        print(message)
    except MlopsError as exc:
        print(f"mlops {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return code


if __name__ == "__main__":
    sys.exit(main())
