"""LightGBM gradient boosting: the model type that also trains on a Dask cluster.

With `train.engine: local` it fits in the stage's process like any model type. With
`train.engine: dask` the data stays partitioned on the cluster's workers and LightGBM
trains data-parallel across them (its own socket collective, set up by
`lightgbm.DaskLGBMClassifier`); the result is an ordinary `LGBMClassifier` in the same
Pipeline, saved with skops like every model, so evaluate, the review, the gate and
serving need no change. Categories are ordinal-encoded and split natively by LightGBM;
an unseen category becomes missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from mlops.core.strict import Strict
from mlops.features.encode import (
    ORDINAL_FOR_TREES_TYPES,
    categorical_indices,
    model_pipeline,
    ordinal_for_trees,
)

if TYPE_CHECKING:
    from mlops.features.spec import FeatureSpec


class Hyperparameters(Strict):
    """`train.lightgbm:` in params.yaml."""

    learning_rate: Annotated[float, Field(gt=0.0, le=1.0)]
    n_estimators: Annotated[int, Field(ge=1, le=10_000)]
    num_leaves: Annotated[int, Field(ge=2, le=131_072)]
    min_child_samples: Annotated[int, Field(ge=1)]
    reg_lambda: Annotated[float, Field(ge=0.0)]


# What the fitted Pipeline holds beyond the shared steps (features/encode.py). The Booster
# is stored as LightGBM's own text model format (Booster.__getstate__), not as pickle bytes.
TRUSTED_TYPES = ORDINAL_FOR_TREES_TYPES | frozenset(
    {
        "sklearn.preprocessing._label.LabelEncoder",  # the classes it learnt
        "lightgbm.basic.Booster",
        "lightgbm.sklearn.LGBMClassifier",
        "collections.OrderedDict",
    }
)


def classifier(hp: Hyperparameters, seed: int, threads: int) -> Any:
    from lightgbm import LGBMClassifier

    return LGBMClassifier(
        **hp.model_dump(),  # the section's field names are LightGBM's argument names
        random_state=seed,
        n_jobs=threads,
        deterministic=True,  # same data and partitions, same trees, bit for bit
        force_row_wise=True,
        verbose=-1,
    )


def build(spec: FeatureSpec, hp: Hyperparameters, seed: int) -> Any:
    return model_pipeline(ordinal_for_trees(spec), classifier(hp, seed, threads=1))


def fit_params(spec: FeatureSpec) -> dict[str, Any]:
    """LightGBM learns from the categorical columns as categories, not as numbers."""
    return {"classifier__categorical_feature": categorical_indices(spec)}


def fit_on_cluster(model: Any, frame: Any, target: str, spec: FeatureSpec, client: Any) -> Any:
    """Fit the Pipeline with the rows partitioned on a Dask cluster (`frame`: a Dask
    DataFrame of the train split); returns the fitted Pipeline, whose classifier is an
    ordinary LGBMClassifier.

    The small steps are fitted from what they need, computed on the workers: the
    feature-engineering step sees a few raw rows (it learns nothing but column names),
    the encoder sees each category once (its categories are the sorted distinct values,
    exactly what fitting it on every row gives). The rows themselves are encoded and
    learned from where they are."""
    import logging

    import pandas as pd
    from lightgbm import DaskLGBMClassifier, register_logger

    engineer, preprocess, local = (step for _, step in model.steps)
    raw = frame[spec.columns]
    engineer.fit(raw.head(1000, npartitions=-1))
    engineered = raw.map_partitions(engineer.transform)
    distinct = {c: engineered[c].dropna().unique().compute().tolist() for c in spec.categorical}
    longest = max([1, *(len(v) for v in distinct.values())])
    sample = engineered.head(longest, npartitions=-1).reset_index(drop=True)
    sample = pd.concat([sample] * (longest // max(len(sample), 1) + 1), ignore_index=True)
    sample = sample.head(longest)
    for column, values in distinct.items():
        sample[column] = [values[i % len(values)] for i in range(longest)] if values else None
    preprocess.fit(sample)
    # An array, not a named frame: the Pipeline hands the classifier the encoder's
    # unnamed output when scoring, so it must learn from unnamed columns too.
    encoded = engineered.map_partitions(
        lambda part: pd.DataFrame(preprocess.transform(part), index=part.index),
        meta=pd.DataFrame({i: pd.Series(dtype="float64") for i in range(len(spec.features))}),
    ).to_dask_array(lengths=True)
    params = {k: v for k, v in local.get_params().items() if k != "n_jobs"}
    lightgbm_logger = logging.getLogger("lightgbm")
    lightgbm_logger.setLevel(logging.WARNING)
    register_logger(lightgbm_logger)  # its port search would print lines to the stage's log
    distributed = DaskLGBMClassifier(client=client, **params)
    labels = frame[target].to_dask_array(lengths=True)
    distributed.fit(encoded, labels, categorical_feature=categorical_indices(spec))
    model.steps[-1] = (model.steps[-1][0], distributed.to_local())
    return model
