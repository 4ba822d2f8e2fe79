"""Serving benchmark (`make bench-serve`): latency and throughput of `mlops serve` over HTTP
on loopback, against the same scoring done in-process, on the same rows.

A second process (`mlops serve`, the workspace model) answers; this process is the
client. Bounded: a fixed number of requests per scenario. Run `make run` first.
Prints, for single rows and batches of 100 and 1,000: p50/p99 latency and rows/s over
HTTP, the same for the model's `predict_proba` on the same frames in this process, and
their ratio (the serving overhead: parsing, validation, the frame, metrics, the
prediction log, HTTP).
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")  # as the service runs (threads: 1)

from mlops.data.prepare import read_split
from mlops.serve.client import Client, records
from mlops.train.model_io import load_model

SCENARIOS = [("single row", 1, 300), ("batch of 100", 100, 60), ("batch of 1,000", 1000, 25)]
CONCURRENT_CLIENTS, CONCURRENT_REQUESTS = 4, 100


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(port: int, log: Path) -> subprocess.Popen[bytes]:
    predictions = Path(tempfile.mkdtemp(prefix="bench-serve-")) / "predictions"
    params = Path(predictions.parent) / "params.yaml"
    text = Path("params.yaml").read_text()
    params.write_text(text.replace("predictions: logs/predictions", f"predictions: {predictions}"))
    out = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "mlops.cli", "--params", str(params), "serve", "--port", str(port)],
        stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip


def percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = np.asarray(seconds) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def main() -> None:
    test = read_split("build/test.csv")
    model = load_model("models/model.skops")
    columns = [str(c) for c in model.feature_names_in_]
    rows = records(test, columns)
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="bench-serve-")) / "serve.log"
    server = start(port, log)
    client = Client("127.0.0.1", port)
    try:
        ready = client.wait_ready(120)
        assert ready.status == 200, log.read_text()
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}; server pid {server.pid} port {port}")  # fmt: skip
        header = (f"{'scenario':<16}{'HTTP p50':>10}{'p99':>9}{'rows/s':>10}"
                  f"{'in-proc p50':>13}{'p99':>9}{'rows/s':>10}{'p50 ratio':>11}")  # fmt: skip
        print(header + "\n" + "-" * len(header))
        for name, size, count in SCENARIOS:
            batches = [rows[(i * size) % len(rows) :][:size] for i in range(count)]
            frames = [test[columns].iloc[(i * size) % len(rows) :][:size] for i in range(count)]
            for batch in batches[:3]:  # warm up both paths
                client.predict(batch if size > 1 else batch[0])
            http, local = [], []
            for batch, frame in zip(batches, frames, strict=True):
                answer = client.predict(batch if size > 1 else batch[0])
                assert answer.status == 200, answer.body
                http.append(answer.seconds)
                start_ = time.perf_counter()
                model.predict_proba(frame)
                local.append(time.perf_counter() - start_)
            (h50, h99), (l50, l99) = percentiles(http), percentiles(local)
            served = f"{h50:>8.1f}ms{h99:>7.1f}ms{size * 1000 / h50:>10.0f}"
            local_ = f"{l50:>11.1f}ms{l99:>7.1f}ms{size * 1000 / l50:>10.0f}"
            print(f"{name:<16}{served}{local_}{h50 / l50:>10.2f}x")
        concurrent(port, rows)
    finally:
        client.close()
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def concurrent(port: int, rows: list[dict]) -> None:
    """CONCURRENT_CLIENTS clients sending single rows at once: throughput, and how many
    were turned away with 503 (serve.max_in_flight)."""
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(offset: int) -> None:
        client = Client("127.0.0.1", port)
        for i in range(CONCURRENT_REQUESTS):
            status = client.predict(rows[(offset + i) % len(rows)]).status
            with lock:
                statuses.append(status)
        client.close()

    threads = [threading.Thread(target=worker, args=(i * 1000,)) for i in range(CONCURRENT_CLIENTS)]
    start_ = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start_
    ok = statuses.count(200)
    print(f"{CONCURRENT_CLIENTS} concurrent clients, single rows: {ok / elapsed:.0f} answered/s, "
          f"{statuses.count(503)} of {len(statuses)} turned away with 503")  # fmt: skip


if __name__ == "__main__":
    main()
