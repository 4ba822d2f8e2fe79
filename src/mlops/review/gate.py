"""`mlops gate`: may the workspace's model (challenger) replace the champion?

Champion: `--champion REV_OR_TAG` if given, else the current GTO `prod` model, else the
base branch. Both are scored on the challenger's test split and judged by the rules in
`gate:` of the BASE revision's params.yaml (review/policy_source.py), never the
workspace's: a branch that relaxes its own `gate:` is judged under the base's, and
gate.json says so (`policy_changed`, with both policies under `policy`). Writes
reports/gate.json, a machine-readable decision with every rule's value, threshold and
result; the CLI exits 0 pass, 1 fail, 2 error (then gate.json holds
{"decision": "error"}).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlops.core.config import Params
from mlops.core.errors import MlopsError
from mlops.core.files import write_json
from mlops.registry.versions import Champion
from mlops.review.compare import Review, workspace_review


def gate_document(result: Review, champion: Champion) -> dict[str, Any]:
    decision = result.decision
    base, head = result.base, result.head
    return {
        "decision": "pass" if decision.passed else "fail",
        "failed": [rule.name for rule in decision.failed],
        "champion": {
            "label": champion.label,
            "commit": champion.commit,
            "chosen_by": champion.source,
            "model": base.obtained.get("model"),
            "notes": base.notes,
            "ignored_tags": list(champion.ignored),
        },
        "challenger": {"label": head.label, "commit": head.commit, "subject": head.subject},
        "scored_rows": {"path": result.test_path, "rows": result.comparison.rows},
        "rows_removed": result.rows.as_dict() if result.rows else None,
        "policy_changed": result.policy.changed,
        "policy": result.policy.as_dict(),
        "primary_metric": result.policy.gate.primary_metric,
        "metrics": {m: c.as_dict() for m, c in result.comparison.changes.items()},
        "rules": [rule.as_dict() for rule in decision.rules],
        "skipped": decision.skipped,
    }


@contextlib.contextmanager
def errors_recorded(gate_path: Path) -> Iterator[None]:
    """On an error the gate file says so ({"decision": "error", "error": ...}) and the error
    propagates (exit 2): a stale "pass" from an earlier run must never be read as current."""
    try:
        yield
    except MlopsError as exc:
        write_json(gate_path, {"decision": "error", "error": str(exc)})
        raise


def run_gate(
    params: Params, champion_rev: str | None, base: str, root: Path | str = "."
) -> dict[str, Any]:
    """Decide, write the gate file (an error too: errors_recorded), return its content."""
    root = Path(root)
    with (
        errors_recorded(root / params.paths.gate),
        workspace_review(params, champion_rev, base, root) as (champion, result),
    ):
        document = gate_document(result, champion)
    write_json(root / params.paths.gate, document)
    return document


def summary_line(document: dict[str, Any]) -> str:
    """One line for the console and the status check."""
    champion = document["champion"]
    against = f"{champion['label']} ({champion['commit'][:7]}, model from {champion['model']})"
    rules = document["rules"]
    policy = document.get("policy") or {}
    note = ""
    if document.get("policy_changed"):
        base = (policy.get("base_revision") or {}).get("label", "the base")
        note = (
            " (this branch changes the policy; judged under its own: first adoption)"
            if policy.get("base") is None
            else f" (this branch changes the policy; judged under {base}'s)"
        )
    if document["decision"] == "pass":
        return f"gate: PASS against {against}: all {len(rules)} rules pass{note}"
    failed = document["failed"]
    shown = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
    return f"gate: FAIL against {against}: {len(failed)} of {len(rules)} rules fail: {shown}{note}"
