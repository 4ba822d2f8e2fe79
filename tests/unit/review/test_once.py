"""`mlops review`: one comparison, and the very bytes `mlops gate` and `mlops report` write
separately; on an error, the gate file says so and the report is kept, as they leave them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops.cli import main
from mlops.core.config import Params
from mlops.core.files import write_json
from mlops.registry.versions import RegistryError
from mlops.review import compare as compare_module
from mlops.review.gate import run_gate, summary_line
from mlops.review.once import run_review
from mlops.review.report import run_report
from support.repos import git


def test_the_review_scores_both_models_once_and_writes_the_bytes_of_gate_and_report(
    repo: tuple[Path, Params], monkeypatch: pytest.MonkeyPatch
):
    root, p = repo
    gate_file, report_file = root / p.paths.gate, root / p.paths.report
    run_gate(p, None, "main", root)
    run_report(p, "main", p.paths.report, root)
    separately = gate_file.read_bytes(), report_file.read_bytes()
    gate_file.unlink()
    report_file.unlink()

    scorings = []
    real = compare_module.compare_models

    def counted(*args, **kwargs):
        scorings.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(compare_module, "compare_models", counted)
    written = run_review(p, "main", None, root)
    assert len(scorings) == 1
    assert (gate_file.read_bytes(), report_file.read_bytes()) == separately
    assert written.gate == json.loads(separately[0])
    assert written.gate["failed"] == ["latency_ms_p95"]
    assert written.report == "gate would fail: 1 rules"
    assert (written.gate_path, written.report_path) == (gate_file, report_file)
    # the footer names the command that writes this text again
    assert "`mlops report --base main`" in separately[1].decode()


def test_an_error_records_it_in_the_gate_file_and_keeps_the_report(params: Params, tmp_path: Path):
    git(tmp_path, "init", "-q", "-b", "main")
    write_json(tmp_path / params.paths.gate, {"decision": "pass"})  # from an earlier run
    report = tmp_path / params.paths.report
    report.write_text("an earlier good report\n")
    with pytest.raises(RegistryError, match="'nope' not found"):
        run_review(params, "main", "nope", tmp_path)
    written = json.loads((tmp_path / params.paths.gate).read_text())
    assert written["decision"] == "error"  # never a stale "pass"
    assert "'nope' not found" in written["error"]
    assert report.read_text() == "an earlier good report\n"


def test_the_command_prints_the_gate_line_and_exits_as_the_gate(
    repo: tuple[Path, Params], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    root, p = repo
    monkeypatch.chdir(root)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # main() sets it; restored after the test
    assert main(["review", "--base", "main"]) == 1  # fail: latency
    out = capsys.readouterr().out.splitlines()
    document = json.loads((root / p.paths.gate).read_text())
    assert out[0] == summary_line(document)  # what `mlops gate` prints
    assert out[0].startswith("gate: FAIL against main (")
    assert out[0].endswith("rules fail: latency_ms_p95")
    assert out[1] == "review: wrote reports/gate.json and reports/report.md"

    assert main(["review", "--champion", "no-such-tag"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("mlops review: error: ")
    assert "'no-such-tag' not found" in err
