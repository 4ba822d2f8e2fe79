"""The base of every params.yaml section: unknown keys are errors, values are not coerced.

It lives apart from config.py so that a model type (train/models/) can declare its own
typed hyperparameter section without importing the whole configuration.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A params.yaml section: strict types, no unknown keys, immutable once loaded."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
