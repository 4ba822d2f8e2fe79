"""The monitor's reference, built from the session's default model and splits (the same
thing `mlops monitor` obtains from git and DVC for the prod model, without git or DVC)."""

from __future__ import annotations

import pytest

from mlops.data.prepare import read_split
from mlops.monitor.reference import Reference
from mlops.registry.versions import Champion


@pytest.fixture(scope="session")
def reference(params, splits, fitted) -> Reference:
    """The default model (trained on the snapshot: months up to 2025-06) and its rows."""
    champion = Champion("0" * 40, "fixture", "rev")
    return Reference(champion, fitted[0], read_split(splits[0]), read_split(splits[1]), params.data)
