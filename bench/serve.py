"""Serving benchmark (`make bench-serve`): latency and throughput of `mlops serve` over HTTP
on loopback, against the same scoring done in-process, on the same rows.

Two more processes (`mlops serve`, the workspace model) answer: one as configured (online
drift tracking on), one with `monitor.online.enabled: false`; this process is the client
and sends each batch to both in turn, so both see the same rows under the same machine
load, then, 20 ms later (SETTLE: once the servers' after-answer work is done), times
`predict_proba` on it. Bounded: a fixed number of requests per scenario. Run `make run`
first.
Prints, for single rows and batches of 100 and 1,000: p50/p99 latency and rows/s over
HTTP with tracking, p50 without it and the ratio of the two (what drift tracking costs a
request, the feed thread's work after the answer included), the model's `predict_proba`
on the same frames in this process, and the serving overhead (HTTP with tracking over
in-process: parsing, validation, the frame, metrics, handing the rows to the prediction
log and the drift feed, HTTP; those two threads write and count after the answer, on
the same machine).
Then the online drift's own work in this process: what a request pays for it (handing
the batch to the drift feed), what the feed's thread does after the answer (binning the
batch into the window), and the PSI a /metrics scrape computes.
"""

from __future__ import annotations

import os
import platform
import re
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
# Before timing predict_proba here: the servers write the prediction log and count drift
# on their own threads after they answer; on 2 cores that work would otherwise overlap
# (and slow) the in-process timing that follows their answers.
SETTLE = 0.02


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(port: int, log: Path, drift: bool) -> subprocess.Popen[bytes]:
    predictions = Path(tempfile.mkdtemp(prefix="bench-serve-")) / "predictions"
    params = Path(predictions.parent) / "params.yaml"
    text = Path("params.yaml").read_text()
    text = text.replace("predictions: logs/predictions", f"predictions: {predictions}")
    if not drift:
        text, n = re.subn(r"(?m)^(    enabled:) true\b", r"\1 false", text)
        assert n == 1, "monitor.online.enabled not found in params.yaml"
    params.write_text(text)
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
    folder = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    ports = {True: free_port(), False: free_port()}  # drift tracking on, off
    servers = {on: start(port, folder / f"serve-{on}.log", on) for on, port in ports.items()}
    clients = {on: Client("127.0.0.1", port) for on, port in ports.items()}
    try:
        for on, client in clients.items():
            ready = client.wait_ready(120)
            assert ready.status == 200, (folder / f"serve-{on}.log").read_text()
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}; drift tracking on: pid {servers[True].pid}, "
              f"off: pid {servers[False].pid}")  # fmt: skip
        header = (f"{'scenario':<16}{'HTTP p50':>10}{'p99':>9}{'rows/s':>10}{'off p50':>10}"
                  f"{'on/off':>8}{'in-proc p50':>13}{'p99':>9}{'overhead':>10}")  # fmt: skip
        print(header + "\n" + "-" * len(header))
        for name, size, count in SCENARIOS:
            batches = [rows[(i * size) % len(rows) :][:size] for i in range(count)]
            frames = [test[columns].iloc[(i * size) % len(rows) :][:size] for i in range(count)]
            for batch in batches[:3]:  # warm up every path
                for client in clients.values():
                    client.predict(batch if size > 1 else batch[0])
            http: dict[bool, list[float]] = {True: [], False: []}
            local = []
            for i, (batch, frame) in enumerate(zip(batches, frames, strict=True)):
                # alternate which server goes first: neither always follows the other's work
                for on in (True, False) if i % 2 == 0 else (False, True):
                    answer = clients[on].predict(batch if size > 1 else batch[0])
                    assert answer.status == 200, answer.body
                    http[on].append(answer.seconds)
                time.sleep(SETTLE)
                start_ = time.perf_counter()
                model.predict_proba(frame)
                local.append(time.perf_counter() - start_)
            (h50, h99), (o50, _), (l50, l99) = (
                percentiles(http[True]),
                percentiles(http[False]),
                percentiles(local),
            )
            served = f"{h50:>8.1f}ms{h99:>7.1f}ms{size * 1000 / h50:>10.0f}"
            off = f"{o50:>8.1f}ms{h50 / o50:>7.2f}x"
            local_ = f"{l50:>11.1f}ms{l99:>7.1f}ms"
            print(f"{name:<16}{served}{off}{local_}{h50 / l50:>9.2f}x")
        for on, port in ports.items():
            concurrent(port, rows, f"drift tracking {'on' if on else 'off'}")
        drift_costs(test, model, columns)
    finally:
        for on, server in servers.items():
            clients[on].close()
            server.send_signal(signal.SIGTERM)
        for server in servers.values():
            server.wait(30)


def concurrent(port: int, rows: list[dict], name: str) -> None:
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
    print(f"{name}: {CONCURRENT_CLIENTS} concurrent clients, single rows: "
          f"{ok / elapsed:.0f} answered/s, "
          f"{statuses.count(503)} of {len(statuses)} turned away with 503")  # fmt: skip


def drift_costs(test, model, columns: list[str]) -> None:
    from mlops.core.config import load_params
    from mlops.data.schema import COLUMNS
    from mlops.monitor.online import RollingDrift, split_profile
    from mlops.serve.drift import DriftFeed
    from mlops.serve.schema import request_schema

    params = load_params("params.yaml")
    window = RollingDrift(split_profile(params, model), params.monitor.online.window)
    schema = request_schema(COLUMNS, columns, 1000, False)
    rows = records(test, columns)
    feed = DriftFeed(window)
    parts = []
    for size, count in ((1, 300), (100, 60), (1000, 25)):
        frames = [schema.scored_columns(rows[(i * size) % len(rows) :][:size])[0]
                  for i in range(count)]  # fmt: skip
        scores = [np.linspace(0.01, 0.99, len(f[columns[0]])) for f in frames]
        submit, add = [], []
        for frame, score in zip(frames, scores, strict=True):
            start_ = time.perf_counter()
            feed.submit(frame, score)
            submit.append(time.perf_counter() - start_)
            feed.flush()
            start_ = time.perf_counter()
            window.add_batch(frame, score)
            add.append(time.perf_counter() - start_)
        name = f"{size:,} row{'s' if size > 1 else ''}"
        parts.append(f"{name}: request {np.median(submit) * 1e6:.0f} us, "
                     f"feed {np.median(add) * 1e3:.2f} ms")  # fmt: skip
    feed.close()
    scrape = []
    for _ in range(50):
        start_ = time.perf_counter()
        window.feature_psi()
        window.prediction_psi()
        scrape.append(time.perf_counter() - start_)
    print(f"online drift, in-process medians (window {window.window:,} rows): "
          + "; ".join(parts) + f"; PSI per scrape {np.median(scrape) * 1e3:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
