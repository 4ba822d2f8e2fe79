"""The `mlops` command: wiring only (parse, call, exit code).

Two tables of subcommands: cli/stages.py (driven by params.yaml: the pipeline stages,
getting the data, the review) and cli/steps.py (workflow steps, driven by environment
variables). Exit codes (core/errors.py): 0 success, 1 a gate that refuses the
challenger, 2 a user-fixable error, printed as one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from mlops.cli.stages import OPTIONS, STAGES
from mlops.cli.steps import STEPS
from mlops.core.config import load_params
from mlops.core.errors import EXIT_ERROR, EXIT_OK, MlopsError
from mlops.core.startup import program


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Every command's options; given `argv`, only those of the commands it names. Adding
    an option may import what its choices come from (`simulate` imports the monitor and
    pandas): each pipeline stage is its own process, so that cost would be paid by every
    stage for a command it does not run."""
    parser = argparse.ArgumentParser(prog="mlops", description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--params", default="params.yaml", help="params file (default: %(default)s)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    named = None if argv is None else set(argv)
    for name, (_, help_text) in [*STAGES.items(), *STEPS.items()]:
        command = sub.add_parser(name, help=help_text, description=help_text)
        if name in OPTIONS and (named is None or name in named):
            OPTIONS[name](command, name)
    return parser


def run(args: argparse.Namespace) -> str | tuple[str, int]:
    if args.command in STEPS:
        step, _ = STEPS[args.command]
        return step(args)
    stage, _ = STAGES[args.command]
    params = load_params(args.params)
    # Before any numeric library loads: OpenMP reads this once, at start-up.
    os.environ["OMP_NUM_THREADS"] = str(params.threads)
    return stage(params, args)


def one_line(message: str) -> str:
    """The message with line breaks and other control characters escaped: an error quotes
    what the user wrote (a key, a cell, a file name), and it must stay one line."""
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


class _OneLine(logging.Formatter):
    """`mlops <command>: <level>: <message>` ("warning", "info", ...), on one line."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def format(self, record: logging.LogRecord) -> str:
        return f"{self.prefix}: {record.levelname.lower()}: {one_line(record.getMessage())}"


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    # Log records from any module (warnings; a server's info lines): one line each on
    # stderr, named by their level, like the errors below.
    warnings = logging.StreamHandler(sys.stderr)
    warnings.setFormatter(_OneLine(f"mlops {args.command}"))
    logger = logging.getLogger("mlops")
    logger.addHandler(warnings)
    try:
        result = run(args)
    except MlopsError as exc:
        print(f"mlops {args.command}: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        logger.removeHandler(warnings)
    message, code = result if isinstance(result, tuple) else (result, EXIT_OK)
    print(message)
    return code


def console() -> int:
    """The `mlops` program (and `python -m mlops`): one command, then the process ends,
    so what lives as long as the process is kept out of the garbage collector's way
    (core/startup.py). Not in `main`: callers in a process that goes on (the tests)
    keep their collector as it is."""
    with program():
        return main()
