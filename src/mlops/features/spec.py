"""What the featurize stage decided, as the train stage and the model read it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlops.core.errors import DataError
from mlops.core.files import read_json


@dataclass(frozen=True)
class FeatureSpec:
    """inputs: the raw columns the model takes (a record of the data minus id, time,
    target and `featurize.exclude`); numeric and categorical: the selected features,
    after feature engineering, split by how they are encoded."""

    inputs: tuple[str, ...]
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        """The columns to give the model: its inputs."""
        return list(self.inputs)

    @property
    def features(self) -> list[str]:
        """The selected features the estimator sees, numeric first."""
        return [*self.numeric, *self.categorical]


def load_feature_spec(path: Path | str) -> FeatureSpec:
    raw = read_json(path)
    try:
        return FeatureSpec(
            inputs=tuple(raw["inputs"]),
            numeric=tuple(raw["numeric"]),
            categorical=tuple(raw["categorical"]),
        )
    except (KeyError, TypeError):
        raise DataError(
            f"{path}: not a feature selection (needs inputs, numeric and categorical)"
        ) from None
