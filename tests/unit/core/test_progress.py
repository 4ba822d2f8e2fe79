"""Progress bars: on a terminal only, never in CI logs."""

from __future__ import annotations

import io
import sys

from mlops.core import progress as progress_module
from mlops.core.progress import interactive, progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_ci_and_pipes_get_no_bar(monkeypatch):
    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setenv("CI", "true")
    assert not interactive()
    with progress("validate", 10_000_000) as bar:
        bar.update(10_000_000)
    assert sys.stderr.getvalue() == ""
    monkeypatch.delenv("CI")
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe or a file
    assert not interactive()


def test_a_terminal_sees_rows_rate_and_time_left(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(progress_module, "MIN_ROWS", 10)
    with progress("validate", 1_000) as bar:
        bar.update(500)
        bar.update(500)
    shown = terminal.getvalue()
    # tqdm: "validate:  50%|...| 500/1.00k [00:01<00:01, 480 rows/s]": done, time left, rate
    for part in ("validate", "/1.00k", "<", "rows/s"):
        assert part in shown
