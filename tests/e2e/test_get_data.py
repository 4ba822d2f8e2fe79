"""get-data: pull from the DVC remote, else rebuild from the source and prove it matches."""

from __future__ import annotations

import re
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
        "the source changed (or data.dvc was edited); review it, then `dvc add data` and "
        "commit data.dvc"
    )
    assert (repo / "data.dvc").read_bytes() == recorded


def test_a_corrupt_data_dvc_is_one_line_and_nothing_is_rewritten(pipeline_copy):
    repo = pipeline_copy
    good = (repo / "data.dvc").read_text()
    md5 = good.split("md5: ")[1].split(".dir")[0]
    kept = ["dvc.lock", "data/snapshot.csv"]
    before = {name: (repo / name).read_bytes() for name in kept}
    cases = {
        "outs: [md5: {\n": r"data\.dvc: not a DVC pointer file \(not YAML: ",
        good.replace(f"md5: {md5}.dir", "hash: md5"): r"data\.dvc: outs\[0\]\.md5 is None",
        good.replace(md5, "0" * 32): r"data/ rebuilt from ingest\.sources does not match data\.dvc",
    }
    for pointer, message in cases.items():
        (repo / "data.dvc").write_text(pointer)
        result = run(["mlops", "get-data"], repo, check=False)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert re.match(rf"mlops get-data: error: .*{message}", lines[0]), lines[0]
        assert (repo / "data.dvc").read_text() == pointer
        assert {name: (repo / name).read_bytes() for name in kept} == before
