"""`mlops serve` as a real process on loopback, for the end-to-end tests."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mlops.serve.client import Client
from support.repos import tool_env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    params: Path
    predictions: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> Client:
        return Client("127.0.0.1", self.port)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)


def start_server(repo: Path, scratch: Path, model: str = "workspace", **serve: object) -> Server:
    """Serve `model` from `repo` on a free port; params.yaml copied to `scratch` with the
    prediction log there and `serve:` keys overridden."""
    scratch.mkdir(parents=True, exist_ok=True)
    predictions = scratch / "predictions"
    text = (repo / "params.yaml").read_text()
    text = re.sub(r"(?m)^(\s+predictions:) \S+", rf"\1 {predictions}", text)
    for key, value in serve.items():
        text, n = re.subn(rf"(?m)^(  {key}:) \S+", rf"\g<1> {value}", text)
        assert n == 1, key
    params = scratch / "params.yaml"
    params.write_text(text)
    port = free_port()
    log = scratch / "serve.log"
    env = tool_env(repo)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "mlops.cli", "--params", str(params), "serve",
             "--model", model, "--port", str(port)],
            cwd=repo, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = Server(process, port, log, params, predictions)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"mlops serve exited {process.returncode}:\n{server.text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise AssertionError(f"mlops serve did not listen in 90 s:\n{server.text()}")
