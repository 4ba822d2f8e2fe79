"""Where training and scoring run: in the stage's process, or on a Dask cluster.

`train.engine: dask` connects to the cluster at `train.dask.scheduler`, or, with none
given, starts `train.dask.workers` worker processes on loopback for the stage's
duration (no dashboard, nothing listening beyond 127.0.0.1). Dask ships data and tasks;
the model itself reaches the workers as skops bytes and is loaded there with the same
allow-list as anywhere else (never pickled from a file).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlops.core.config import DaskEngine
from mlops.core.files import is_parquet


@contextlib.contextmanager
def dask_client(cfg: DaskEngine) -> Iterator[Any]:
    """A dask.distributed Client for the configured cluster, closed on exit."""
    from distributed import Client, LocalCluster

    # Dask logs every worker start and stop: a stage prints one line, not forty.
    for name in ("distributed", "distributed.nanny", "distributed.scheduler"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if cfg.scheduler is not None:
        with Client(cfg.scheduler) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=cfg.workers,
            threads_per_worker=cfg.threads_per_worker,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def partitioned(path: Path | str, frame: pd.DataFrame | None, cfg: DaskEngine) -> Any:
    """The split as a Dask DataFrame: a Parquet file is read by the workers themselves
    (it must be on storage they reach); a frame already read is split into partitions."""
    import dask.dataframe as dd

    partitions = cfg.workers * cfg.partitions_per_worker
    if frame is None and is_parquet(path):
        return dd.read_parquet(str(path)).repartition(npartitions=partitions)
    assert frame is not None
    return dd.from_pandas(frame, npartitions=partitions, sort=False)  # type: ignore[no-untyped-call]


def _score_partition(part: pd.DataFrame, model_bytes: bytes) -> pd.Series:
    from mlops.evaluate.predict import predict
    from mlops.train.model_io import loads_model

    proba = predict(loads_model(model_bytes, "the model sent to the worker"), part)
    return pd.Series(proba, index=part.index, dtype="float64")


def predict_on_cluster(model_path: Path | str, frame: pd.DataFrame, cfg: DaskEngine) -> np.ndarray:
    """Scores of every row, computed by the cluster's workers, in the frame's order."""
    model_bytes = Path(model_path).read_bytes()
    with dask_client(cfg) as client:
        ddf = partitioned(model_path, frame.reset_index(drop=True), cfg)
        scores = ddf.map_partitions(
            _score_partition, model_bytes, meta=pd.Series(dtype="float64")
        ).compute()
        del client
    ordered: np.ndarray = scores.sort_index().to_numpy()
    return ordered
