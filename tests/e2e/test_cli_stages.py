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
        "check-params": "check-params: params.yaml is valid and agrees with the schema and "
        "the columns of data/snapshot.csv",
        "validate": "validate: 24410 rows pass the schema and quality rules",
        "prepare": "prepare: 19531 train rows, 4879 test rows",
        "featurize": "featurize: 12 features kept, 5 columns dropped",
        "train": "train: hist_gradient_boosting fitted on 19531 rows in",
        "evaluate": "evaluate: ROC AUC 0.9271 on 4879 test rows",
        "summary": "model      hist_gradient_boosting on 19531 train rows, 12 features",
    }
    for command, start in expected.items():
        assert main([command]) == 0, command
        assert capsys.readouterr().out.startswith(start), command
    assert (pipeline_copy / "reports/metrics.json").read_bytes() == before
