"""Past one machine: the model trained and scored on a Dask cluster of two worker
processes on loopback (`train.engine: dask`), with the same gate on top."""

from __future__ import annotations

import json
import re

from mlops.train.model_io import load_model, sio, trusted_types
from support.repos import run


def test_a_model_trained_on_a_two_worker_cluster_passes_the_same_gate(pipeline_copy):
    repo = pipeline_copy
    params = repo / "params.yaml"
    text = re.sub(r"^  model: hist_gradient_boosting\b", "  model: lightgbm", params.read_text(),
                  count=1, flags=re.M)  # fmt: skip
    text = re.sub(r"^  engine: local\b", "  engine: dask", text, count=1, flags=re.M)
    assert "model: lightgbm" in text
    assert "engine: dask" in text
    params.write_text(text)

    out = run(["dvc", "repro"], repo).stdout
    assert re.findall(r"Running stage '(\w+)'", out) == ["train", "evaluate"]
    training = json.loads((repo / "reports/training.json").read_text())
    assert training["model"] == "lightgbm"
    assert training["engine"] == "dask (2 workers)"
    metrics = json.loads((repo / "reports/metrics.json").read_text())
    assert metrics["roc_auc"] > 0.925  # the default model scores 0.9271

    # The model file is skops with an allow-list, like every model: no pickle.
    data = (repo / "models/model.skops").read_bytes()
    untrusted = set(sio.get_untrusted_types(data=data))
    assert "lightgbm.basic.Booster" in untrusted
    assert untrusted <= trusted_types()
    assert load_model(repo / "models/model.skops")[-1].__class__.__name__ == "LGBMClassifier"

    # Champion: main's default model (from the DVC cache); same rows, same rules.
    result = run(["mlops", "gate", "--base", "main"], repo, check=False)
    gate = json.loads((repo / "reports/gate.json").read_text())
    assert result.returncode == 0, (gate["failed"], result.stdout, result.stderr)
    assert gate["decision"] == "pass"
    assert gate["champion"]["model"] == "DVC cache"
    assert gate["scored_rows"]["rows"] == metrics["rows"]
