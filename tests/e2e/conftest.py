"""One `mlops serve` process per test session (per xdist worker), shared by the HTTP tests:
skew, the malformed corpus, schemathesis and the Prometheus scrape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.serving import Server, start_server


@pytest.fixture(scope="session")
def served(pipeline_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(pipeline_repo, tmp_path_factory.mktemp("served"))
    ready = server.client().wait_ready(60)
    assert ready.status == 200, server.text()
    yield server
    assert server.stop() == 0, server.text()
