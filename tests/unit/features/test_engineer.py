"""Feature engineering: the first step of every model's Pipeline, so a derived column is
computed from raw records in training and serving alike, and featurize judges it like
any other column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import FunctionTransformer

from mlops.core.config import Data, Featurize
from mlops.features import engineer as engineering
from mlops.features import select
from mlops.features.spec import FeatureSpec
from mlops.train.models import model_types
from support.synthetic import SPEC, records

DATA = Data(id_column="row_id", time_column="month", target="label", positive_label="1",
            slices=["group"])  # fmt: skip
FEATURIZE = Featurize(max_missing_rate=0.5, max_single_feature_auc=0.98)


def test_engineer_keeps_the_records_and_is_pure():
    """The rules of its docstring, which a forker's version must keep too."""
    frame = records(50)
    out = engineering.engineer(frame)
    pd.testing.assert_frame_equal(frame, records(50))  # the input is not changed
    pd.testing.assert_frame_equal(out[list(frame.columns)], frame)  # input columns kept
    pd.testing.assert_index_equal(out.index, frame.index)  # one row out per row in
    pd.testing.assert_frame_equal(engineering.engineer(records(50)), out)  # no randomness


def test_engineering_is_the_first_step_of_every_model_type(params):
    kinds = model_types()
    assert kinds  # at least the default model type
    for name, kind in kinds.items():
        model = kind.build(SPEC, getattr(params.train, name), 0)
        first_name, first = model.steps[0]
        assert first_name == "engineer", name
        assert isinstance(first, FunctionTransformer), name
        assert first.func is engineering.engineer, name


def test_the_trusted_types_are_what_the_step_holds_in_a_model_file():
    from mlops.train.model_io import sio

    held = sio.get_untrusted_types(data=sio.dumps(engineering.engineering_step()))
    function = engineering.engineer
    assert f"{function.__module__}.{function.__qualname__}" in held
    assert set(held) == engineering.TRUSTED_TYPES


def _with_ratio(frame: pd.DataFrame) -> pd.DataFrame:
    """What a forker might write: a derived column from two raw ones."""
    return frame.assign(age_per_hour=frame["age"] / frame["hours"])


@pytest.fixture
def derived(monkeypatch: pytest.MonkeyPatch) -> None:
    # engineer is looked up by the step at build time and imported by name into select.
    monkeypatch.setattr(engineering, "engineer", _with_ratio)
    monkeypatch.setattr(select, "engineer", _with_ratio)


@pytest.mark.usefixtures("derived")
def test_a_derived_column_is_a_featurize_candidate_but_not_an_input():
    selection = select.select_features(records(), DATA, FEATURIZE)
    assert "age_per_hour" in selection["numeric"]
    assert "age_per_hour" not in selection["inputs"]  # models take raw records
    assert set(selection["inputs"]) == set(SPEC.inputs)


@pytest.mark.usefixtures("derived")
def test_a_model_computes_the_derived_column_from_raw_records(params):
    spec = FeatureSpec(SPEC.inputs, ("age_per_hour",), ())
    kind = model_types()["logistic_regression"]
    frame = records()
    model = kind.build(spec, params.train.logistic_regression, 0)
    model.fit(frame[list(spec.inputs)], frame["label"])
    assert "age_per_hour" not in frame.columns
    assert list(model[1].get_feature_names_out()) == ["age_per_hour"]
    proba = model.predict_proba(frame[list(spec.inputs)].head(20))[:, 1]
    assert np.isfinite(proba).all()
