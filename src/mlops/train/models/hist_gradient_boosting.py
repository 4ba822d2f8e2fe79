"""Histogram gradient boosting (scikit-learn): the default model type.

Categories are ordinal-encoded and split natively by the trees; a category unseen in
training becomes missing, which the trees also handle, so serving never fails on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from mlops.core.strict import Strict
from mlops.features.encode import ORDINAL_FOR_TREES_TYPES

if TYPE_CHECKING:
    from mlops.features.spec import FeatureSpec


class Hyperparameters(Strict):
    """`train.hist_gradient_boosting:` in params.yaml."""

    learning_rate: Annotated[float, Field(gt=0.0, le=1.0)]
    max_iter: Annotated[int, Field(ge=1, le=10_000)]
    max_depth: Annotated[int, Field(ge=1)] | None
    max_leaf_nodes: Annotated[int, Field(ge=2)]
    min_samples_leaf: Annotated[int, Field(ge=1)]
    l2_regularization: Annotated[float, Field(ge=0.0)]
    early_stopping: bool


# HistGradientBoosting wraps its categorical encoding in partial(check_array, ...); a
# partial is only as dangerous as the function it holds, and that is checked on its own.
TRUSTED_TYPES = ORDINAL_FOR_TREES_TYPES | frozenset(
    {
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
        "sklearn.preprocessing._label.LabelEncoder",  # the classes it learnt
        "functools.partial",
        "sklearn.utils.validation.check_array",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.link.Interval",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn.utils._bunch.Bunch",
    }
)


def build(spec: FeatureSpec, hp: Hyperparameters, seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    from mlops.features.encode import model_pipeline, ordinal_for_trees

    # the encoder puts numeric columns first, then the categorical ones
    categorical = [False] * len(spec.numeric) + [True] * len(spec.categorical)
    # the section's field names are the estimator's argument names (params.yaml says
    # what scikit-learn's documentation says)
    estimator = HistGradientBoostingClassifier(
        **hp.model_dump(), categorical_features=categorical, random_state=seed
    )
    return model_pipeline(ordinal_for_trees(spec), estimator)


def after_fit(model: Any) -> None:
    """The fitted binner keeps the OpenMP thread count of the fit (`_bin_mapper.n_threads`),
    a fact about the machine, not the data: with it, the same commit gave other model bytes
    under `threads: 2` than under `threads: 1` (the predictions were the same). Reset to
    the binner's default (None: decided when it is used; only a refit bins again), so the
    bytes depend on data, params and code alone."""
    model[-1]._bin_mapper.n_threads = None
