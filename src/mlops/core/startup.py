"""The `mlops` program's start and end, without the cyclic garbage collector walking
what lives as long as the process.

pandas, scikit-learn, skops and pydantic create a few hundred thousand objects at
import, and none of them is ever garbage. With the collector on, it walks them over and
over while they are created, again in each full collection during the command's work,
and once more at exit (Python collects at shutdown, whatever gc.disable says), though
the operating system then frees everything anyway. So the program turns the collector
off while a command imports, then freezes (gc.freeze) everything alive: never walked
again, not even at exit. The command's own garbage is collected as usual.

Measured on the default data, each stage alone, medians of 7 interleaved, 2-core x86_64:
validate 0.74 -> 0.57 s, prepare 0.70 -> 0.57 s, featurize 0.50 -> 0.40 s, train
2.38 -> 1.92 s, evaluate 2.95 -> 2.50 s (7.27 -> 5.96 s in all), the same peak memory.
Freezing at exit alone gave about two thirds of that; turning the collector off while
importing without freezing after gave nothing (the next collection walked it all);
off for the whole command, nothing more.

Only the program does this (cli.console). `main`, which tests and other Python code
call in a process that goes on, leaves their collector as it is.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_program = False  # set while cli.console runs the process's one command


@contextmanager
def program() -> Iterator[None]:
    """Around the `mlops` program's one command: what is alive when it ends is frozen,
    so the collection at exit skips it."""
    global _program
    _program = True
    try:
        yield
    finally:
        _program = False
        gc.freeze()


@contextmanager
def importing() -> Iterator[None]:
    """Around a command's imports: in the program, the collector off while they run,
    then everything alive frozen. Elsewhere, nothing."""
    if not _program or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
