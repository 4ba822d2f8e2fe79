"""Commands driven by params.yaml: the pipeline stages (what dvc.yaml runs), getting the
data, and the review (report and gate). Each handler gets the loaded Params and the
parsed arguments, calls one typed function, and returns the line to print (or the line
and an exit code)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from mlops.core.config import Params
from mlops.core.errors import EXIT_FAIL, EXIT_OK

StageHandler = Callable[[Params, argparse.Namespace], "str | tuple[str, int]"]


def check_params(p: Params, _: argparse.Namespace) -> str:
    # Loading already validated every key; this exists so that a typo in a section no
    # stage depends on (DVC would not rerun anything) still fails `make repro` and CI.
    return f"check-params: {p.source} is valid"


def ingest(p: Params, _: argparse.Namespace) -> str:
    from mlops.data.ingest import ingest

    frame = ingest(p.ingest, p.data, p.paths.snapshot)
    return f"ingest: wrote {len(frame)} rows to {p.paths.snapshot}"


def get_data(p: Params, _: argparse.Namespace) -> str:
    from mlops.data.fetch import get_data

    return f"data: {get_data(p)}"


def validate(p: Params, _: argparse.Namespace) -> str:
    from mlops.data.validate import validate

    summary = validate(p.paths.snapshot, p.data, p.validate_, p.paths.validation)
    return f"validate: {summary['rows']} rows pass the schema and quality rules"


def prepare(p: Params, _: argparse.Namespace) -> str:
    from mlops.data.prepare import prepare

    train, test = prepare(p.paths.snapshot, p.data, p.prepare, p.paths.train, p.paths.test)
    return f"prepare: {len(train)} train rows, {len(test)} test rows"


def featurize(p: Params, _: argparse.Namespace) -> str:
    from mlops.data.prepare import read_split
    from mlops.features.select import featurize

    selection = featurize(read_split(p.paths.train), p.data, p.featurize, p.paths.features)
    kept = len(selection["numeric"]) + len(selection["categorical"])
    return f"featurize: {kept} features kept, {len(selection['dropped'])} columns dropped"


def train(p: Params, _: argparse.Namespace) -> str:
    from mlops.features.spec import load_feature_spec
    from mlops.train.fit import train

    spec = load_feature_spec(p.paths.features)
    facts = train(p.paths.train, spec, p.data, p.train, p.paths.model, p.paths.training)
    return f"train: {facts['model']} fitted on {facts['rows']} rows in {facts['fit_seconds']} s"


def evaluate(p: Params, _: argparse.Namespace) -> str:
    from mlops.evaluate.stage import EvaluateOutputs, evaluate
    from mlops.features.spec import load_feature_spec

    outputs = EvaluateOutputs(
        Path(p.paths.metrics), Path(p.paths.slices), Path(p.paths.runtime), Path(p.paths.plots)
    )
    metrics = evaluate(
        p.paths.model, p.paths.test, load_feature_spec(p.paths.features), p.data, p.evaluate,
        p.train.seed, outputs, p.train.dask if p.train.engine == "dask" else None,
    )  # fmt: skip
    return f"evaluate: ROC AUC {metrics['roc_auc']:.4f} on {metrics['rows']} test rows"


def summary(p: Params, _: argparse.Namespace) -> str:
    from mlops.cli.summary import summary

    return summary(p)


def report(p: Params, args: argparse.Namespace) -> str:
    from mlops.review.report import run_report

    out = args.out or p.paths.report
    verdict = run_report(p, args.base, out, champion=args.champion)
    return f"report: wrote {out} ({verdict})"


def gate(p: Params, args: argparse.Namespace) -> tuple[str, int]:
    from mlops.review.gate import run_gate, summary_line

    document = run_gate(p, args.champion, args.base)
    return summary_line(document), EXIT_OK if document["decision"] == "pass" else EXIT_FAIL


def release(p: Params, _: argparse.Namespace) -> str:
    from mlops.ci.steps import publish_release

    return publish_release(p)


def review_options(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--base", default="main", help="champion if no prod (%(default)s)")
    parser.add_argument("--champion", help="revision or tag (default: current prod, else --base)")
    if command == "report":
        parser.add_argument("--out", help="markdown file to write (default: paths.report)")


STAGES: dict[str, tuple[StageHandler, str]] = {
    "check-params": (check_params, "validate params.yaml: unknown keys, types and ranges"),
    "get-data": (get_data, "pull data/ from the DVC remote, or rebuild it from the source"),
    "ingest": (ingest, "read ingest.sources and write the normalised snapshot"),
    "validate": (validate, "check the snapshot against the schema and quality rules"),
    "prepare": (prepare, "clean and split into train/test by a hash of the row id"),
    "featurize": (featurize, "select features and record why others are dropped"),
    "train": (train, "fit the model Pipeline and save it with skops"),
    "evaluate": (evaluate, "metrics, slice metrics, plot data, latency and size"),
    "summary": (summary, "print the headline metrics and where the results are"),
    "report": (report, "compare the workspace with the champion: markdown for the PR comment"),
    "gate": (gate, "promotion gate vs the champion: gate.json; exit 0 pass, 1 fail"),
    "release": (release, "model card + assets for env VERSION; gh release create"),
}

# Options beyond --params, per command.
OPTIONS: dict[str, Callable[[argparse.ArgumentParser, str], None]] = {
    "report": review_options,
    "gate": review_options,
}
