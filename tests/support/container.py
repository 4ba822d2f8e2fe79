"""Container images built on this machine: no registry base image can be pulled here.

The Dockerfile takes its bases as build arguments. Here they are made from local parts
and cached, keyed by what defines them, so a machine builds each once:
- BASE_IMAGE: a Debian bookworm root file system with python3 (mmdebstrap, ~30 s), the
  tar kept under ~/.cache/mlops-template/images/ and imported into podman's storage;
- UV_IMAGE: an image holding only /uv, this environment's uv binary (the same layout as
  ghcr.io/astral-sh/uv).
`podman run` fails in this sandbox (setrlimit), so containers run with
`buildah run --isolation chroot --network host` (mlops.adapters.container).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mlops-template" / "images"
SUITE = "bookworm"
PACKAGES = ("python3", "ca-certificates")
TOOLS = {
    "podman": "apt-get install podman",
    "buildah": "apt-get install buildah",
    "mmdebstrap": "apt-get install mmdebstrap",
}


def need_tools() -> None:
    """Skip (fail under CI=true) when a container tool is missing, saying how to get it."""
    missing = [name for name in TOOLS if shutil.which(name) is None]
    if missing:
        how = "; ".join(TOOLS[name] for name in missing)
        message = f"needs {', '.join(missing)} ({how}; .ci/run installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _exists(image: str) -> bool:
    return subprocess.run(["podman", "image", "exists", image], check=False).returncode == 0


def _import(tar: Path, image: str) -> None:
    subprocess.run(["podman", "import", "--quiet", str(tar), image], check=True,
                   capture_output=True)  # fmt: skip


LOCAL_CAS = Path("/usr/local/share/ca-certificates")


def base_image() -> str:
    """The Dockerfile's BASE_IMAGE here: the Debian base, plus this machine's own CA
    certificates when it has any (a network whose egress re-signs TLS: the build's uv
    trusts the system store, UV_SYSTEM_CERTS), built once per machine."""
    base = debian_image()
    cas = sorted(LOCAL_CAS.glob("*.crt")) if LOCAL_CAS.is_dir() else []
    if not cas:
        return base
    digest = hashlib.sha256(base.encode())
    for ca in cas:
        digest.update(ca.name.encode() + ca.read_bytes())
    image = f"localhost/mlops-base-ca:{digest.hexdigest()[:12]}"
    if _exists(image):
        return image
    with tempfile.TemporaryDirectory() as context:
        for ca in cas:
            shutil.copyfile(ca, Path(context) / ca.name)
        (Path(context) / "Containerfile").write_text(
            f"FROM {base}\nCOPY *.crt /usr/local/share/ca-certificates/\n"
            "RUN update-ca-certificates\n"
        )
        subprocess.run(
            ["podman", "build", "--isolation", "chroot", "--pull=never", "--quiet",
             "-t", image, context],
            check=True, capture_output=True,
        )  # fmt: skip
    return image


def debian_image() -> str:
    """localhost/mlops-base:<key>: Debian minbase + python3, built once per machine."""
    recipe = f"mmdebstrap --variant=minbase --include={','.join(PACKAGES)} {SUITE}"
    key = hashlib.sha256(recipe.encode()).hexdigest()[:12]
    image = f"localhost/mlops-base:{key}"
    if _exists(image):
        return image
    tar = CACHE / f"base-{key}.tar"
    if not tar.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
            part = Path(scratch) / "base.tar"
            subprocess.run(
                ["mmdebstrap", "--quiet", "--variant=minbase", f"--include={','.join(PACKAGES)}",
                 SUITE, str(part)],
                check=True, capture_output=True,
            )  # fmt: skip
            part.replace(tar)
    _import(tar, image)
    return image


def uv_binary() -> Path:
    found = os.environ.get("UV") or shutil.which("uv")
    if found:
        return Path(found)
    # the PyPI package that `python3 -m uv` runs (how the Makefile bootstraps uv)
    out = subprocess.run(
        ["python3", "-c", "import uv; print(uv.find_uv_bin())"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return Path(out.strip())


def uv_image() -> str:
    """localhost/mlops-uv:<sha>: only /uv, as in ghcr.io/astral-sh/uv."""
    binary = uv_binary().resolve()
    key = hashlib.sha256(binary.read_bytes()).hexdigest()[:12]
    image = f"localhost/mlops-uv:{key}"
    if _exists(image):
        return image
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
        tar = Path(scratch) / "uv.tar"
        with tarfile.open(tar, "w") as out:
            out.add(binary, arcname="uv")
        _import(tar, image)
    return image


def build_image(context: Path, tag: str, version: str = "workspace") -> str:
    """`podman build` of the project's Dockerfile in `context` (which holds build/serve/),
    with this machine's bases; podman's layer cache makes a rebuild after a code change
    cost only the layers after it."""
    before = _image_id(tag)
    result = subprocess.run(
        ["podman", "build", "--isolation", "chroot", "--network", "host", "--format", "docker",
         "--pull=never", "--build-arg", f"BASE_IMAGE={base_image()}",
         "--build-arg", f"UV_IMAGE={uv_image()}", "--build-arg", f"MODEL_VERSION={version}",
         "-t", tag, str(context)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise AssertionError(f"podman build failed:\n{(result.stdout + result.stderr)[-5000:]}")
    if before is not None and before != _image_id(tag):
        # The image the tag named before: removed, or every rebuild after a code change
        # leaves one behind untagged (a few MB each, gigabytes over weeks of test runs).
        # Not forced: an image that a container uses or another tag names stays.
        subprocess.run(["podman", "image", "rm", before], capture_output=True, check=False)
    return tag


def _image_id(image: str) -> str | None:
    result = subprocess.run(["podman", "image", "inspect", "--format", "{{.Id}}", image],
                            capture_output=True, text=True, check=False)  # fmt: skip
    return result.stdout.strip() or None if result.returncode == 0 else None


def inspect(image: str) -> dict:
    import json

    out = subprocess.run(["podman", "image", "inspect", image], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    return json.loads(out)[0]
