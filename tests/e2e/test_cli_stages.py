"""Every stage's CLI wiring, run in this process (so coverage sees it) on a real clone."""

from __future__ import annotations

from typing import Any

import yaml

import mlops.cli
from mlops.cli import main
from mlops.core.config import Params, load_params
from mlops.core.sections import Data


def recording_params(read: set[str]) -> Any:
    """load_params, but the `data:` section records which of its keys are read."""

    class Recording(Data):
        def __getattribute__(self, name: str) -> Any:
            if name in Data.model_fields:
                read.add(name)
            return super().__getattribute__(name)

    def load(path: Any = "params.yaml") -> Params:
        params = load_params(path)
        data = Recording.model_construct(**dict(params.data))
        return params.model_copy(update={"data": data})

    return load


def test_every_stage_in_process_on_a_clone(pipeline_copy, monkeypatch, capsys):
    """The CLI wiring of each stage, in this process (so coverage sees it), on real data.
    And each DVC stage reads no key of `data:` that dvc.yaml does not list among its
    params (dvc.yaml lists the keys each stage reads, not the whole section, so that a
    change of one key reruns only the stages that read it: a stage reading an unlisted
    key would not rerun when it changes)."""
    monkeypatch.chdir(pipeline_copy)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # main() sets it; restored after the test
    read: set[str] = set()
    monkeypatch.setattr(mlops.cli, "load_params", recording_params(read))
    stages = yaml.safe_load((pipeline_copy / "dvc.yaml").read_text())["stages"]
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
    checked = []
    for command, start in expected.items():
        read.clear()
        assert main([command]) == 0, command
        assert capsys.readouterr().out.startswith(start), command
        if command in stages:
            listed = stages[command].get("params", [])
            if "data" not in listed:  # the whole section listed: any key may be read
                declared = {key.split(".", 1)[1] for key in listed if key.startswith("data.")}
                assert read, command  # the recording works: each of them reads some
                assert read <= declared, (command, sorted(read - declared))
                checked.append(command)
    assert (pipeline_copy / "reports/metrics.json").read_bytes() == before
    assert checked == ["prepare", "featurize", "train", "evaluate"]
