"""Every stage's CLI wiring, run in this process (so coverage sees it) on a real clone."""

from __future__ import annotations

from mlops.cli import main


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
