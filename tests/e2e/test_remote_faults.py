"""Faults of the data remote, on a REAL SSH remote (OpenSSH's sshd on 127.0.0.1, dvc-ssh):
a server killed in the middle of `dvc push`, two pushes at once, a remote that refuses
writes, and an unreachable remote during `mlops get-data`.

What must hold: nothing corrupt is ever stored under an object's final name (DVC's
remote is content-addressed: a file's name is its md5), a rerun completes what was
cut, a fresh clone pulls data whose hashes match, and the local cache is never harmed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from support.repos import copy_repo, git, run, tool_env
from support.sshd import SshServer


@pytest.fixture
def server(tmp_path: Path):
    ssh = SshServer(tmp_path / "ssh").prepare().start()
    yield ssh
    ssh.kill()


def env_for(repo: Path, ssh: SshServer) -> dict[str, str]:
    env = tool_env(repo)
    env["HOME"] = str(ssh.home)  # its ~/.ssh/known_hosts pins the server's host key
    return env


def dvc(repo: Path, ssh: SshServer, *args: str, check: bool = True):
    return run(["dvc", *args], repo, env=env_for(repo, ssh), check=check)


def background(command: list[str], repo: Path, ssh: SshServer) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command, cwd=repo, env=env_for(repo, ssh),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def add_bulk(repo: Path, name: str, files: int, seed: int) -> dict[str, str]:
    """A tracked folder of many small files (so a push takes long enough to cut);
    returns relpath -> md5."""
    rng = np.random.default_rng(seed)
    folder = repo / name
    folder.mkdir()
    digests = {}
    for i in range(files):
        data = rng.bytes(4096)
        (folder / f"part-{i:05d}.bin").write_bytes(data)
        digests[f"part-{i:05d}.bin"] = hashlib.md5(data, usedforsecurity=False).hexdigest()
    run(["dvc", "add", name], repo)
    git(repo, "add", f"{name}.dvc", ".gitignore")
    git(repo, "commit", "-q", "-m", f"track {name}")
    return digests


def stored(storage: Path) -> dict[Path, bool]:
    """Every object under its final name in the remote -> does its content hash to it?"""
    out = {}
    for path in (storage / "files" / "md5").glob("*/*"):
        if not path.is_file() or "." in path.name.removesuffix(".dir"):
            continue  # an upload's temporary file, never read as an object
        oid = path.parent.name + path.name.removesuffix(".dir")
        out[path] = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() == oid
    return out


def cache_digest(repo: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((repo / ".dvc" / "cache").rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(repo)).encode() + path.read_bytes())
    return digest.hexdigest()


def clone_and_pull(repo: Path, ssh: SshServer, dest: Path, *targets: str) -> Path:
    """A fresh clone that pulls the targets' data (DVC checks each file's hash)."""
    run(["git", "clone", "-q", str(repo), str(dest)], repo.parent)
    run(["dvc", "remote", "modify", "--local", "storage", "keyfile", str(ssh.keyfile)], dest)
    dvc(dest, ssh, "pull", *targets)
    assert "up to date" in dvc(dest, ssh, "status", *targets).stdout
    return dest


def wait_for_objects(storage: Path, at_least: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if len(stored(storage)) >= at_least:
            return
        time.sleep(0.02)
    raise AssertionError(f"push ended or stalled before {at_least} objects were stored")


def test_a_push_killed_midway_resumes_and_a_fresh_clone_pulls_sound_data(
    pipeline_copy: Path, server: SshServer, tmp_path: Path
) -> None:
    repo = pipeline_copy
    expected = add_bulk(repo, "bulk", files=600, seed=1)
    server.configure(repo, run)
    git(repo, "commit", "-q", "-am", "ssh remote")
    push = background(["dvc", "push", "--jobs", "2"], repo, server)
    wait_for_objects(server.storage, 60, push)
    server.kill()  # mid-push: connections drop, no clean shutdown
    output, _ = push.communicate(timeout=300)
    assert push.returncode != 0, output
    cut = stored(server.storage)
    assert all(cut.values()), "a corrupt object under its final name"
    assert len(cut) < len(expected), "the push was not interrupted"

    server.start()  # the same server back (same port, keys, storage)
    dvc(repo, server, "push", "--jobs", "2")
    assert all(stored(server.storage).values())

    fresh = clone_and_pull(repo, server, tmp_path / "fresh", "bulk.dvc", "data.dvc")
    for name, md5 in expected.items():
        got = hashlib.md5((fresh / "bulk" / name).read_bytes(), usedforsecurity=False)
        assert got.hexdigest() == md5, name
    assert (fresh / "data" / "snapshot.csv").read_bytes() == (
        repo / "data" / "snapshot.csv"
    ).read_bytes()


def test_two_pushes_at_once_store_sound_objects_both_clones_can_pull(
    pipeline_copy: Path, server: SshServer, tmp_path: Path
) -> None:
    server.configure(pipeline_copy, run)
    git(pipeline_copy, "commit", "-q", "-am", "ssh remote")
    first = pipeline_copy
    second = copy_repo(first, tmp_path / "second")
    add_bulk(first, "bulk_a", files=150, seed=2)
    add_bulk(second, "bulk_b", files=150, seed=3)
    pushes = [background(["dvc", "push", "--jobs", "4"], repo, server) for repo in (first, second)]
    outputs = [p.communicate(timeout=300)[0] for p in pushes]
    assert [p.returncode for p in pushes] == [0, 0], outputs
    objects = stored(server.storage)
    assert all(objects.values())
    # Each clone's data, the shared snapshot included, comes back from the remote.
    clone_and_pull(first, server, tmp_path / "pull_a", "bulk_a.dvc", "data.dvc")
    clone_and_pull(second, server, tmp_path / "pull_b", "bulk_b.dvc")


def test_a_remote_that_refuses_writes_fails_clearly_and_keeps_the_local_cache(
    pipeline_copy: Path, tmp_path: Path
) -> None:
    read_only = SshServer(tmp_path / "ro", read_only=True).prepare().start()
    try:
        repo = pipeline_copy
        read_only.configure(repo, run)
        before = cache_digest(repo)
        assert dvc(repo, read_only, "push", check=False).returncode != 0
        result = run(["mlops", "push"], repo, env=env_for(repo, read_only), check=False)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith(
            f"mlops push: error: DVC remote 'storage' ({read_only.url}): push failed: "
        ), result.stderr
        assert "Permission denied" in result.stderr
        assert cache_digest(repo) == before
        assert stored(read_only.storage) == {}
        assert "up to date" in dvc(repo, read_only, "status").stdout  # workspace intact
    finally:
        read_only.kill()


def test_get_data_falls_back_to_a_rebuild_when_the_remote_is_unreachable(
    pipeline_copy: Path, tmp_path: Path
) -> None:
    down = SshServer(tmp_path / "down").prepare()  # configured, never started
    repo = pipeline_copy
    down.configure(repo, run)
    recorded = (repo / "data.dvc").read_bytes()
    shutil.rmtree(repo / "data")
    shutil.rmtree(repo / ".dvc" / "cache")
    result = run(["mlops", "get-data"], repo, env=env_for(repo, down))
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "data: rebuilt from ingest.sources (matches data.dvc)"
    assert "DVC remote 'storage' could not be read" in result.stderr
    assert (repo / "data.dvc").read_bytes() == recorded
