"""A release: its assets (model, metrics, card) built from params' paths, and the
GitHub release created through the recording `gh` stand-in."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlops.core.errors import DataError
from mlops.core.files import write_json
from mlops.registry import release
from support.repos import ROOT

SHA = "d" * 40
STUB_BIN = ROOT / "tests" / "fixtures" / "act" / "bin"


@pytest.fixture
def workspace(params, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A folder holding what a promotion run downloads: the model and its reports."""
    monkeypatch.chdir(tmp_path)
    p = params.paths
    Path(p.model).parent.mkdir(parents=True)
    Path(p.model).write_bytes(b"the model")
    write_json(p.metrics, {"roc_auc": 0.93})
    write_json(p.slices, {})
    write_json(p.runtime, {"latency_ms_p50": 1.0})
    write_json(p.features, {"numeric": ["age"], "categorical": []})
    write_json(p.training, {"model": "hist_gradient_boosting"})
    return tmp_path


def test_assets_are_copies_of_the_pipelines_files_and_a_card(params, workspace):
    out = workspace / "release"
    (out / "stale").mkdir(parents=True)  # left over from an earlier build
    assets = release.build(params, "v2.0.1", SHA, out)
    assert [a.name for a in assets] == [
        "model-v2.0.1.skops", "metrics.json", "slices.json", "runtime.json", "model-card.md",
    ]  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == sorted(a.name for a in assets)
    assert assets[0].read_bytes() == b"the model"
    assert json.loads(assets[1].read_text()) == {"roc_auc": 0.93}
    assert assets[-1].read_text().startswith("# Model card: model v2.0.1")


@pytest.mark.parametrize("version", ["latest", "1.0.0", "v1.0", "v01.0.0", "v1.0.0; rm -rf ."])
def test_only_a_semantic_version_is_released(params, workspace, version):
    with pytest.raises(release.ReleaseError, match=r"is not of the form v1\.2\.3"):
        release.build(params, version, SHA, workspace / "release")


def test_missing_files_are_named(params, workspace):
    Path(params.paths.runtime).unlink()
    with pytest.raises(DataError, match=r"runtime\.json: file not found"):
        release.build(params, "v1.0.0", SHA, workspace / "release")
    Path(params.paths.model).unlink()
    with pytest.raises(release.ReleaseError, match="uploads it as `model`"):
        release.build(params, "v1.0.0", SHA, workspace / "release")


def test_publish_creates_the_release_of_the_registration_tag(params, workspace, monkeypatch):
    record = workspace / "record"
    monkeypatch.setenv("PATH", f"{STUB_BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("ACT_RECORD", str(record))
    monkeypatch.setenv("ACT_STUBS", str(STUB_BIN.parent))
    assets = release.build(params, "v1.3.0", SHA, workspace / "release")
    line = release.publish("v1.3.0", assets, assets[-1])
    assert line == (
        "release: model@v1.3.0 published with 5 assets "
        "https://github.com/acme/models/releases/tag/model@v1.3.0"
    )
    (call,) = [json.loads(x) for x in (record / "calls.jsonl").read_text().splitlines()]
    assert call["argv"][:6] == ["release", "create", "model@v1.3.0", "--verify-tag", "--title",
                                "model v1.3.0"]  # fmt: skip
    sent = record / "releases" / "model@v1.3.0"
    assert sorted(p.name for p in sent.iterdir()) == sorted(
        [a.name for a in assets] + ["RELEASE_NOTES.md"]
    )
    assert (sent / "RELEASE_NOTES.md").read_text() == assets[-1].read_text()
