"""The gate as a check: exit 0 pass, 1 fail, 2 when gate.json is missing or unreadable.

`make gate` exits 2 on any failure (GNU make's code for a failed recipe), so workflows
read the decision from the file instead.
"""

from __future__ import annotations

import json
from pathlib import Path

from mlops.core.errors import EXIT_ERROR, EXIT_FAIL, EXIT_OK


def verdict(gate_json: Path | str) -> tuple[int, str]:
    """(exit code, one line) from gate.json."""
    path = Path(gate_json)
    try:
        gate = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return EXIT_ERROR, f"{path}: not found (the gate did not run or crashed; see its log)"
    except (OSError, ValueError) as exc:
        return EXIT_ERROR, f"{path}: unreadable ({exc})"
    decision = gate.get("decision") if isinstance(gate, dict) else None
    if decision == "pass":
        return EXIT_OK, "gate: PASS (the challenger may replace the champion)"
    if decision != "fail":
        return EXIT_ERROR, f"{path}: 'decision' is {decision!r}, expected 'pass' or 'fail'"
    failed = gate.get("failed")
    names = [str(name) for name in failed] if isinstance(failed, list) else []
    return EXIT_FAIL, "gate: FAIL: " + (", ".join(names) or "see gate.json") + " failed"
