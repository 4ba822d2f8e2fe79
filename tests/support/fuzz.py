"""Property-based fuzzing of the `mlops` command's inputs (Hypothesis), in this process.

`invoke` runs `mlops.cli.main` in-process (fast, and measured by coverage); an exception
escaping it is the traceback a user would see, so it fails the test as it is. The
property every fuzzed input must keep (`assert_clean`): exit 0, or exit 2 with exactly
one line on stderr, `mlops <command>: error: ...`.

Settings: the `mlops` profile (tests/conftest.py) keeps Hypothesis' example database out
of the repository (none at all: each run starts fresh from the seeded examples below and
random ones) and has no deadline (this machine is shared and noisy).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

PROFILE = "mlops"
settings.register_profile(
    PROFILE,
    database=None,
    deadline=None,
    print_blob=True,  # a failure prints the line that reproduces it (@reproduce_failure)
    # The tests reset their files themselves between examples, so fixtures shared by the
    # examples (a folder, capsys) are fine.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def examples(count: int) -> settings:
    """The profile with `count` examples (small: every one runs real code), times
    FUZZ_SCALE from the environment: `FUZZ_SCALE=50 pytest tests/unit/cli/test_fuzz.py`
    searches harder when hunting."""
    scale = int(os.environ.get("FUZZ_SCALE", "1"))
    return settings(settings.get_profile(PROFILE), max_examples=count * scale)


def invoke(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`mlops <argv>` in this process: (exit code, stdout, stderr). OMP_NUM_THREADS is
    restored: main() sets it from params (fuzzed), and later subprocesses inherit it."""
    from mlops.cli import main

    threads = os.environ.get("OMP_NUM_THREADS")
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    finally:
        if threads is not None:
            os.environ["OMP_NUM_THREADS"] = threads
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean(command: str, code: int, err: str, allowed: Iterable[int] = (0,)) -> None:
    """Success (or another allowed code), or one line naming the error and exit 2."""
    if code in allowed:
        return
    assert code == 2, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"mlops {command}: error: "), lines[0]


def digests(root: Path, names: Iterable[str]) -> dict[str, str | None]:
    """sha256 of each file (None if absent): outputs that a failure must leave alone."""
    found: dict[str, str | None] = {}
    for name in names:
        path = root / name
        found[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    return found


# --- values a user could type into params.yaml ---------------------------------------

EDGE_INTS = [0, 1, -1, 2, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**63, 2**64, 10**30]
EDGE_FLOATS = [0.0, -0.0, 1e-308, 1e308, 0.5, 1.0, -1.0, float("nan"), float("inf"), -float("inf")]
EDGE_TEXT = ["", " ", "null", "nan", "1e400", "0x10", "v1.0.0", "2025-13", "é", "a\nb", "../x"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(EDGE_INTS),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(EDGE_FLOATS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(EDGE_TEXT),
    st.text(max_size=12),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=6), scalars, max_size=2),
)


def leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in a parsed YAML document (mappings and lists)."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += leaves(value, (*path, index))
    return found


def replaced(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of node with the value at path replaced."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {k: replaced(v, rest, value) if k == head else v for k, v in node.items()}
    return [replaced(v, rest, value) if i == head else v for i, v in enumerate(node)]


@st.composite
def mutated(draw: st.DrawFn, document: dict[str, Any], under: Iterable[str] = ()) -> Any:
    """`document` with one value replaced (or a key added or removed), under one of the
    top-level sections `under` (any section if empty): what a typo or a bad edit does."""
    sections = tuple(under)
    paths = [p for p in leaves(document) if not sections or p[0] in sections]
    path = draw(st.sampled_from(paths))
    action = draw(st.sampled_from(["replace", "replace", "replace", "remove", "add"]))
    if action == "replace":
        return replaced(document, path, draw(values))
    parent_path, key = path[:-1], path[-1]
    parent = document
    for part in parent_path:
        parent = parent[part]
    if not isinstance(parent, dict):
        return replaced(document, path, draw(values))
    if action == "remove":
        return replaced(document, parent_path, {k: v for k, v in parent.items() if k != key})
    extra = draw(st.text(min_size=1, max_size=8))
    return replaced(document, parent_path, {**parent, extra: draw(values)})
