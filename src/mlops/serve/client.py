"""A small HTTP client of the service (stdlib only): the canary, the benchmark and the
tests send records to a running service with it."""

from __future__ import annotations

import http.client
import json
import math
import socket
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str]  # names lowercased
    seconds: float


def records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """Rows as JSON records: a missing value (NaN) is null, numbers stay numbers."""
    rows = frame[columns].astype(object).to_dict(orient="records")
    return [
        {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in rows
    ]


class Client:
    """One keep-alive connection to http://host:port."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            conn.connect()
            # As urllib3 (requests) does: without it, the last segment of a large body waits
            # for the server's delayed ACK (~40 ms per 1,000-row request, measured here).
            assert conn.sock is not None
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        for attempt in (1, 2):  # a keep-alive connection the server closed: reconnect once
            conn = self._connection()
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers or {})
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
                continue
            seconds = time.perf_counter() - start
            kind = response.getheader("content-type", "")
            parsed = json.loads(data) if kind.startswith("application/json") else data.decode()
            headers = {k.lower(): v for k, v in response.getheaders()}
            return Answer(response.status, parsed, headers, seconds)
        raise AssertionError("unreachable")

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def predict(self, payload: Any, request_id: str | None = None) -> Answer:
        headers = {"Content-Type": "application/json"}
        if request_id:
            headers["X-Request-ID"] = request_id
        return self.request("POST", "/predict", json.dumps(payload).encode(), headers)

    def wait_ready(self, seconds: float = 60.0) -> Answer:
        """Poll /ready until 200; the last answer (or an error) after `seconds`."""
        deadline = time.monotonic() + seconds
        last: Answer | None = None
        while time.monotonic() < deadline:
            try:
                last = self.get("/ready")
                if last.status == 200:
                    return last
            except OSError:
                self.close()
            time.sleep(0.2)
        if last is None:
            raise ConnectionError(f"http://{self.host}:{self.port} did not answer in {seconds} s")
        return last
