from __future__ import annotations

import numpy as np
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from mlops.serve.metrics import SCORE_BUCKETS, BatchHistogram


def samples(registry: CollectorRegistry) -> list[str]:
    text = generate_latest(registry).decode()
    return sorted(line for line in text.splitlines() if line and not line.startswith("#")
                  and "_created" not in line)  # fmt: skip


def test_a_batch_histogram_exposes_what_prometheus_clients_histogram_would() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.random(997), [0.0, 0.1, 1.0]])  # bucket edges included
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    batch = BatchHistogram("score", "doc", SCORE_BUCKETS)
    ours.register(batch)
    reference = Histogram("score", "doc", buckets=SCORE_BUCKETS, registry=theirs)
    for chunk in np.array_split(values, 7):
        batch.observe_all(chunk)
        for v in chunk.tolist():
            reference.observe(v)
    mine, expected = samples(ours), samples(theirs)
    assert [s.rsplit(" ", 1)[0] for s in mine] == [s.rsplit(" ", 1)[0] for s in expected]
    for a, b in zip(mine, expected, strict=True):
        assert (
            float(a.rsplit(" ", 1)[1]) == float(b.rsplit(" ", 1)[1])
            or abs(float(a.rsplit(" ", 1)[1]) - float(b.rsplit(" ", 1)[1])) < 1e-9
        ), (a, b)
