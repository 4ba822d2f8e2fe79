"""The recording `cml`/`gh` stand-ins of the act tests (tests/fixtures/act/bin), for unit
tests of code that calls GitHub: what would have been sent is what they recorded."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from support.repos import ROOT

STUB_BIN = ROOT / "tests" / "fixtures" / "act" / "bin"


@pytest.fixture
def recording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The recording `cml`/`gh` stand-ins first on PATH; returns the record folder."""
    record = tmp_path / "record"
    monkeypatch.setenv("PATH", f"{STUB_BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("ACT_RECORD", str(record))
    monkeypatch.setenv("ACT_STUBS", str(STUB_BIN.parent))
    return record


def calls(record: Path) -> list[dict]:
    """Every call the stand-ins recorded, oldest first."""
    path = record / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
