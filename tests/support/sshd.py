"""A real OpenSSH server on 127.0.0.1, started by the tests, as a DVC remote (dvc-ssh).

Keys, config, known_hosts and the remote folder live in a temporary folder. The client
side (DVC, through asyncssh) verifies the host key against a known_hosts file in a
temporary HOME, as a real deployment would. `read_only=True` serves SFTP read-only
(`internal-sftp -R`): a remote that refuses writes, even to root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
HOW = "install OpenSSH's server (Debian/Ubuntu: `sudo apt-get install openssh-server`)"


def require_sshd() -> str:
    """sshd, or skip the test (fail it under CI=true) with how to get it."""
    import pytest

    if not Path(SSHD).exists() or not shutil.which("ssh-keygen"):
        reason = f"needs OpenSSH's sshd and ssh-keygen: {HOW}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    return SSHD


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SshServer:
    folder: Path
    port: int = field(default_factory=free_port)
    read_only: bool = False
    process: subprocess.Popen[bytes] | None = None

    @property
    def storage(self) -> Path:
        return self.folder / "storage"

    @property
    def url(self) -> str:
        return f"ssh://127.0.0.1:{self.port}{self.storage}"

    @property
    def keyfile(self) -> Path:
        return self.folder / "client"

    @property
    def home(self) -> Path:
        """A HOME whose ~/.ssh/known_hosts pins this server's host key."""
        return self.folder / "home"

    def prepare(self) -> SshServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.storage.mkdir(exist_ok=True)
        for name in ("host", "client"):
            if not (self.folder / name).exists():
                subprocess.run(
                    ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.folder / name)],
                    check=True,
                )
        (self.folder / "authorized_keys").write_text((self.folder / "client.pub").read_text())
        host_key = (self.folder / "host.pub").read_text().split()
        (self.home / ".ssh").mkdir(parents=True, exist_ok=True)
        (self.home / ".ssh" / "known_hosts").write_text(
            f"[127.0.0.1]:{self.port} {host_key[0]} {host_key[1]}\n"
        )
        sftp = "internal-sftp -R" if self.read_only else "internal-sftp"
        (self.folder / "sshd_config").write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.folder / 'host'}",
                    f"AuthorizedKeysFile {self.folder / 'authorized_keys'}",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "StrictModes no",
                    "UsePAM no",
                    "PermitRootLogin prohibit-password",
                    f"PidFile {self.folder / 'sshd.pid'}",
                    "MaxSessions 64",
                    "MaxStartups 64",
                    f"Subsystem sftp {sftp}",
                    "",
                ]
            )
        )
        return self

    def start(self) -> SshServer:
        require_sshd()
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation dir
        log = (self.folder / "sshd.log").open("ab")
        # Its own process group: stop() kills the server and every session it forked,
        # as a crash or a killed machine would.
        self.process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self.folder / "sshd_config")],
            stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"sshd did not start: {(self.folder / 'sshd.log').read_text()}")

    def kill(self) -> None:
        """SIGKILL the server and every session it forked at once: no clean shutdown.
        (OpenSSH puts each session in a session of its own, so a process group is not
        enough: the descendants are found through /proc.)"""
        if self.process is not None and self.process.poll() is None:
            for pid in [self.process.pid, *_descendants(self.process.pid)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def configure(self, repo: Path, run: object, name: str = "storage") -> None:
        """Make this server the repository's default DVC remote (key in config.local)."""
        assert callable(run)
        run(["dvc", "remote", "add", "-f", "-d", name, self.url], repo)
        run(["dvc", "remote", "modify", "--local", name, "keyfile", str(self.keyfile)], repo)
