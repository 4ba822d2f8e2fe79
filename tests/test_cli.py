"""The CLI: every stage is a subcommand; errors are one line with exit code 2."""

from __future__ import annotations

import shutil

import pytest

from conftest import ROOT
from mlops.cli import COMMANDS, build_parser, main

STAGES = {"ingest", "validate", "prepare", "featurize", "train", "evaluate"}


def test_one_subcommand_per_stage():
    assert set(COMMANDS) >= STAGES | {"get-data", "check-params", "summary"}
    help_text = build_parser().format_help()
    for name in STAGES:
        assert name in help_text


def test_check_params(capsys, tmp_path):
    assert main(["check-params"]) == 0
    assert capsys.readouterr().out.strip() == "check-params: params.yaml is valid"
    bad = tmp_path / "params.yaml"
    bad.write_text("threads: 0\n")
    assert main(["--params", str(bad), "check-params"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"mlops check-params: error: {bad}: threads: Input should be greater")


def test_unknown_subcommand_is_a_usage_error():
    with pytest.raises(SystemExit) as info:
        main(["no-such-stage"])
    assert info.value.code == 2


def test_a_stage_error_is_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "mlops validate: error: data/snapshot.csv: file not found "
        "(run the stage that writes it first)\n"
    )


@pytest.mark.e2e
def test_every_stage_in_process_on_a_clone(pipeline_copy, monkeypatch, capsys):
    """The CLI wiring of each stage, in this process (so coverage sees it), on real data."""
    monkeypatch.chdir(pipeline_copy)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # main() sets it; restored after the test
    before = (pipeline_copy / "reports/metrics.json").read_bytes()
    expected = {
        "get-data": "data: already present",
        "check-params": "check-params: params.yaml is valid",
        "validate": "validate: 48842 rows pass the schema and quality rules",
        "prepare": "prepare: 39143 train rows, 9699 test rows",
        "featurize": "featurize: 12 features kept, 5 columns dropped",
        "train": "train: hist_gradient_boosting fitted on 39143 rows in",
        "evaluate": "evaluate: ROC AUC 0.9300 on 9699 test rows",
        "summary": "model      hist_gradient_boosting on 39143 train rows, 12 features",
    }
    for command, start in expected.items():
        assert main([command]) == 0, command
        assert capsys.readouterr().out.startswith(start), command
    assert (pipeline_copy / "reports/metrics.json").read_bytes() == before
