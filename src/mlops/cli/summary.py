"""The few lines `make run` prints at the end: headline metrics and where results are."""

from __future__ import annotations

from mlops.core.config import Params
from mlops.core.files import read_json


def summary(p: Params) -> str:
    metrics = read_json(p.paths.metrics)
    runtime = read_json(p.paths.runtime)
    training = read_json(p.paths.training)
    lines = [
        f"model      {training['model']} on {training['rows']} train rows, "
        f"{training['features']} features",
        f"test       {metrics['rows']} rows, positive rate {metrics['positive_rate']:.3f}",
        "quality    "
        + "  ".join(
            f"{k} {metrics[k]:.4f}"
            for k in ("roc_auc", "pr_auc", "accuracy", "f1", "log_loss", "brier")
        ),
        f"runtime    fit {training['fit_seconds']} s, "
        f"latency p50 {runtime['latency_ms_p50']} ms/row, "
        f"model {runtime['model_bytes'] / 1024:.0f} KiB",
        f"results    {p.paths.metrics}, {p.paths.slices}, {p.paths.runtime}, {p.paths.plots}/, "
        f"model {p.paths.model}",
        "compare    uv run dvc metrics diff main   |   uv run dvc plots diff main",
    ]
    return "\n".join(lines)
