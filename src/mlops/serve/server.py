"""`mlops serve`: uvicorn running the app, with the shutdown Kubernetes expects.

SIGTERM (or Ctrl-C): uvicorn stops accepting connections, lets the requests in flight
finish (at most `serve.drain_seconds`), then exits 0. The log is one line per event.
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path

from mlops.core.config import Params

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def serve(params: Params, model: str, host: str, port: int, root: Path | str = ".") -> None:
    import uvicorn

    from mlops.serve.app import create_app
    from mlops.serve.model import load, load_profile

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    app = create_app(
        params,
        lambda: load(model, params, root),
        lambda loaded: load_profile(model, params, loaded, root),
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        access_log=False,  # /metrics counts every request; the prediction log keeps the rows
        log_config=None,  # our one-line format (basicConfig above)
        timeout_graceful_shutdown=int(params.serve.drain_seconds),
        server_header=False,
    )
    # uvicorn drains, then re-raises the signal it caught to the handler it found: make that
    # a no-op, so a drained shutdown exits 0 (a clean stop) instead of "killed by SIGTERM".
    for caught in (signal.SIGTERM, signal.SIGINT):
        signal.signal(caught, _stopped)
    uvicorn.Server(config).run()


def _stopped(signum: int, _: object) -> None:
    logging.getLogger("mlops.serve").info("stopped by %s", signal.Signals(signum).name)
