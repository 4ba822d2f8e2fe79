"""One bounded queue drained by one thread of its own: the work a request hands off so
that its answer does not wait on it (the prediction log's writes, the drift window's
counting).

The thread starts on the first item. A full queue (the thread stalled) never blocks the
caller: the item is dropped and `on_full` says so. An item whose handling fails is
reported to `on_error` and the thread goes on with the next: it must never die.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")


class Background(Generic[Item]):
    def __init__(
        self,
        name: str,
        size: int,
        handle: Callable[[Item], None],
        on_error: Callable[[Exception], None],
        on_full: Callable[[Item], None],
    ) -> None:
        self.name, self.handle, self.on_error, self.on_full = name, handle, on_error, on_full
        self._queue: queue.Queue[tuple[Item] | None] = queue.Queue(size)
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def submit(self, item: Item) -> None:
        if self._thread is None:
            with self._start:  # two scoring threads must not start two drains
                if self._thread is None:
                    self._thread = threading.Thread(target=self._drain, daemon=True,
                                                    name=self.name)  # fmt: skip
                    self._thread.start()
        try:
            self._queue.put_nowait((item,))
        except queue.Full:
            self.on_full(item)

    def flush(self) -> None:
        """Wait until every item submitted so far is handled."""
        self._queue.join()

    def close(self) -> None:
        """Handle what is queued, then stop the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _drain(self) -> None:
        while True:
            entry = self._queue.get()
            try:
                if entry is None:
                    return
                self.handle(entry[0])
            except Exception as exc:  # never let the thread die: report, go on
                self.on_error(exc)
            finally:
                self._queue.task_done()
