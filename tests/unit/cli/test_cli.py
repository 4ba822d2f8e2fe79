"""The CLI: every stage is a subcommand; errors are one line with exit code 2."""

from __future__ import annotations

import gc
import shutil
import subprocess
import sys
import tomllib

import pytest

from mlops.cli import build_parser, console, main
from mlops.cli.stages import STAGES as STAGE_COMMANDS
from mlops.cli.steps import STEPS
from mlops.core.startup import importing
from support.repos import ROOT

STAGES = {"ingest", "validate", "prepare", "featurize", "train", "evaluate"}


def test_one_subcommand_per_stage():
    assert set(STAGE_COMMANDS) >= STAGES | {"get-data", "check-params", "summary"}
    assert not set(STAGE_COMMANDS) & set(STEPS)  # one table each
    help_text = build_parser().format_help()
    for name in STAGES:
        assert name in help_text


def test_check_params(capsys, tmp_path):
    assert main(["check-params"]) == 0
    assert capsys.readouterr().out.startswith("check-params: params.yaml is valid and agrees with")
    bad = tmp_path / "params.yaml"
    bad.write_text("threads: 0\n")
    assert main(["--params", str(bad), "check-params"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"mlops check-params: error: {bad}: threads: Input should be greater")


def test_the_program_freezes_what_outlives_its_imports_and_main_leaves_the_collector_alone(
    capsys, monkeypatch
):
    """The `mlops` program and `python -m mlops` run through console(), which freezes
    what a stage's imports created and what is alive at the end (core/startup.py); main()
    and importing() outside it (a caller whose process goes on) change nothing."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["mlops"] == "mlops.cli:console"
    for module in ("mlops", "mlops.cli"):
        done = subprocess.run([sys.executable, "-m", module, "check-params"], cwd=ROOT,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("check-params: params.yaml is valid")
    assert gc.get_freeze_count() == 0
    with importing():
        assert gc.isenabled()
    assert main(["check-params"]) == 0
    assert gc.get_freeze_count() == 0
    capsys.readouterr()
    seen = []
    monkeypatch.setitem(STAGE_COMMANDS, "check-params", (
        lambda p, a: seen.append(gc.isenabled()) or "checked", "help"))  # fmt: skip

    def importing_stage(p, a):
        with importing():
            seen.append(gc.isenabled())
        seen.append(gc.get_freeze_count() > 0)
        return "imported"

    monkeypatch.setitem(STAGE_COMMANDS, "summary", (importing_stage, "help"))
    try:
        for name in ("check-params", "summary"):
            monkeypatch.setattr(sys, "argv", ["mlops", name])
            assert console() == 0
            assert gc.get_freeze_count() > 0  # everything alive at the end
            gc.unfreeze()
        assert gc.isenabled()
    finally:
        gc.unfreeze()
    assert seen == [True, False, True]  # off while importing, frozen after
    assert capsys.readouterr().out.splitlines() == ["checked", "imported"]


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


def test_an_error_quoting_a_line_break_stays_one_line(capsys, tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text('"thre\\r\\nads": 1\n')
    assert main(["--params", str(bad), "check-params"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mlops check-params: error: {bad}: thre\\r\\nads: unknown key")
    assert err.count("\n") == 1


def test_log_lines_are_one_line_each_and_named_by_their_level(capsys, monkeypatch):
    """A warning says warning, a server's info line says info (not warning), one line."""
    import logging

    from mlops import cli

    def logs(_args):
        logging.getLogger("mlops.test").warning("first\nsecond")
        info = logging.getLogger("mlops.test.info")
        info.setLevel(logging.INFO)
        info.info("model ready")
        return "done"

    monkeypatch.setattr(cli, "run", logs)
    assert cli.main(["check-params"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "mlops check-params: warning: first\\nsecond",
        "mlops check-params: info: model ready",
    ]
