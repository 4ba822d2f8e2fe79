"""Stable hashing of row ids.

Python's hash() is salted per process and pandas' hash_pandas_object is not a
documented-stable format, so both are unfit for decisions that must never change
between runs, machines or library versions (the split, the simulated months).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

_SCALE = float(2**64)


def unit_interval(values: Iterable[object], salt: str) -> np.ndarray:
    """Map each value to a fixed pseudo-random number in [0, 1) via BLAKE2b."""
    prefix = f"{salt}:".encode()
    out = [
        int.from_bytes(hashlib.blake2b(prefix + str(v).encode(), digest_size=8).digest(), "big")
        / _SCALE
        for v in values
    ]
    return np.asarray(out, dtype=np.float64)
