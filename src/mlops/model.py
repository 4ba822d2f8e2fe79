"""The estimator: one scikit-learn Pipeline from raw columns to a probability.

Preprocessing lives inside the Pipeline, so the saved model takes the same raw rows in
serving as in training and cannot skew. A forker adds a model type here and its
hyperparameters to `train:` in params.yaml (and to config.Train).
"""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from mlops.config import Train
from mlops.features import FeatureSpec


def _hist_gradient_boosting(features: FeatureSpec, cfg: Train) -> Pipeline:
    hp = cfg.hist_gradient_boosting
    # Unknown categories at serving time become missing, which the trees handle natively.
    encode = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
    )
    pre = ColumnTransformer(
        [("numeric", "passthrough", list(features.numeric)),
         ("categorical", encode, list(features.categorical))],
        verbose_feature_names_out=False,
    )  # fmt: skip
    n_num = len(features.numeric)
    categorical = [False] * n_num + [True] * len(features.categorical)
    estimator = HistGradientBoostingClassifier(
        learning_rate=hp.learning_rate,
        max_iter=hp.max_iter,
        max_depth=hp.max_depth,
        max_leaf_nodes=hp.max_leaf_nodes,
        min_samples_leaf=hp.min_samples_leaf,
        l2_regularization=hp.l2_regularization,
        early_stopping=hp.early_stopping,
        categorical_features=categorical,
        random_state=cfg.seed,
    )
    return Pipeline([("preprocess", pre), ("classifier", estimator)])


def _logistic_regression(features: FeatureSpec, cfg: Train) -> Pipeline:
    hp = cfg.logistic_regression
    pre = ColumnTransformer(
        [("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
          list(features.numeric)),
         ("categorical", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                                       OneHotEncoder(handle_unknown="ignore")),
          list(features.categorical))],
        verbose_feature_names_out=False,
    )  # fmt: skip
    estimator = LogisticRegression(C=hp.C, max_iter=hp.max_iter, random_state=cfg.seed)
    return Pipeline([("preprocess", pre), ("classifier", estimator)])


_FACTORIES = {
    "hist_gradient_boosting": _hist_gradient_boosting,
    "logistic_regression": _logistic_regression,
}


def build_model(features: FeatureSpec, cfg: Train) -> Pipeline:
    """An unfitted Pipeline of the type and hyperparameters chosen in params.yaml."""
    return _FACTORIES[cfg.model](features, cfg)
