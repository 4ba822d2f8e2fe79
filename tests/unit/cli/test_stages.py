"""The params-driven commands: a table with help for each, and every stage reading and
writing exactly the files `paths:` of the given --params file names."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml

from mlops.cli import build_parser, main
from mlops.cli.stages import OPTIONS, STAGES
from mlops.cli.steps import STEPS
from support.repos import ROOT

PIPELINE = ["ingest", "validate", "prepare", "featurize", "train", "evaluate", "summary"]


def test_every_command_has_one_line_of_help():
    for name, (handler, help_text) in STAGES.items():
        assert callable(handler), name
        assert help_text.strip(), name
        assert "\n" not in help_text, name
    assert set(OPTIONS) <= set(STAGES)
    assert not set(STAGES) & set(STEPS)


def test_review_commands_take_base_champion_and_out():
    parser = build_parser()
    args = parser.parse_args(
        ["report", "--base", "dev", "--champion", "model@v1.0.0", "--out", "r.md"]
    )
    assert (args.base, args.champion, args.out) == ("dev", "model@v1.0.0", "r.md")
    args = parser.parse_args(["gate"])
    assert (args.base, args.champion) == ("main", None)  # defaults: the base branch, no pin
    with pytest.raises(SystemExit):
        parser.parse_args(["gate", "--out", "x"])  # only the report writes markdown
    args = parser.parse_args(["review", "--base", "dev", "--champion", "model@v1.0.0"])
    assert (args.base, args.champion) == ("dev", "model@v1.0.0")
    with pytest.raises(SystemExit):
        parser.parse_args(["review", "--out", "x"])  # both files go where paths: says


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict]:
    """A folder with a params file (not named params.yaml) whose paths are all renamed,
    and a 1,200-row source."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    source = tmp_path / "source.csv"
    with gzip.open(ROOT / "datasets/adult/adult.data.gz", "rt") as lines:
        source.write_text("".join(next(lines) for _ in range(1200)))
    raw["ingest"]["sources"] = [str(source)]
    raw["ingest"]["until_month"] = None  # every row of the source, whatever month it "arrived"
    raw["validate"]["min_rows"] = 100
    raw["evaluate"].update(importance_repeats=1, latency_rows=10)
    raw["paths"] = {key: f"out/{key}/{Path(value).name}" for key, value in raw["paths"].items()}
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(raw))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # main() sets it; restored after the test
    return tmp_path, raw["paths"]


def test_each_stage_uses_the_paths_of_the_given_params_file(elsewhere, capsys):
    folder, paths = elsewhere
    for command in PIPELINE:
        assert main(["--params", "other.yaml", command]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "ingest: wrote 1200 rows to out/snapshot/snapshot.csv" in out
    assert "validate: 1200 rows pass" in out
    written = {str(p.relative_to(folder)) for p in (folder / "out").rglob("*") if p.is_file()}
    produced = {"snapshot", "validation", "train", "test", "features", "model", "training",
                "metrics", "slices", "runtime"}  # fmt: skip
    assert {paths[key] for key in produced} <= written
    assert f"{paths['plots']}/roc.csv" in written
    assert all(w.startswith("out/") for w in written)
    assert sorted(p.name for p in folder.iterdir()) == ["other.yaml", "out", "source.csv"]
    metrics = json.loads((folder / paths["metrics"]).read_text())
    assert f"test       {metrics['rows']} rows" in out  # summary read the same files
    assert paths["metrics"] in out.splitlines()[-2]  # and says where they are


def test_check_params_names_the_file_it_checked(elsewhere, capsys):
    assert main(["--params", "other.yaml", "check-params"]) == 0
    assert capsys.readouterr().out.startswith("check-params: other.yaml is valid and agrees")
    assert main(["--params", "missing.yaml", "check-params"]) == 2
    assert capsys.readouterr().err.startswith("mlops check-params: error: missing.yaml: file not")


def test_alert_rules_rewrites_the_drift_rules_from_params_and_checks_them(
    tmp_path, capsys, monkeypatch
):
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["paths"]["alerts"] = "rules/alerts.yml"
    raw["monitor"]["prediction_psi"] = 0.25
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(raw))
    (tmp_path / "rules").mkdir()
    deployed = (ROOT / "deploy/prometheus/alerts.yml").read_text()
    (tmp_path / "rules/alerts.yml").write_text(deployed)
    monkeypatch.chdir(tmp_path)
    assert main(["--params", "p.yaml", "alert-rules", "--check"]) == 1
    assert "rules/alerts.yml is out of step with monitor: in p.yaml" in capsys.readouterr().out
    assert (tmp_path / "rules/alerts.yml").read_text() == deployed  # --check writes nothing
    assert main(["--params", "p.yaml", "alert-rules"]) == 0
    assert "rewrote the drift rules in rules/alerts.yml" in capsys.readouterr().out
    written = (tmp_path / "rules/alerts.yml").read_text()
    assert written.split("# --- generated")[0] == deployed.split("# --- generated")[0]
    assert "(mlops_prediction_psi > 0.25)" in written
    assert main(["--params", "p.yaml", "alert-rules", "--check"]) == 0
    (tmp_path / "rules/alerts.yml").unlink()
    assert main(["--params", "p.yaml", "alert-rules"]) == 2
    assert "rules/alerts.yml: cannot read the alert rules" in capsys.readouterr().err
