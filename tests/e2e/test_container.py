"""The serving image, built here from the project's Dockerfile and run.

`podman run` cannot start containers in this sandbox, so the container runs with
`buildah run --isolation chroot --network host` (mlops.adapters.container, which the
canary uses too); GitHub's runners use docker. The image is built once per session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from mlops.core.config import load_params
from mlops.core.files import read_json
from support.container import build_image, inspect, need_tools
from support.repos import ROOT, run

pytestmark = pytest.mark.e2e

TAG = "localhost/mlops-model:e2e"


def test_the_dockerfile_is_hadolint_clean() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True,
                            text=True, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    bad = ROOT.parent / "bad.Dockerfile"
    try:
        bad.write_text("FROM debian\nRUN apt-get install curl\n")
        assert subprocess.run([hadolint, str(bad)], capture_output=True, check=False).returncode
    finally:
        bad.unlink()


@pytest.fixture(scope="session")
def image(pipeline_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Built once per session: the first xdist worker builds, the others wait and reuse it
    (every worker bundles its own copy of the repository, which the canary reads)."""
    need_tools()
    run(["mlops", "bundle"], pipeline_repo)  # VERSION unset: the workspace model
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    with FileLock(str(root / "image.lock")):
        if not (root / "image.built").exists():
            build_image(pipeline_repo, TAG)
            (root / "image.built").touch()
    return TAG


def test_the_image_runs_as_non_root_with_a_healthcheck_and_the_version(image: str, pipeline_repo):
    found = inspect(image)
    config = found["Config"]
    assert config["User"] == "10001:10001"
    assert "/ready" in " ".join(found["Healthcheck"]["Test"])
    assert config["Labels"]["org.opencontainers.image.version"] == "workspace"
    assert config["Labels"]["io.mlops.model.version"] == "workspace"
    assert "8000/tcp" in config["ExposedPorts"]
    from mlops.review.store import md5_of

    meta = read_json(pipeline_repo / "build/serve/metadata.json")
    assert meta["model_md5"] == md5_of(pipeline_repo / "models/model.skops")


def test_the_container_serves_the_holdout_as_evaluated_and_the_canary_judges_it(
    image: str, pipeline_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The canary, as promote runs it, against this image: the whole test split over HTTP
    equals the in-process scores bit for bit. Its latency ceiling is set to 0.001 ms here,
    which no HTTP request meets, so the same run also shows a failing canary failing (the
    passing one runs under act in test_act.py's promote)."""
    from mlops.serve.canary import CanaryError, canary_from_env

    monkeypatch.chdir(pipeline_repo)
    params = load_params("params.yaml")
    canary = params.serve.canary.model_copy(update={"max_latency_ms_p99": 0.001,
                                                    "latency_requests": 20})  # fmt: skip
    params = params.model_copy(update={"serve": params.serve.model_copy(update={"canary": canary})})
    with pytest.raises(CanaryError) as failed:
        canary_from_env(
            params, {"IMAGE": image, "CONTAINER_ENGINE": "buildah", "VERSION": "workspace"}
        )
    line = str(failed.value)
    assert line.startswith("canary: FAIL workspace: 4879 holdout rows over HTTP"), line
    assert "max |served - offline| 0 (0 rows differ)" in line  # the answers: bit for bit
    assert "-- p99 latency" in line
    assert "> 0.001 ms" in line  # the only reason it failed


def test_the_version_file_and_the_drift_profile_are_baked_in(image: str, pipeline_repo) -> None:
    container = subprocess.run(["buildah", "from", "--pull=never", image], capture_output=True,
                               text=True, check=True).stdout.strip()  # fmt: skip

    def cat(*files: str) -> str:
        return subprocess.run(
            ["buildah", "run", "--isolation", "chroot", container, "--", "cat", *files],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    try:
        out = cat("model/VERSION", "model/metadata.json")
        profile = cat("model/profile.json")
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True, check=False)
    assert out.startswith("workspace\n")
    assert '"version": "workspace"' in out
    # the reference of the online drift gauges, without git or DVC in the image
    assert profile == (pipeline_repo / "build/serve/profile.json").read_text()
    assert '"features"' in profile
