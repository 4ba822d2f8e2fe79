"""Container engines: every docker / podman / buildah call the package makes is here.

`docker` (GitHub-hosted runners, laptops) runs an image with a published port.
`buildah` runs it where no container runtime may start (this project's sandbox: `podman
run` cannot set rlimits there) with `buildah run --isolation chroot --network host`: the
server then listens on the host's loopback directly.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from mlops.core.errors import MlopsError

ENGINES = ("docker", "podman", "buildah")
PORT_IN_IMAGE = 8000  # the Dockerfile's EXPOSE and CMD


class ContainerError(MlopsError):
    """A container engine is missing or one of its commands failed."""


@dataclass
class Running:
    """A started container serving on 127.0.0.1:port."""

    engine: str
    handle: str  # container id (docker, podman) or working container (buildah)
    port: int
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    notes: list[str] = field(default_factory=list)


def _run(command: list[str], what: str) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ContainerError(f"`{command[0]}` not found on PATH (install it)") from None
    if result.returncode != 0:
        raise ContainerError(f"{what}: {' '.join(result.stderr.split())[-300:]}")
    return result.stdout.strip()


def start(engine: str, image: str, port: int, log: Path) -> Running:
    """Run `image`'s service on 127.0.0.1:port; its output goes to `log`."""
    if engine not in ENGINES:
        raise ContainerError(f"container engine {engine!r}: use one of {', '.join(ENGINES)}")
    if engine in ("docker", "podman"):
        handle = _run(
            [engine, "run", "--detach", "--publish", f"127.0.0.1:{port}:{PORT_IN_IMAGE}", image],
            f"{engine} run {image}",
        )
        return Running(engine, handle, port, log=log)
    handle = _run(["buildah", "from", "--pull=never", image], f"buildah from {image}")
    command = [
        "buildah", "run", "--isolation", "chroot", "--network", "host", handle, "--",
        "mlops", "serve", "--model", "model", "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    with log.open("wb") as out:
        # its own process group: stop() signals the server inside, not only buildah
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Running(engine, handle, port, process, log)


def stop(running: Running, grace: float = 20.0) -> str:
    """Stop the container (SIGTERM, then SIGKILL after `grace` s); its log's last lines."""
    if running.process is None:
        subprocess.run([running.engine, "logs", running.handle], check=False,
                       stdout=running.log.open("wb") if running.log else None,
                       stderr=subprocess.STDOUT)  # fmt: skip
        subprocess.run([running.engine, "rm", "--force", running.handle],
                       capture_output=True, check=False)  # fmt: skip
    else:
        group = os.getpgid(running.process.pid)
        os.killpg(group, signal.SIGTERM)
        try:
            running.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            running.process.wait()
        subprocess.run(["buildah", "rm", running.handle], capture_output=True, check=False)
    if running.log is None or not running.log.exists():
        return ""
    return "\n".join(running.log.read_text(errors="replace").splitlines()[-20:])


def labels(engine: str, image: str) -> dict[str, str]:
    """The image's labels."""
    import json

    tool = "podman" if engine == "buildah" else engine
    out = _run([tool, "image", "inspect", image], f"{tool} image inspect {image}")
    data = json.loads(out)
    first = data[0] if isinstance(data, list) else data
    config = first.get("Config") or {}
    found = config.get("Labels") or first.get("Labels") or {}
    return {str(k): str(v) for k, v in found.items()}
