"""A release's assets and model card, from a clone on which the pipeline ran."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops.core.config import load_params
from mlops.registry import release

SHA = "a" * 40


def test_release_assets_and_model_card(
    pipeline_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = load_params(pipeline_repo / "params.yaml")
    monkeypatch.chdir(pipeline_repo)
    assets = release.build(params, "v1.2.0", SHA, tmp_path / "release")
    names = [a.name for a in assets]
    assert names == ["model-v1.2.0.skops", "metrics.json", "slices.json", "runtime.json",
                     "model-card.md"]  # fmt: skip
    card = assets[-1].read_text()
    metrics = json.loads(Path(params.paths.metrics).read_text())
    assert card.startswith("# Model card: model v1.2.0")
    assert f"| roc_auc | {metrics['roc_auc']:.4f} |" in card
    assert "### sex" in card
    assert "SIMULATED" in card
    with pytest.raises(release.ReleaseError, match=r"v1\.2\.3"):
        release.build(params, "latest", SHA, tmp_path / "bad")
