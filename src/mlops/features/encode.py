"""How the selected columns reach an estimator: the steps every model type shares.

A model is one scikit-learn Pipeline, `engineer -> preprocess -> classifier`, so that
evaluate, the review, the gate and serving treat every model type the same way. The
tree ensembles share one encoding: numeric columns as they are, categories as ordinal
codes split natively by the trees (numeric first, then categorical, in the feature
spec's order); a category unseen in training, or missing, becomes NaN, which the trees
route, so serving never fails on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops.features.spec import FeatureSpec


# What the steps built here hold, as loading a model file names them: it refuses any
# type not declared (train/model_io.py). Every model is a model_pipeline.
PIPELINE_TYPES = frozenset({"sklearn.pipeline.Pipeline"})
ORDINAL_FOR_TREES_TYPES = frozenset(
    {
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.preprocessing._encoders.OrdinalEncoder",
    }
)


def model_pipeline(preprocess: Any, classifier: Any) -> Any:
    """engineer (features/engineer.py) -> preprocess -> classifier."""
    from sklearn.pipeline import Pipeline

    from mlops.features.engineer import engineering_step

    return Pipeline(
        [("engineer", engineering_step()), ("preprocess", preprocess), ("classifier", classifier)]
    )


def ordinal_for_trees(spec: FeatureSpec) -> Any:
    """Numeric columns passed through, categorical ones ordinal-encoded (unseen -> NaN)."""
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OrdinalEncoder

    encode = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
    )
    return ColumnTransformer(
        [("numeric", "passthrough", list(spec.numeric)),
         ("categorical", encode, list(spec.categorical))],
        verbose_feature_names_out=False,
    )  # fmt: skip


def categorical_indices(spec: FeatureSpec) -> list[int]:
    """Positions of the categorical features in the encoded matrix (numeric come first)."""
    return list(range(len(spec.numeric), len(spec.numeric) + len(spec.categorical)))
