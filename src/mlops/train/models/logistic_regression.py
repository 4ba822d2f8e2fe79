"""Logistic regression (scikit-learn): a linear baseline.

Numbers are median-imputed and standardised; categories one-hot encoded, an unseen
category scoring as none of the known ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from mlops.core.strict import Strict

if TYPE_CHECKING:
    from mlops.features.spec import FeatureSpec


class Hyperparameters(Strict):
    """`train.logistic_regression:` in params.yaml."""

    C: Annotated[float, Field(gt=0.0)]
    max_iter: Annotated[int, Field(ge=1)]


# What the fitted Pipeline holds beyond the shared steps (features/encode.py). SimpleImputer
# keeps the dtypes it was fitted on as numpy.dtype objects; skops rebuilds a dtype from
# an empty array's header (its DTypeNode), so no code runs to load one.
TRUSTED_TYPES = frozenset(
    {
        "numpy.dtype",
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.impute._base.SimpleImputer",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.preprocessing._encoders.OneHotEncoder",
    }
)


def build(spec: FeatureSpec, hp: Hyperparameters, seed: int) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from mlops.features.encode import model_pipeline

    select = ColumnTransformer(
        [("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
          list(spec.numeric)),
         ("categorical", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                                       OneHotEncoder(handle_unknown="ignore")),
          list(spec.categorical))],
        verbose_feature_names_out=False,
    )  # fmt: skip
    estimator = LogisticRegression(C=hp.C, max_iter=hp.max_iter, random_state=seed)
    return model_pipeline(select, estimator)
