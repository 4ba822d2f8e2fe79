"""Stable hashing of row ids: fixed values in [0, 1), the same in every process."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from mlops.core.hashing import unit_interval


def test_values_are_fixed_forever():
    """The train/test split depends on these numbers: a change would move rows between
    train and test. Reference values: BLAKE2b-64 of "<salt>:<value>" / 2**64."""
    got = unit_interval([0, 1, "a"], "adult-split-v1")
    assert got.tolist() == pytest.approx(
        [0.7855830078466487, 0.9109116704855762, 0.6908511113888763], abs=0, rel=0
    )
    assert got.dtype == np.float64


def test_the_same_in_another_process_with_another_hash_seed():
    code = (
        "from mlops.core.hashing import unit_interval;"
        "print(repr(unit_interval(range(5), 's').tolist()))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == repr(unit_interval(range(5), "s").tolist())


def test_in_the_unit_interval_and_spread_evenly():
    values = unit_interval(range(20_000), "salt")
    assert values.shape == (20_000,)
    assert ((values >= 0) & (values < 1)).all()
    # Uniform: each tenth holds ~2,000 ids (binomial sd ~42; 6 sd of slack).
    counts = np.histogram(values, bins=10, range=(0, 1))[0]
    assert (abs(counts - 2000) < 250).all()


def test_the_salt_changes_every_value_and_order_does_not_matter():
    ids = list(range(100))
    a, b = unit_interval(ids, "one"), unit_interval(ids, "two")
    assert (a != b).all()
    assert unit_interval(ids[::-1], "one").tolist() == a[::-1].tolist()
    assert unit_interval([], "one").shape == (0,)
