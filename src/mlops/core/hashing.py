"""Stable hashing of row ids.

Python's hash() is salted per process and pandas' hash_pandas_object is not a
documented-stable format, so both are unfit for decisions that must never change
between runs, machines or library versions (the split, the simulated months).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

from mlops.core.progress import progress

_SCALE = float(2**64)
_CHUNK = 1 << 20


def unit_interval(values: Iterable[object], salt: str, what: str = "hashing") -> np.ndarray:
    """Map each value to a fixed pseudo-random number in [0, 1) via BLAKE2b.

    The value hashed is `salt:` + str(value): integer ids are turned into Python ints
    first (same digits, but str() of a NumPy scalar costs twice as much), which is the
    whole loop's cost at ten million ids (about 1 µs each here)."""
    prefix = f"{salt}:".encode()
    blake2b = hashlib.blake2b
    if isinstance(values, np.ndarray) or hasattr(values, "to_numpy"):
        array = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
        items: list[object] = array.tolist() if array.dtype.kind in "iub" else list(array)
    else:
        items = list(values)
    digests = np.empty(len(items), dtype=">u8")
    with progress(what, len(items)) as bar:
        for start in range(0, len(items), _CHUNK):
            chunk = items[start : start + _CHUNK]
            raw = b"".join(
                [blake2b(prefix + str(v).encode(), digest_size=8).digest() for v in chunk]
            )
            digests[start : start + len(chunk)] = np.frombuffer(raw, dtype=">u8")
            bar.update(len(chunk))
    # uint64 -> float64 rounds to nearest, as int / float did: the same numbers as before.
    return digests.astype(np.uint64) / _SCALE
