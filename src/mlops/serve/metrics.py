"""The service's Prometheus metrics (prometheus-client), one registry per app.

Names and labels are what deploy/prometheus/alerts.yml and the Grafana dashboard query:
keep them in step.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector

from mlops.serve.schema import RowStats

# Seconds; single rows take ~5 ms here, batches of 1,000 ~100 ms.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SCORE_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 11))


class BatchHistogram(Collector):
    """A histogram observed a whole batch at a time: prometheus-client's Histogram takes
    one value per call, which cost ~4 us a row (as much as the model's own work on a
    batch of 1,000, measured here); numpy counts a batch in microseconds. Exposed in
    Prometheus' histogram format (`_bucket{le}`, `_sum`, `_count`)."""

    def __init__(self, name: str, documentation: str, buckets: Sequence[float]) -> None:
        self.name, self.documentation = name, documentation
        self.bounds = np.asarray(buckets, dtype=np.float64)
        self._counts = np.zeros(len(self.bounds) + 1, dtype=np.int64)  # the last: +Inf
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe_all(self, values: np.ndarray) -> None:
        # searchsorted "left": the first bucket whose upper bound `le` is >= the value
        counts = np.bincount(
            np.searchsorted(self.bounds, values, side="left"), minlength=len(self._counts)
        )
        with self._lock:
            self._counts += counts
            self._sum += float(values.sum())

    def collect(self) -> Iterator[HistogramMetricFamily]:
        with self._lock:
            cumulative = np.cumsum(self._counts).tolist()
            total = self._sum
        bounds = [*(repr(float(b)) for b in self.bounds), "+Inf"]
        family = HistogramMetricFamily(self.name, self.documentation)
        family.add_metric([], list(zip(bounds, cumulative, strict=True)), total)
        yield family

    def describe(self) -> Iterator[HistogramMetricFamily]:
        yield HistogramMetricFamily(self.name, self.documentation)


class ServeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "mlops_requests", "HTTP requests by route, method and status code",
            ["route", "method", "status"], registry=r,
        )  # fmt: skip
        self.latency = Histogram(
            "mlops_request_duration_seconds", "Time from request to response, by route",
            ["route"], buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.in_flight = Gauge(
            "mlops_predict_in_flight", "POST /predict requests being scored now", registry=r
        )
        self.rows = Counter("mlops_rows_scored", "Rows scored by the model", registry=r)
        self.scores = BatchHistogram(
            "mlops_prediction_score",
            "Scores (P(positive label)) of the rows scored",
            SCORE_BUCKETS,
        )
        r.register(self.scores)
        self.labels = Counter(
            "mlops_predicted_label", "Rows scored, by predicted label", ["label"], registry=r
        )
        self.missing = Counter(
            "mlops_feature_missing", "Scored rows with the feature missing (null)",
            ["feature"], registry=r,
        )  # fmt: skip
        self.unseen = Counter(
            "mlops_feature_unseen_category",
            "Scored rows whose category the data schema does not list",
            ["feature"], registry=r,
        )  # fmt: skip
        self.model_info = Gauge(
            "mlops_model_info", "The model being served (value 1), by version",
            ["version", "commit", "data_hash", "model_md5"], registry=r,
        )  # fmt: skip
        self.ready = Gauge("mlops_model_ready", "1 when the model answered its warm-up", registry=r)
        self.log_errors = Counter(
            "mlops_prediction_log_errors",
            "Requests whose rows the prediction log lost (write failed, or its queue was full)",
            registry=r,
        )

    def features(self, columns: Sequence[str]) -> None:
        """Every feature's series exists from the start (0), so rates work from the first scrape."""
        for name in columns:
            self.missing.labels(feature=name)
            self.unseen.labels(feature=name)

    def scored(self, scores: np.ndarray, labels: np.ndarray, stats: RowStats) -> None:
        self.rows.inc(len(scores))
        self.scores.observe_all(scores)
        positives = int(labels.sum())
        self.labels.labels(label="1").inc(positives)
        self.labels.labels(label="0").inc(len(labels) - positives)
        for name, count in stats.missing.items():
            if count:
                self.missing.labels(feature=name).inc(count)
        for name, count in stats.unseen.items():
            if count:
                self.unseen.labels(feature=name).inc(count)
