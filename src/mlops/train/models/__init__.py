"""Model types: one module each, discovered here. <- a forker adds a model type here.

A model type is a module in this folder that defines:

- `Hyperparameters`: its typed `train.<module name>:` section of params.yaml (a Strict
  pydantic model: unknown keys and wrong types are errors);
- `build(spec, hp, seed) -> Pipeline`: an unfitted scikit-learn Pipeline from the
  model's input columns to a probability, preprocessing included, so the saved model
  takes raw records in serving exactly as in training;
- `TRUSTED_TYPES`: the types its fitted Pipeline holds beyond the shared steps
  (features/encode.py) and skops' defaults, scikit-learn's classes included (loading
  refuses any other: a model file from a PR is untrusted input; train/model_io.py);
- optionally `fit_on_cluster(model, frame, target, spec, client) -> Pipeline`: fit with
  the rows partitioned on a Dask cluster (`train.engine: dask`); see lightgbm.py;
- optionally `fit_params(spec) -> dict`: keyword arguments for the Pipeline's fit;
- optionally `after_fit(model) -> None`: reset what the fitted model records about the
  machine it ran on rather than the data (a thread count), so that the model's bytes
  depend on the commit alone (see hist_gradient_boosting.py).

Then set `train.model: <module name>` and add its section to params.yaml. Nothing else
changes. Modules import scikit-learn inside `build`, not at the top: params.yaml is
validated against every section, and that must stay fast.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlops.core.strict import Strict


@dataclass(frozen=True)
class ModelType:
    name: str
    hyperparameters: type[Strict]
    build: Callable[..., Any]  # (FeatureSpec, Hyperparameters, seed) -> sklearn Pipeline
    trusted_types: frozenset[str]
    fit_on_cluster: Callable[..., Any] | None = None
    fit_params: Callable[..., dict[str, Any]] | None = None  # (FeatureSpec) -> Pipeline.fit kwargs
    after_fit: Callable[[Any], None] | None = None  # (fitted Pipeline) -> None, in place


@functools.cache
def model_types() -> dict[str, ModelType]:
    """Every module of this package that declares a model type, by module name."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[info.name] = ModelType(
            info.name,
            module.Hyperparameters,
            module.build,
            frozenset(module.TRUSTED_TYPES),
            getattr(module, "fit_on_cluster", None),
            getattr(module, "fit_params", None),
            getattr(module, "after_fit", None),
        )
    return found
