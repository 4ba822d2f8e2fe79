"""GitOps pin: the Deployment names the prod version's image; every manifest is valid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlops.ci.deploy import image_name, pin, pinned
from mlops.ci.inputs import WorkflowError

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
DEPLOYMENT = DEPLOY / "kubernetes" / "deployment.yaml"
BIN = Path(sys.executable).parent
DIGEST = "sha256:" + "ab" * 32


def validate(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIN / "kubernetes-validate", "--strict", *map(str, files)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_every_manifest_is_valid_kubernetes() -> None:
    files = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
    assert {f.name for f in files} >= {"deployment.yaml", "service.yaml"}
    result = validate(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = {yaml.safe_load(f.read_text())["kind"] for f in files}
    assert {"Deployment", "Service", "PodDisruptionBudget"} <= kinds


def test_a_broken_manifest_is_caught(tmp_path: Path) -> None:
    broken = tmp_path / "deployment.yaml"
    broken.write_text(DEPLOYMENT.read_text().replace("containerPort: 8000", "containerPort: http"))
    result = validate(broken)
    assert result.returncode != 0
    assert "containerPort" in result.stdout + result.stderr


def test_the_deployment_probes_resources_and_runs_as_non_root() -> None:
    spec = yaml.safe_load(DEPLOYMENT.read_text())["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["startupProbe"]["httpGet"]["path"] == "/ready"
    assert {"requests", "limits"} <= set(container["resources"])
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 10001  # the Dockerfile's USER
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    annotations = yaml.safe_load(DEPLOYMENT.read_text())["spec"]["template"]["metadata"]
    assert annotations["annotations"]["prometheus.io/path"] == "/metrics"


def test_the_kustomization_lists_every_manifest_and_the_prometheus_files() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    listed = {DEPLOY / r for r in kustomization["resources"]}
    assert listed == set((DEPLOY / "kubernetes").glob("*.yaml"))
    for generator in kustomization["configMapGenerator"]:
        for name in generator["files"]:
            assert (DEPLOY / name).is_file(), name


def test_pin_sets_image_and_version_and_stays_valid(tmp_path: Path) -> None:
    image = f"{image_name('Acme/Models')}:v1.2.0@{DIGEST}"
    assert image.startswith("ghcr.io/acme/models:")  # registries want lowercase
    text = pin(DEPLOYMENT.read_text(), image, "v1.2.0")
    assert pinned(text) == (image, "v1.2.0")
    manifest = yaml.safe_load(text)
    assert manifest["spec"]["template"]["spec"]["containers"][0]["image"] == image
    assert manifest["metadata"]["labels"]["app.kubernetes.io/version"] == "v1.2.0"
    assert manifest["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"] == (
        "v1.2.0"
    )
    # only the marked lines changed; comments stay
    changed = [
        (a, b) for a, b in zip(DEPLOYMENT.read_text().splitlines(), text.splitlines(), strict=True)
        if a != b
    ]  # fmt: skip
    assert len(changed) == 3
    assert pin(text, image, "v1.2.0") == text  # idempotent
    (tmp_path / "deployment.yaml").write_text(text)
    assert validate(tmp_path / "deployment.yaml").returncode == 0


def test_pin_refuses_a_manifest_without_the_marks() -> None:
    with pytest.raises(WorkflowError, match="no line marked '# mlops:image'"):
        pin("kind: Deployment\nimage: x\n", "ghcr.io/a/b:v1.0.0", "v1.0.0")
    with pytest.raises(WorkflowError, match="not owner/name"):
        image_name("not a repo")


def test_deploy_pin_refuses_a_version_that_is_not_in_prod(tmp_path: Path, monkeypatch) -> None:
    from mlops.ci.deploy import deploy_pin
    from mlops.registry import versions
    from support.repos import GIT_IDENTITY, make_clone

    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    repo = make_clone(tmp_path / "repo")
    version, _ = versions.register(repo, gate=passing_gate(repo))
    env = {"VERSION": version, "GITHUB_REPOSITORY": "acme/models"}
    with pytest.raises(WorkflowError, match="is not in prod: nothing to deploy"):
        deploy_pin(env, str(repo))
    with pytest.raises(WorkflowError, match="not of the form"):
        deploy_pin({**env, "VERSION": "v1; rm -rf /"}, str(repo))
    versions.assign("staging", version, repo)  # prod only after staging
    versions.assign("prod", version, repo)
    with pytest.raises(WorkflowError, match="DIGEST"):
        deploy_pin({**env, "DIGEST": "latest"}, str(repo))


def passing_gate(repo) -> dict:
    """The promotion run's passing gate.json for HEAD (registering needs one)."""
    from support.repos import git

    head = git(repo, "rev-parse", "HEAD")
    return {"decision": "pass", "challenger": {"commit": head}, "champion": {}}
