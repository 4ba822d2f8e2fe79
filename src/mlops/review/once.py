"""`mlops review`: the gate file and the report from ONE comparison.

A PR needs both the decision (gate.json) and the comment (report.md). Run as `mlops gate`
and `mlops report`, each process resolves the champion, obtains its model and data,
loads both models, scores both on the test split and bootstraps every change: the work
done twice (bench/pipeline.py measures it). Here it is done once and both files are
written by the code that `mlops gate` (gate_document) and `mlops report` (render) use,
so each file holds the same bytes the separate command would write for the same inputs.

On an error: the gate file says so, as `mlops gate` leaves it, and the report is left as
it was, as `mlops report` leaves it (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops.core.config import Params
from mlops.core.files import write_json, write_text
from mlops.review.compare import workspace_review
from mlops.review.gate import errors_recorded, gate_document
from mlops.review.report import command_line, outcome, render


@dataclass(frozen=True)
class Written:
    gate: dict[str, Any]  # the gate file's content
    report: str  # the report's verdict in a few words
    gate_path: Path
    report_path: Path


def run_review(
    params: Params, base: str, champion_rev: str | None = None, root: Path | str = "."
) -> Written:
    """Compare once; write paths.gate and paths.report."""
    root = Path(root)
    gate_path, report_path = root / params.paths.gate, root / params.paths.report
    with (
        errors_recorded(gate_path),
        workspace_review(params, champion_rev, base, root) as (champion, result),
    ):
        document = gate_document(result, champion)
        text = render(result, params, command_line(base, champion_rev))
        decision = result.decision
    write_text(report_path, text)
    write_json(gate_path, document)
    return Written(document, outcome(decision), gate_path, report_path)
