"""Commands driven by params.yaml: the pipeline stages (what dvc.yaml runs), getting the
data, and the review (report, gate, or both from one comparison: review). Each handler
gets the loaded Params and the parsed arguments, calls one typed function, and returns
the line to print (or the line and an exit code). Handlers import what they run, and
those that import pandas or scikit-learn do so `with importing()` (core/startup.py)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from mlops.core.config import Params
from mlops.core.errors import EXIT_FAIL, EXIT_OK, DataError
from mlops.core.startup import importing

StageHandler = Callable[[Params, argparse.Namespace], "str | tuple[str, int]"]


def check_params(p: Params, _: argparse.Namespace) -> str:
    # Loading already validated every key; this exists so that a typo in a section no
    # stage depends on (DVC would not rerun anything) still fails `make repro` and CI,
    # and so that params contradicting the data fail before any stage reruns.
    from mlops.data.contract import check_params_against_data

    against = check_params_against_data(p)
    return f"check-params: {p.source} is valid and agrees with {against}"


def ingest(p: Params, _: argparse.Namespace) -> str:
    with importing():
        from mlops.data.ingest import ingest

    frame = ingest(p.ingest, p.data, p.paths.snapshot)
    return f"ingest: wrote {len(frame)} rows to {p.paths.snapshot}"


def get_data(p: Params, _: argparse.Namespace) -> str:
    with importing():
        from mlops.data.fetch import get_data

    return f"data: {get_data(p)}"


def validate(p: Params, _: argparse.Namespace) -> str:
    with importing():
        from mlops.data.validate import validate

    summary = validate(
        p.paths.snapshot, p.data, p.validate_, p.prepare, p.paths.validation, str(p.source)
    )
    return f"validate: {summary['rows']} rows pass the schema and quality rules"


def prepare(p: Params, _: argparse.Namespace) -> str:
    with importing():
        from mlops.data.prepare import prepare

    train, test = prepare(p.paths.snapshot, p.data, p.prepare, p.paths.train, p.paths.test)
    return f"prepare: {len(train)} train rows, {len(test)} test rows"


def featurize(p: Params, _: argparse.Namespace) -> str:
    with importing():
        from mlops.data.prepare import read_split
        from mlops.features.select import featurize

    selection = featurize(read_split(p.paths.train), p.data, p.featurize, p.paths.features)
    kept = len(selection["numeric"]) + len(selection["categorical"])
    return f"featurize: {kept} features kept, {len(selection['dropped'])} columns dropped"


def train(p: Params, _: argparse.Namespace) -> str:
    with importing():
        from mlops.features.spec import load_feature_spec
        from mlops.train.fit import train

    spec = load_feature_spec(p.paths.features)
    facts = train(p.paths.train, spec, p.data, p.train, p.paths.model, p.paths.training)
    return f"train: {facts['model']} fitted on {facts['rows']} rows in {facts['fit_seconds']} s"


def evaluate(p: Params, _: argparse.Namespace) -> str:
    with importing():
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
    with importing():
        from mlops.review.report import run_report

    out = args.out or p.paths.report
    verdict = run_report(p, args.base, out, champion=args.champion)
    return f"report: wrote {out} ({verdict})"


def gate(p: Params, args: argparse.Namespace) -> tuple[str, int]:
    with importing():
        from mlops.review.gate import run_gate, summary_line

    document = run_gate(p, args.champion, args.base)
    return summary_line(document), EXIT_OK if document["decision"] == "pass" else EXIT_FAIL


def review(p: Params, args: argparse.Namespace) -> tuple[str, int]:
    with importing():
        from mlops.review.gate import summary_line
        from mlops.review.once import run_review

    written = run_review(p, args.base, args.champion)
    code = EXIT_OK if written.gate["decision"] == "pass" else EXIT_FAIL
    return f"{summary_line(written.gate)}\nreview: wrote {p.paths.gate} and {p.paths.report}", code


def release(p: Params, _: argparse.Namespace) -> str:
    from mlops.ci.steps import publish_release

    return publish_release(p)


def simulate(p: Params, args: argparse.Namespace) -> str:
    with importing():
        from mlops.monitor.simulate import write_batch

    batch = write_batch(p, args.month, args.scenario, args.out, args.seed)
    return f"simulate: wrote {len(batch)} rows of {args.month} ({args.scenario}) to {args.out}"


def monitor(p: Params, args: argparse.Namespace) -> str:
    with importing():
        from mlops.monitor.stage import run_monitor, summary_line

    current = args.current or p.paths.monitor_batch
    return summary_line(run_monitor(p, current, args.champion, args.base))


def simulate_options(parser: argparse.ArgumentParser, _: str) -> None:
    from mlops.monitor.simulate import SCENARIOS

    parser.add_argument("--month", required=True, type=month, help="arrival month, YYYY-MM")
    parser.add_argument(
        "--scenario", required=True, choices=SCENARIOS,
        help="none: the real rows; else a seeded drift (see the README)",
    )  # fmt: skip
    parser.add_argument("--out", required=True, help="CSV file to write (snapshot format)")
    parser.add_argument("--seed", type=int, help="default: monitor.simulate.seed")


def monitor_options(parser: argparse.ArgumentParser, _: str) -> None:
    parser.add_argument(
        "--current", help="batch CSV, folder of batches, or prediction log (default: "
        "paths.monitor_batch)",
    )  # fmt: skip
    parser.add_argument("--base", default="HEAD", help="reference if no prod (%(default)s)")
    parser.add_argument("--champion", help="revision or tag (default: current prod, else --base)")


def month(text: str) -> str:
    from mlops.monitor.months import MONTH

    if not MONTH.match(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month of the form YYYY-MM")
    return text


def alert_rules(p: Params, args: argparse.Namespace) -> str | tuple[str, int]:
    from mlops.core.files import write_text
    from mlops.monitor.online import alerts_file

    path = Path(p.paths.alerts)
    try:
        text = path.read_text()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the alert rules ({exc.strerror})") from None
    wanted = alerts_file(text, p.monitor)
    if wanted == text:
        return f"alert-rules: {path} holds the drift rules of monitor: in {p.source}"
    if args.check:
        return (
            f"alert-rules: {path} is out of step with monitor: in {p.source}; "
            "run `mlops alert-rules` to rewrite its drift rules",
            EXIT_FAIL,
        )
    write_text(path, wanted)
    return f"alert-rules: rewrote the drift rules in {path} from monitor: in {p.source}"


def alert_rules_options(parser: argparse.ArgumentParser, _: str) -> None:
    drifted = "change nothing; exit 1 if the file's drift rules differ from params.yaml's"
    parser.add_argument("--check", action="store_true", help=drifted)


def serve(p: Params, args: argparse.Namespace) -> str:
    from mlops.serve.server import serve

    host, port = args.host or p.serve.host, args.port or p.serve.port
    serve(p, args.model, host, port)
    return f"serve: stopped (was on http://{host}:{port})"


def serve_options(parser: argparse.ArgumentParser, _: str) -> None:
    which = "workspace (default), prod, model@v1.2.0, or a folder written by `mlops bundle`"
    parser.add_argument("--model", default="workspace", help=which)
    parser.add_argument("--host", help="address to listen on (default: serve.host)")
    parser.add_argument("--port", type=int, help="port (default: serve.port)")


def review_options(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--base", default="main", help="champion if no prod (%(default)s)")
    parser.add_argument("--champion", help="revision or tag (default: current prod, else --base)")
    if command == "report":
        parser.add_argument("--out", help="markdown file to write (default: paths.report)")


STAGES: dict[str, tuple[StageHandler, str]] = {
    "check-params": (
        check_params,
        "validate params.yaml (keys, types, ranges) against the data's columns",
    ),
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
    "review": (review, "gate and report from ONE comparison: gate.json, report.md; exit as gate"),
    "release": (release, "model card + assets for env VERSION; gh release create"),
    "simulate": (simulate, "one month of new rows from the source, as is or with a drift"),
    "monitor": (monitor, "drift, decay and staleness vs prod: monitor.json, monitor.md"),
    "serve": (serve, "HTTP service of a model: /predict /health /ready /metadata /metrics"),
    "alert-rules": (alert_rules, "write the online drift alert rules (paths.alerts) from monitor:"),
}

# Options beyond --params, per command.
OPTIONS: dict[str, Callable[[argparse.ArgumentParser, str], None]] = {
    "report": review_options,
    "gate": review_options,
    "review": review_options,
    "simulate": simulate_options,
    "monitor": monitor_options,
    "serve": serve_options,
    "alert-rules": alert_rules_options,
}
