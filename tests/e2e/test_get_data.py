"""get-data: pull from the DVC remote, else rebuild from the source and prove it matches."""

from __future__ import annotations

import shutil

import pytest
import yaml

from support.repos import git, run

pytestmark = pytest.mark.e2e


def test_present_then_pulled_from_the_remote(pipeline_copy):
    repo = pipeline_copy
    assert run(["mlops", "get-data"], repo).stdout.strip() == "data: already present"
    run(["dvc", "push", "data.dvc"], repo)
    assert (repo / ".dvc-storage").is_dir()
    shutil.rmtree(repo / "data")
    shutil.rmtree(repo / ".dvc" / "cache")
    assert run(["mlops", "get-data"], repo).stdout.strip() == "data: pulled from the DVC remote"
    assert git(repo, "status", "--porcelain", "--", "data.dvc") == ""
    assert (
        run(["dvc", "status", "data.dvc"], repo).stdout.strip()
        == "Data and pipelines are up to date."
    )


def test_a_changed_source_is_refused_and_data_dvc_kept(pipeline_copy):
    repo = pipeline_copy
    recorded = (repo / "data.dvc").read_bytes()
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["ingest"]["until_month"] = "2025-03"  # the source now yields other rows
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    shutil.rmtree(repo / "data")
    shutil.rmtree(repo / ".dvc" / "cache")
    result = run(["mlops", "get-data"], repo, check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "mlops get-data: error: data/ rebuilt from ingest.sources does not match data.dvc: "
        "the source changed; review it, then `dvc add data` and commit data.dvc"
    )
    assert (repo / "data.dvc").read_bytes() == recorded
