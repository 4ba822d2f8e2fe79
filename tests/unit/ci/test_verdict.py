"""The gate check: exit codes from the gate file's decision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops.ci.verdict import verdict


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        ({"decision": "pass", "failed": []}, 0, "PASS"),
        ({"decision": "fail", "failed": ["non_inferiority:roc_auc"]}, 1, "roc_auc"),
        ({"decision": "error"}, 2, "'error'"),
        ("not json", 2, "unreadable"),
        (None, 2, "not found"),
    ],
)
def test_verdict_exit_codes(tmp_path: Path, content: object, code: int, words: str) -> None:
    path = tmp_path / "gate.json"
    if content is not None:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    got_code, line = verdict(path)
    assert got_code == code
    assert words in line
