"""Progress of long steps: rows done, rate and time left on a terminal; silence in CI logs.

A stage already prints one line when it ends (`validate: 48842 rows pass ...`), so in a
log (stderr not a terminal, or `CI=true` as GitHub Actions sets it) a progress bar would
only add noise: it stays quiet and the stage's own line is its one line. On a terminal
a bar (tqdm) shows rows done, rows per second and the time left, redrawn in place at
most a few times a second, so a ten-million-row run is not a silent wait.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Progress(Protocol):
    def update(self, n: int = 1) -> object: ...


class _Silent:
    def update(self, n: int = 1) -> None:
        """Nothing to draw: a CI log or a pipe."""


def interactive() -> bool:
    """True on a terminal that is not a CI job: where a live progress bar helps."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return False
    return sys.stderr.isatty()


# Below this many rows a step takes well under a second: no bar even on a terminal.
MIN_ROWS = 200_000


@contextmanager
def progress(what: str, total: int, unit: str = "rows") -> Iterator[Progress]:
    """A progress bar for `total` units of work, or a silent stand-in where none helps."""
    if not interactive() or total < MIN_ROWS:
        yield _Silent()
        return
    from tqdm import tqdm  # type: ignore[import-untyped]

    bar = tqdm(
        total=total, desc=what, unit=f" {unit}", unit_scale=True, leave=False,
        mininterval=0.25, file=sys.stderr, dynamic_ncols=True,
    )  # fmt: skip
    try:
        yield bar
    finally:
        bar.close()
