"""The serving image, built here from the project's Dockerfile and run.

`podman run` cannot start containers in this sandbox, so the container runs with
`buildah run --isolation chroot --network host` (mlops.adapters.container, which the
canary uses too); GitHub's runners use docker. The image is built once per session.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
def image(pipeline_repo: Path) -> str:
    need_tools()
    run(["mlops", "bundle"], pipeline_repo)  # VERSION unset: the workspace model
    return build_image(pipeline_repo, TAG)


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


def test_the_container_serves_the_holdout_as_evaluated(
    image: str, pipeline_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The canary, as promote runs it, against this image: the whole test split over HTTP
    must equal the in-process scores bit for bit. Latency is a measurement on a shared
    machine, so its ceiling is lifted here (tests/unit/serve/test_canary.py checks the rule)."""
    from mlops.serve.canary import canary_from_env

    monkeypatch.chdir(pipeline_repo)
    params = load_params("params.yaml")
    canary = params.serve.canary.model_copy(update={"max_latency_ms_p99": 60_000.0,
                                                    "latency_requests": 20})  # fmt: skip
    params = params.model_copy(update={"serve": params.serve.model_copy(update={"canary": canary})})
    line = canary_from_env(
        params, {"IMAGE": image, "CONTAINER_ENGINE": "buildah", "VERSION": "workspace"}
    )
    assert line.startswith("canary: PASS workspace: 9699 holdout rows over HTTP")
    assert "max |served - offline| 0 (0 rows differ)" in line


def test_the_version_file_is_baked_in(image: str) -> None:
    container = subprocess.run(["buildah", "from", "--pull=never", image], capture_output=True,
                               text=True, check=True).stdout.strip()  # fmt: skip
    try:
        out = subprocess.run(
            ["buildah", "run", "--isolation", "chroot", container, "--", "cat", "model/VERSION",
             "model/metadata.json"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True, check=False)
    assert out.startswith("workspace\n")
    assert '"version": "workspace"' in out
