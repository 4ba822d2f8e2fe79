from __future__ import annotations

import pytest
from pydantic import ValidationError

from mlops.core.sections import Bootstrap, model_sections
from mlops.train.models import model_types


def test_each_model_type_brings_its_own_section() -> None:
    sections = model_sections()
    assert set(sections) == set(model_types()) >= {"hist_gradient_boosting", "lightgbm"}
    assert all(section is kind.hyperparameters for section, kind in
               zip(sections.values(), model_types().values(), strict=True))  # fmt: skip


def test_a_bootstrap_section_that_predates_max_rows_still_parses() -> None:
    # the gate's policy comes from the base branch, whose params.yaml may be older
    old = Bootstrap.model_validate({"resamples": 1000, "confidence": 0.95, "seed": 0})
    assert old.max_rows == 50_000
    with pytest.raises(ValidationError, match="max_rows"):
        Bootstrap.model_validate({"resamples": 1000, "confidence": 0.95, "seed": 0, "max_rows": 10})
